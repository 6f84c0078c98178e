// lstm.cpp — oneDNN LSTM forward/backward for one layer (see lstm.h for layouts and letters).
#include "charrnn/lstm.h"

#include <cstring>

#include "charrnn/error.h"

namespace charrnn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

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
  LayerDescs(int T, int N, int I, int H)
      : src_layer(md({T, N, I}, tag::tnc)), state(md({1, 1, N, H}, tag::ldnc)),
        bias(md({1, 1, 4, H}, tag::ldgo)), dst_layer(md({T, N, H}, tag::tnc)),
        any_w_ih(md({1, 1, I, 4, H}, tag::any)), any_w_hh(md({1, 1, H, 4, H}, tag::any)) {}
};

}  // namespace

LstmLayer::LstmLayer(const dnnl::engine& eng, int T, int N, int I, int H, bool training,
                     const LstmViews& v)
    : T_(T), N_(N), I_(I), H_(H), training_(training) {
  const LayerDescs d(T, N, I, H);
  try {
    dnnl::lstm_forward::desc fwd_desc(
        training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
        dnnl::rnn_direction::unidirectional_left2right, d.src_layer, d.state, d.state,
        d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, d.state, d.state);
    fwd_pd_ = dnnl::lstm_forward::primitive_desc(fwd_desc, eng);
  } catch (const dnnl::error& e) {
    fail("oneDNN refused an LSTM layer (T=" + std::to_string(T) + ", N=" + std::to_string(N) +
         ", I=" + std::to_string(I) + ", H=" + std::to_string(H) + "): " + e.what());
  }
  fwd_prim_ = dnnl::lstm_forward(fwd_pd_);

  user_w_ih_mem_ = view(md({1, 1, I, 4, H}, tag::ldgoi), eng, v.w_ih_gi);
  user_w_hh_mem_ = view(md({1, 1, H, 4, H}, tag::ldgoi), eng, v.w_hh_gh);
  fwd_w_ih_mem_ = memory(fwd_pd_.weights_layer_desc(), eng);
  fwd_w_hh_mem_ = memory(fwd_pd_.weights_iter_desc(), eng);
  fwd_w_ih_reorder_prim_ = make_reorder(user_w_ih_mem_, fwd_w_ih_mem_, false);
  fwd_w_hh_reorder_prim_ = make_reorder(user_w_hh_mem_, fwd_w_hh_mem_, false);

  fwd_args_ = {{DNNL_ARG_SRC_LAYER, view(d.src_layer, eng, v.x_tni)},
               {DNNL_ARG_SRC_ITER, view(d.state, eng, v.h0_nh)},
               {DNNL_ARG_SRC_ITER_C, view(d.state, eng, v.c0_nh)},
               {DNNL_ARG_WEIGHTS_LAYER, fwd_w_ih_mem_},
               {DNNL_ARG_WEIGHTS_ITER, fwd_w_hh_mem_},
               {DNNL_ARG_BIAS, view(d.bias, eng, v.b_g)},
               {DNNL_ARG_DST_LAYER, view(d.dst_layer, eng, v.y_tnh)},
               {DNNL_ARG_DST_ITER, view(d.state, eng, v.hT_nh)},
               {DNNL_ARG_DST_ITER_C, view(d.state, eng, v.cT_nh)}};
  if (training) {
    workspace_mem_ = memory(fwd_pd_.workspace_desc(), eng);
    fwd_args_[DNNL_ARG_WORKSPACE] = workspace_mem_;
    build_backward(eng, v);
  }
}

void LstmLayer::build_backward(const dnnl::engine& eng, const LstmViews& v) {
  const LayerDescs d(T_, N_, I_, H_);
  dnnl::lstm_backward::desc bwd_desc(
      dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right, d.src_layer,
      d.state, d.state, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, d.state, d.state,
      d.src_layer, d.state, d.state, d.any_w_ih, d.any_w_hh, d.bias, d.dst_layer, d.state,
      d.state);
  bwd_pd_ = dnnl::lstm_backward::primitive_desc(bwd_desc, eng, fwd_pd_);
  bwd_prim_ = dnnl::lstm_backward(bwd_pd_);

  bwd_w_ih_mem_ = memory(bwd_pd_.weights_layer_desc(), eng);
  bwd_w_hh_mem_ = memory(bwd_pd_.weights_iter_desc(), eng);
  bwd_w_ih_reorder_prim_ = make_reorder(user_w_ih_mem_, bwd_w_ih_mem_, false);
  bwd_w_hh_reorder_prim_ = make_reorder(user_w_hh_mem_, bwd_w_hh_mem_, false);

  diff_w_ih_mem_ = memory(bwd_pd_.diff_weights_layer_desc(), eng);
  diff_w_hh_mem_ = memory(bwd_pd_.diff_weights_iter_desc(), eng);
  user_dw_ih_mem_ = view(md({1, 1, I_, 4, H_}, tag::ldgoi), eng, v.dw_ih_gi);
  user_dw_hh_mem_ = view(md({1, 1, H_, 4, H_}, tag::ldgoi), eng, v.dw_hh_gh);
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
  bwd_args_[DNNL_ARG_DIFF_SRC_ITER_C] = diff_c0_scratch_mem_;
  bwd_args_[DNNL_ARG_DIFF_WEIGHTS_LAYER] = diff_w_ih_mem_;
  bwd_args_[DNNL_ARG_DIFF_WEIGHTS_ITER] = diff_w_hh_mem_;
  bwd_args_[DNNL_ARG_DIFF_BIAS] = view(d.bias, eng, v.db_g);
  bwd_args_[DNNL_ARG_DIFF_DST_LAYER] = view(d.dst_layer, eng, v.dy_tnh);
  bwd_args_[DNNL_ARG_DIFF_DST_ITER] = zero_state_mem_;
  bwd_args_[DNNL_ARG_DIFF_DST_ITER_C] = zero_state_mem_;
}

void LstmLayer::sync_weights(dnnl::stream& strm) {
  fwd_w_ih_reorder_prim_.execute(strm, user_w_ih_mem_, fwd_w_ih_mem_);
  fwd_w_hh_reorder_prim_.execute(strm, user_w_hh_mem_, fwd_w_hh_mem_);
  if (training_) {
    bwd_w_ih_reorder_prim_.execute(strm, user_w_ih_mem_, bwd_w_ih_mem_);
    bwd_w_hh_reorder_prim_.execute(strm, user_w_hh_mem_, bwd_w_hh_mem_);
  }
  strm.wait();
}

void LstmLayer::forward(dnnl::stream& strm) {
  fwd_prim_.execute(strm, fwd_args_);
  strm.wait();
}

void LstmLayer::backward(dnnl::stream& strm) {
  if (!training_) fail("internal: LSTM backward on an inference layer");
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

size_t LstmLayer::workspace_bytes() const {
  return training_ ? fwd_pd_.workspace_desc().get_size() : 0;
}

}  // namespace charrnn
