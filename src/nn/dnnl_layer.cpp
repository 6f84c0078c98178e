// dnnl_layer.cpp — oneDNN recurrent layers (LSTM, linear-before-reset GRU, tanh RNN) forward and
// backward for one layer (see dnnl_layer.h for layouts, recurrent_layer.h for letters).
#include "nn/dnnl_layer.h"

#include <cstring>

#include "charrnn/error.h"
#include "nn/dnnl_util.h"

namespace charrnn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
constexpr auto kDir = dnnl::rnn_direction::unidirectional_left2right;

memory::desc md(const memory::dims& dims, tag t, dt type = dt::f32) {
  return memory::desc(dims, type, t);
}

// A reorder src -> dst; with accumulate, dst += src (sum post-op).
dnnl::reorder make_reorder(const memory& src, const memory& dst, bool accumulate) {
  return dnnl::reorder(dnnl::reorder::primitive_desc(src, dst, accumulate_attr(accumulate)));
}

// The memory descriptors one layer's primitives share; weights are `any` (oneDNN chooses).
// `a` is the compute type of x, h, y and the weights; c, bias and all gradients are f32.
struct LayerDescs {
  memory::desc src_layer, state, state_c, bias, dst_layer, any_w_ih, any_w_hh;
  memory::desc diff_src_layer, diff_state, diff_dst_layer, any_dw_ih, any_dw_hh;
  LayerDescs(int T, int N, int I, int H, int G, int Gb, dt a)
      : src_layer(md({T, N, I}, tag::tnc, a)),
        state(md({1, 1, N, H}, tag::ldnc, a)),
        state_c(md({1, 1, N, H}, tag::ldnc)),
        bias(md({1, 1, Gb, H}, tag::ldgo)),
        dst_layer(md({T, N, H}, tag::tnc, a)),
        any_w_ih(md({1, 1, I, G, H}, tag::any, a)),
        any_w_hh(md({1, 1, H, G, H}, tag::any, a)),
        diff_src_layer(md({T, N, I}, tag::tnc)),
        diff_state(md({1, 1, N, H}, tag::ldnc)),
        diff_dst_layer(md({T, N, H}, tag::tnc)),
        any_dw_ih(md({1, 1, I, G, H}, tag::any)),
        any_dw_hh(md({1, 1, H, G, H}, tag::any)) {}
};

// What the layer keeps of its primitive descriptors.
template <class PD>
void take_forward(const PD& pd, DnnlLayer::Chosen& c) {
  c.fwd_w_ih = pd.weights_layer_desc();
  c.fwd_w_hh = pd.weights_iter_desc();
  c.workspace = pd.workspace_desc();
  c.impl = pd.impl_info_str();
}

template <class PD>
void take_backward(const PD& pd, DnnlLayer::Chosen& c) {
  c.bwd_w_ih = pd.weights_layer_desc();
  c.bwd_w_hh = pd.weights_iter_desc();
  c.diff_w_ih = pd.diff_weights_layer_desc();
  c.diff_w_hh = pd.diff_weights_iter_desc();
}

}  // namespace

void DnnlLayer::build_primitives(const dnnl::engine& eng, bool training) {
  const LayerDescs d(T_, N_, I_, H_, cell_gates(cell_), cell_bias_gates(cell_),
                     dtype_ == Dtype::bf16 ? dt::bf16 : dt::f32);
  const auto prop =
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const auto bwd = dnnl::prop_kind::backward;
  const auto &s = d.state, &c = d.state_c, &ds = d.diff_state;
  if (cell_ == Cell::lstm) {
    dnnl::lstm_forward::primitive_desc fpd(
        {prop, kDir, d.src_layer, s, c, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s, c}, eng);
    take_forward(fpd, chosen_);
    fwd_prim_ = dnnl::lstm_forward(fpd);
    if (!training) return;
    dnnl::lstm_backward::primitive_desc bpd(
        {bwd, kDir, d.src_layer,      s,  c,  d.any_w_ih,  d.any_w_hh,  d.bias, d.dst_layer,
         s,   c,    d.diff_src_layer, ds, ds, d.any_dw_ih, d.any_dw_hh, d.bias, d.diff_dst_layer,
         ds,  ds},
        eng, fpd);
    take_backward(bpd, chosen_);
    bwd_prim_ = dnnl::lstm_backward(bpd);
  } else if (cell_ == Cell::gru) {
    dnnl::lbr_gru_forward::primitive_desc fpd(
        {prop, kDir, d.src_layer, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s}, eng);
    take_forward(fpd, chosen_);
    fwd_prim_ = dnnl::lbr_gru_forward(fpd);
    if (!training) return;
    dnnl::lbr_gru_backward::primitive_desc bpd(
        {bwd, kDir, d.src_layer, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s,
         d.diff_src_layer, ds, d.any_dw_ih, d.any_dw_hh, d.bias, d.diff_dst_layer, ds},
        eng, fpd);
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
        {bwd, tanh, kDir, d.src_layer, s, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, s,
         d.diff_src_layer, ds, d.any_dw_ih, d.any_dw_hh, d.bias, d.diff_dst_layer, ds},
        eng, fpd);
    take_backward(bpd, chosen_);
    bwd_prim_ = dnnl::vanilla_rnn_backward(bpd);
  }
}

