// lstm.cpp — oneDNN recurrent layers (LSTM, linear-before-reset GRU, tanh RNN) forward and
// backward for one layer (see lstm.h for layouts and letters).
#include "charrnn/lstm.h"

#include <cstring>

#include "charrnn/error.h"

namespace charrnn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
constexpr auto kDir = dnnl::rnn_direction::unidirectional_left2right;

memory::desc md(const memory::dims& dims, tag t) { return memory::desc(dims, dt::f32, t); }

memory view(const memory::desc& d, const dnnl::engine& eng, const void* p) {
  return memory(d, eng, const_cast<void*>(p));
}

// A reorder src -> dst; with accumulate, dst += src (sum post-op).
dnnl::reorder make_reorder(const memory& src, const memory& dst, bool accumulate) {
  dnnl::primitive_attr attr;
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  return dnnl::reorder(dnnl::reorder::primitive_desc(src, dst, attr));
}

// The memory descriptors one layer's primitives share; weights are `any` (oneDNN chooses).
struct LayerDescs {
  memory::desc src_layer, state, bias, dst_layer, any_w_ih, any_w_hh;
  LayerDescs(int T, int N, int I, int H, int G, int Gb)
      : src_layer(md({T, N, I}, tag::tnc)), state(md({1, 1, N, H}, tag::ldnc)),
        bias(md({1, 1, Gb, H}, tag::ldgo)), dst_layer(md({T, N, H}, tag::tnc)),
        any_w_ih(md({1, 1, I, G, H}, tag::any)), any_w_hh(md({1, 1, H, G, H}, tag::any)) {}
};

// What the layer keeps of its primitive descriptors.
template <class PD>
void take_forward(const PD& pd, RecurrentLayer::Chosen& c) {
  c.fwd_w_ih = pd.weights_layer_desc();
  c.fwd_w_hh = pd.weights_iter_desc();
  c.workspace = pd.workspace_desc();
  c.impl = pd.impl_info_str();
}

template <class PD>
void take_backward(const PD& pd, RecurrentLayer::Chosen& c) {
  c.bwd_w_ih = pd.weights_layer_desc();
  c.bwd_w_hh = pd.weights_iter_desc();
  c.diff_w_ih = pd.diff_weights_layer_desc();
  c.diff_w_hh = pd.diff_weights_iter_desc();
}

}  // namespace

int cell_gates(Cell cell) { return cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1; }
int cell_bias_gates(Cell cell) { return cell == Cell::rnn ? 1 : 4; }  // lbr_gru: u, r, o, u'

Cell parse_cell(const std::string& name) {
  if (name == "lstm") return Cell::lstm;
  if (name == "gru") return Cell::gru;
  if (name == "rnn") return Cell::rnn;
  fail_usage("unknown --cell '" + name + "'", "use lstm, gru or rnn");
}

std::string cell_name(Cell cell) { return cell == Cell::lstm ? "lstm" : cell == Cell::gru ? "gru" : "rnn"; }

void RecurrentLayer::build_primitives(const dnnl::engine& eng, bool training) {
  const LayerDescs d(T_, N_, I_, H_, cell_gates(cell_), cell_bias_gates(cell_));
  const auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const auto bwd = dnnl::prop_kind::backward;
  const auto& s = d.state;
  if (cell_ == Cell::lstm) {
    dnnl::lstm_forward::primitive_desc fpd(
        {prop, kDir, d.src_layer, s, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s, s}, eng);
    take_forward(fpd, chosen_);
    fwd_prim_ = dnnl::lstm_forward(fpd);
    if (!training) return;
    dnnl::lstm_backward::primitive_desc bpd(
        {bwd, kDir, d.src_layer, s, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s, s, d.src_layer, s, s,
         d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s, s}, eng, fpd);
    take_backward(bpd, chosen_);
    bwd_prim_ = dnnl::lstm_backward(bpd);
  } else if (cell_ == Cell::gru) {
    dnnl::lbr_gru_forward::primitive_desc fpd(
        {prop, kDir, d.src_layer, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s}, eng);
    take_forward(fpd, chosen_);
    fwd_prim_ = dnnl::lbr_gru_forward(fpd);
    if (!training) return;
    dnnl::lbr_gru_backward::primitive_desc bpd(
        {bwd, kDir, d.src_layer, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s, d.src_layer, s,
         d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s}, eng, fpd);
    take_backward(bpd, chosen_);
    bwd_prim_ = dnnl::lbr_gru_backward(bpd);
  } else {
    const auto tanh = dnnl::algorithm::eltwise_tanh;
    dnnl::vanilla_rnn_forward::primitive_desc fpd(
        {prop, tanh, kDir, d.src_layer, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s}, eng);
    take_forward(fpd, chosen_);
    fwd_prim_ = dnnl::vanilla_rnn_forward(fpd);
    if (!training) return;
    dnnl::vanilla_rnn_backward::primitive_desc bpd(
        {bwd, tanh, kDir, d.src_layer, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s, d.src_layer,
         s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s}, eng, fpd);
    take_backward(bpd, chosen_);
    bwd_prim_ = dnnl::vanilla_rnn_backward(bpd);
  }
}

