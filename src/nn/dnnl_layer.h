// dnnl_layer.h — one recurrent layer (LSTM, GRU or tanh RNN) on oneDNN's recurrent primitives,
// built once for a fixed shape (the interface and the letters: recurrent_layer.h).
//
// The layer owns primitives, their weight copies in the layouts oneDNN picked, the workspace
// and the reorders; it owns no parameters and no activations. It reads parameters w_ih (GH, I),
// w_hh (GH, H), b from the model's flat block ((GH, in) row-major is oneDNN's dense ldgoi) and
// accumulates gradients into the same-shaped views of the gradient block. Activations live in
// buffers the model owns.
//
// Measured with libdnnl 2.6.3 (README): forward_training with weights format `any` picks a
// padded ldigo ("ref" implementation); backward refuses explicit ldigo and ldgoi and picks its
// own layout; forward_inference with `any` picks "brgemm" (an explicit tag falls back to
// "ref"). Hence sync_weights() reorders after every optimizer step.
//
// Precision bf16 (measured, same library; used for GRU, RNN and inference, while bf16 LSTM
// training has its own layer, lstm_bf16.h): the layer computes with bf16 input, state h,
// output and weights ("brgemm" on AMX), while c, bias and every gradient stay f32 (a bf16
// backward with bf16 diff tensors is refused). The model's buffers stay f32: the layer owns
// bf16 copies of x, h0, y and hT and reorders at its boundary; the f32 master weights are
// reordered (converted) into bf16 by sync_weights().
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <unordered_map>

#include "nn/recurrent_layer.h"

namespace charrnn {

// oneDNN's lstm / lbr_gru / vanilla_rnn primitives.
class DnnlLayer : public RecurrentLayer {
 public:
  DnnlLayer(const dnnl::engine& eng, Cell cell, int T, int N, int I, int H, bool training,
            const LstmViews& v, Dtype dtype = Dtype::f32);

  void sync_weights(dnnl::stream& strm) override;
  void forward(dnnl::stream& strm) override;
  void backward(dnnl::stream& strm) override;
  std::string implementation() const override { return chosen_.impl; }
  size_t workspace_bytes() const override;

  // What oneDNN chose for this shape (queried once from the primitive descriptors).
  struct Chosen {
    dnnl::memory::desc fwd_w_ih, fwd_w_hh, bwd_w_ih, bwd_w_hh, diff_w_ih, diff_w_hh, workspace;
    std::string impl;
  };

 private:
  using ArgMap = std::unordered_map<int, dnnl::memory>;
  void build_primitives(const dnnl::engine& eng, bool training);
  void build_forward_args(const dnnl::engine& eng, const LstmViews& v);
  void build_backward_args(const dnnl::engine& eng, const LstmViews& v);

  Cell cell_;
  Dtype dtype_;
  int T_, N_, I_, H_;
  bool training_;
  Chosen chosen_;
  dnnl::primitive fwd_prim_, bwd_prim_;
  ArgMap fwd_args_, bwd_args_;
  dnnl::memory user_w_ih_mem_, user_w_hh_mem_;  // ldgoi views of the parameter block
  dnnl::memory fwd_w_ih_mem_, fwd_w_hh_mem_;    // forward layouts
  dnnl::reorder fwd_w_ih_reorder_prim_, fwd_w_hh_reorder_prim_;
  dnnl::memory workspace_mem_;
  dnnl::memory bwd_w_ih_mem_, bwd_w_hh_mem_;  // backward layouts
  dnnl::reorder bwd_w_ih_reorder_prim_, bwd_w_hh_reorder_prim_;
  dnnl::memory diff_w_ih_mem_, diff_w_hh_mem_;  // backward's own gradient layouts
  dnnl::memory user_dw_ih_mem_, user_dw_hh_mem_;
  dnnl::reorder dw_ih_reorder_prim_, dw_hh_reorder_prim_;   // += into the gradient block
  dnnl::memory zero_state_mem_;                             // no gradient crosses windows
  dnnl::memory diff_h0_scratch_mem_, diff_c0_scratch_mem_;  // d(initial state): unused
  // bf16 only: the layer's own copies of x, h0 (in) and y, hT (out), converted at the boundary.
  dnnl::memory x_f32_mem_, h0_f32_mem_, y_f32_mem_, hT_f32_mem_;
  dnnl::memory x_bf16_mem_, h0_bf16_mem_, y_bf16_mem_, hT_bf16_mem_;
  dnnl::reorder x_in_prim_, h0_in_prim_, y_out_prim_, hT_out_prim_;
};

}  // namespace charrnn