DnnlLayer::DnnlLayer(const dnnl::engine& eng, Cell cell, int T, int N, int I, int H, bool training,
                     const LstmViews& v, Dtype dtype)
    : cell_(cell), dtype_(dtype), T_(T), N_(N), I_(I), H_(H), training_(training) {
  try {
    build_primitives(eng, training);
  } catch (const dnnl::error& e) {
    fail("oneDNN refused a " + cell_name(cell) + " layer (T=" + std::to_string(T) +
         ", N=" + std::to_string(N) + ", I=" + std::to_string(I) + ", H=" + std::to_string(H) +
         ", " + dtype_name(dtype) + "): " + e.what());
  }
  const int G = cell_gates(cell);
  user_w_ih_mem_ = view(md({1, 1, I, G, H}, tag::ldgoi), eng, v.w_ih_gi);
  user_w_hh_mem_ = view(md({1, 1, H, G, H}, tag::ldgoi), eng, v.w_hh_gh);
  fwd_w_ih_mem_ = memory(chosen_.fwd_w_ih, eng);
  fwd_w_hh_mem_ = memory(chosen_.fwd_w_hh, eng);
  fwd_w_ih_reorder_prim_ = make_reorder(user_w_ih_mem_, fwd_w_ih_mem_, false);
  fwd_w_hh_reorder_prim_ = make_reorder(user_w_hh_mem_, fwd_w_hh_mem_, false);
  build_forward_args(eng, v);
  if (training) {
    workspace_mem_ = memory(chosen_.workspace, eng);
    fwd_args_[DNNL_ARG_WORKSPACE] = workspace_mem_;
    build_backward_args(eng, v);
  }
}

// x, h0 in and y, hT out: views of the model's f32 buffers, or in bf16 the layer's own
// copies with the reorders that convert them.
void DnnlLayer::build_forward_args(const dnnl::engine& eng, const LstmViews& v) {
  const bool bf16 = dtype_ == Dtype::bf16;
  const LayerDescs d(T_, N_, I_, H_, cell_gates(cell_), cell_bias_gates(cell_),
                     bf16 ? dt::bf16 : dt::f32);
  const LayerDescs f(T_, N_, I_, H_, cell_gates(cell_), cell_bias_gates(cell_), dt::f32);
  x_f32_mem_ = view(f.src_layer, eng, v.x_tni);
  h0_f32_mem_ = view(f.state, eng, v.h0_nh);
  y_f32_mem_ = view(f.dst_layer, eng, v.y_tnh);
  hT_f32_mem_ = view(f.state, eng, v.hT_nh);
  if (bf16) {
    x_bf16_mem_ = memory(d.src_layer, eng);
    h0_bf16_mem_ = memory(d.state, eng);
    y_bf16_mem_ = memory(d.dst_layer, eng);
    hT_bf16_mem_ = memory(d.state, eng);
    x_in_prim_ = make_reorder(x_f32_mem_, x_bf16_mem_, false);
    h0_in_prim_ = make_reorder(h0_f32_mem_, h0_bf16_mem_, false);
    y_out_prim_ = make_reorder(y_bf16_mem_, y_f32_mem_, false);
    hT_out_prim_ = make_reorder(hT_bf16_mem_, hT_f32_mem_, false);
  }
  fwd_args_ = {{DNNL_ARG_SRC_LAYER, bf16 ? x_bf16_mem_ : x_f32_mem_},
               {DNNL_ARG_SRC_ITER, bf16 ? h0_bf16_mem_ : h0_f32_mem_},
               {DNNL_ARG_WEIGHTS_LAYER, fwd_w_ih_mem_},
               {DNNL_ARG_WEIGHTS_ITER, fwd_w_hh_mem_},
               {DNNL_ARG_BIAS, view(d.bias, eng, v.b_g)},
               {DNNL_ARG_DST_LAYER, bf16 ? y_bf16_mem_ : y_f32_mem_},
               {DNNL_ARG_DST_ITER, bf16 ? hT_bf16_mem_ : hT_f32_mem_}};
  if (cell_ == Cell::lstm) {
    fwd_args_[DNNL_ARG_SRC_ITER_C] = view(d.state_c, eng, v.c0_nh);
    fwd_args_[DNNL_ARG_DST_ITER_C] = view(d.state_c, eng, v.cT_nh);
  }
}

void DnnlLayer::build_backward_args(const dnnl::engine& eng, const LstmViews& v) {
  const int G = cell_gates(cell_);
  const LayerDescs d(T_, N_, I_, H_, G, cell_bias_gates(cell_), dt::f32);  // gradients: f32
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

void DnnlLayer::sync_weights(dnnl::stream& strm) {
  fwd_w_ih_reorder_prim_.execute(strm, user_w_ih_mem_, fwd_w_ih_mem_);
  fwd_w_hh_reorder_prim_.execute(strm, user_w_hh_mem_, fwd_w_hh_mem_);
  if (training_) {
    bwd_w_ih_reorder_prim_.execute(strm, user_w_ih_mem_, bwd_w_ih_mem_);
    bwd_w_hh_reorder_prim_.execute(strm, user_w_hh_mem_, bwd_w_hh_mem_);
  }
  strm.wait();
}

void DnnlLayer::forward(dnnl::stream& strm) {
  if (dtype_ == Dtype::bf16) {
    x_in_prim_.execute(strm, x_f32_mem_, x_bf16_mem_);
    h0_in_prim_.execute(strm, h0_f32_mem_, h0_bf16_mem_);
  }
  fwd_prim_.execute(strm, fwd_args_);
  if (dtype_ == Dtype::bf16) {
    y_out_prim_.execute(strm, y_bf16_mem_, y_f32_mem_);
    hT_out_prim_.execute(strm, hT_bf16_mem_, hT_f32_mem_);
  }
  strm.wait();
}

void DnnlLayer::backward(dnnl::stream& strm) {
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

size_t DnnlLayer::workspace_bytes() const {
  return training_ ? chosen_.workspace.get_size() : 0;
}

}  // namespace charrnn