RecurrentLayer::RecurrentLayer(const dnnl::engine& eng, Cell cell, int T, int N, int I, int H,
                               bool training, const LstmViews& v)
    : cell_(cell), T_(T), N_(N), I_(I), H_(H), training_(training) {
  try {
    build_primitives(eng, training);
  } catch (const dnnl::error& e) {
    fail("oneDNN refused a " + cell_name(cell) + " layer (T=" + std::to_string(T) + ", N=" + std::to_string(N) +
         ", I=" + std::to_string(I) + ", H=" + std::to_string(H) + "): " + e.what());
  }
  const int G = cell_gates(cell);
  const LayerDescs d(T, N, I, H, G, cell_bias_gates(cell));
  user_w_ih_mem_ = view(md({1, 1, I, G, H}, tag::ldgoi), eng, v.w_ih_gi);
  user_w_hh_mem_ = view(md({1, 1, H, G, H}, tag::ldgoi), eng, v.w_hh_gh);
  fwd_w_ih_mem_ = memory(chosen_.fwd_w_ih, eng);
  fwd_w_hh_mem_ = memory(chosen_.fwd_w_hh, eng);
  fwd_w_ih_reorder_prim_ = make_reorder(user_w_ih_mem_, fwd_w_ih_mem_, false);
  fwd_w_hh_reorder_prim_ = make_reorder(user_w_hh_mem_, fwd_w_hh_mem_, false);
  const bool lstm = cell == Cell::lstm;
  fwd_args_ = {{DNNL_ARG_SRC_LAYER, view(d.src_layer, eng, v.x_tni)},
               {DNNL_ARG_SRC_ITER, view(d.state, eng, v.h0_nh)},
               {DNNL_ARG_WEIGHTS_LAYER, fwd_w_ih_mem_},
               {DNNL_ARG_WEIGHTS_ITER, fwd_w_hh_mem_},
               {DNNL_ARG_BIAS, view(d.bias, eng, v.b_g)},
               {DNNL_ARG_DST_LAYER, view(d.dst_layer, eng, v.y_tnh)},
               {DNNL_ARG_DST_ITER, view(d.state, eng, v.hT_nh)}};
  if (lstm) {
    fwd_args_[DNNL_ARG_SRC_ITER_C] = view(d.state, eng, v.c0_nh);
    fwd_args_[DNNL_ARG_DST_ITER_C] = view(d.state, eng, v.cT_nh);
  }
  if (training) {
    workspace_mem_ = memory(chosen_.workspace, eng);
    fwd_args_[DNNL_ARG_WORKSPACE] = workspace_mem_;
    build_backward_args(eng, v);
  }
}

void RecurrentLayer::build_backward_args(const dnnl::engine& eng, const LstmViews& v) {
  const int G = cell_gates(cell_);
  const LayerDescs d(T_, N_, I_, H_, G, cell_bias_gates(cell_));
  bwd_w_ih_mem_ = memory(chosen_.bwd_w_ih, eng);
  bwd_w_hh_mem_ = memory(chosen_.bwd_w_hh, eng);
  bwd_w_ih_reorder_prim_ = make_reorder(user_w_ih_mem_, bwd_w_ih_mem_, false);
  bwd_w_hh_reorder_prim_ = make_reorder(user_w_hh_mem_, bwd_w_hh_mem_, false);
  diff_w_ih_mem_ = memory(chosen_.diff_w_ih, eng);
  diff_w_hh_mem_ = memory(chosen_.diff_w_hh, eng);
  user_dw_ih_mem_ = view(md({1, 1, I_, G, H_}, tag::ldgoi), eng, v.dw_ih_gi);
  user_dw_hh_mem_ = view(md({1, 1, H_, G, H_}, tag::ldgoi), eng, v.dw_hh_gh);
  dw_ih_reorder_prim_ = make_reorder(diff_w_ih_mem_, user_dw_ih_mem_, true);
  dw_hh_reorder_prim_ = make_reorder(diff_w_hh_mem_, user_dw_hh_mem_, true);

  // Truncated BPTT: the window's final state gets no gradient from the next window.
  zero_state_mem_ = memory(d.state, eng);
  std::memset(zero_state_mem_.get_data_handle(), 0, d.state.get_size());
  diff_h0_scratch_mem_ = memory(d.state, eng);
  diff_c0_scratch_mem_ = memory(d.state, eng);

  bwd_args_ = fwd_args_;
  bwd_args_[DNNL_ARG_WEIGHTS_LAYER] = bwd_w_ih_mem_;
  bwd_args_[DNNL_ARG_WEIGHTS_ITER] = bwd_w_hh_mem_;
  bwd_args_[DNNL_ARG_DIFF_SRC_LAYER] = view(d.src_layer, eng, v.dx_tni);
  bwd_args_[DNNL_ARG_DIFF_SRC_ITER] = diff_h0_scratch_mem_;
  bwd_args_[DNNL_ARG_DIFF_WEIGHTS_LAYER] = diff_w_ih_mem_;
  bwd_args_[DNNL_ARG_DIFF_WEIGHTS_ITER] = diff_w_hh_mem_;
  bwd_args_[DNNL_ARG_DIFF_BIAS] = view(d.bias, eng, v.db_g);
  bwd_args_[DNNL_ARG_DIFF_DST_LAYER] = view(d.dst_layer, eng, v.dy_tnh);
  bwd_args_[DNNL_ARG_DIFF_DST_ITER] = zero_state_mem_;
  if (cell_ == Cell::lstm) {
    bwd_args_[DNNL_ARG_DIFF_SRC_ITER_C] = diff_c0_scratch_mem_;
    bwd_args_[DNNL_ARG_DIFF_DST_ITER_C] = zero_state_mem_;
  }
}

void RecurrentLayer::sync_weights(dnnl::stream& strm) {
  fwd_w_ih_reorder_prim_.execute(strm, user_w_ih_mem_, fwd_w_ih_mem_);
  fwd_w_hh_reorder_prim_.execute(strm, user_w_hh_mem_, fwd_w_hh_mem_);
  if (training_) {
    bwd_w_ih_reorder_prim_.execute(strm, user_w_ih_mem_, bwd_w_ih_mem_);
    bwd_w_hh_reorder_prim_.execute(strm, user_w_hh_mem_, bwd_w_hh_mem_);
  }
  strm.wait();
}

void RecurrentLayer::forward(dnnl::stream& strm) {
  fwd_prim_.execute(strm, fwd_args_);
  strm.wait();
}

void RecurrentLayer::backward(dnnl::stream& strm) {
  if (!training_) fail("internal: recurrent backward on an inference layer");
  // oneDNN accumulates into diff weights and diff bias: its own-layout weight gradients are
  // zeroed here, then added into the gradient block. db goes straight into the block, which
  // the trainer zeroes once per step.
  std::memset(diff_w_ih_mem_.get_data_handle(), 0, diff_w_ih_mem_.get_desc().get_size());
  std::memset(diff_w_hh_mem_.get_data_handle(), 0, diff_w_hh_mem_.get_desc().get_size());
  bwd_prim_.execute(strm, bwd_args_);
  dw_ih_reorder_prim_.execute(strm, diff_w_ih_mem_, user_dw_ih_mem_);
  dw_hh_reorder_prim_.execute(strm, diff_w_hh_mem_, user_dw_hh_mem_);
  strm.wait();
}

size_t RecurrentLayer::workspace_bytes() const { return training_ ? chosen_.workspace.get_size() : 0; }

}  // namespace charrnn
