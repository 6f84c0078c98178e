// lstm_bf16.h — a bf16 LSTM layer of our own for training: oneDNN matmuls for every product
// and lstm_gates.h for the elementwise step, in place of oneDNN's lstm primitive.
//
// Letters: T time steps, N streams, I input width, H hidden width, M = T * N rows (time-major,
// row m = t * N + n), 4H gate columns in the order i, f, g, o (recurrent_layer.h).
//
// Why: oneDNN 2.6's bf16 lstm primitive ran at 55% of the bound its own matmuls set (README,
// make bench). Here the products that do not depend on the previous step are single
// sequence-wide GEMMs of M rows (input projection, dx, dW_ih, dW_hh), only the recurrent
// products are per-step matmuls of N rows, and the layer's boundary tensors are f32 where the
// model reads them, so no reorder converts y or dy.
//
//   forward   per chunk of C steps: pre (C N, 4H) = x . W_ih^T + b     T / C GEMMs
//             per t: pre_t += h_{t-1} (N, H) . W_hh^T; gates step     T matmuls
//   backward  per t: gates step back; dh_{t-1} = dgates_t (N, 4H) . W_hh       T matmuls
//             dW_ih += dgates^T (4H, M) . x;  dW_hh += dgates^T . h_prev (M, H)
//             dx (M, I) = dgates . W_ih                                 three GEMMs
//
// bf16: x, h, the weights, the gate activations kept for backward and dgates; f32: the
// pre-activations, c, y, and every gradient (dW and db accumulate in f32 into the model's
// gradient block). Memory traffic, not arithmetic, decides the speed of the step-by-step part,
// hence the chunked input projection, bf16 activations, and tanh(c) recomputed in backward.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "nn/profile.h"
#include "nn/recurrent_layer.h"

namespace charrnn {

class Bf16LstmLayer : public RecurrentLayer {
 public:
  // chunk_bytes bounds the input projection's buffer (see C_); tests shrink it.
  Bf16LstmLayer(const dnnl::engine& eng, int T, int N, int I, int H, const LstmViews& v,
                size_t chunk_bytes = size_t(1) << 20);

  void sync_weights(dnnl::stream& strm) override;
  void forward(dnnl::stream& strm) override;
  void backward(dnnl::stream& strm) override;
  std::string implementation() const override;
  size_t workspace_bytes() const override;
  void set_profile(PhaseTimes* times) override { profile_ = times; }

 private:
  using ArgMap = std::unordered_map<int, dnnl::memory>;
  struct Product {  // one matmul primitive and its arguments
    dnnl::matmul prim;
    ArgMap args;
  };
  void build_forward(const dnnl::engine& eng);
  void build_backward(const dnnl::engine& eng);
  // Adds a bf16 copy, in the layout `pd` chose for its weights, of the f32 weights seen
  // through `f32_md`; sync_weights() refreshes it.
  void add_weight_copy(const dnnl::engine& eng, const dnnl::matmul::primitive_desc& pd,
                       const dnnl::memory::desc& f32_md, const float* f32);

  int T_, N_, I_, H_;
  LstmViews v_;
  std::vector<uint16_t> x_mi_;        // (M, I) bf16 input
  std::vector<uint16_t> h_t1nh_;      // (T + 1, N, H) bf16: block 0 = h0, block t + 1 = h_t
  int C_;                             // time steps per input-projection chunk
  std::vector<float> pre_c4h_;        // (C N, 4H) one chunk's pre-activations
  std::vector<uint16_t> act_m4h_;     // (M, 4H) bf16 gate activations, kept for backward
  std::vector<float> c_t1nh_;         // (T + 1, N, H): block 0 = c0, block t + 1 = c_t
  std::vector<uint16_t> dgates_m4h_;  // (M, 4H) bf16, backward
  std::vector<float> dh_nh_, dc_nh_;  // (N, H) backward carries
  dnnl::matmul in_fwd_prim_;          // input projection, arguments per chunk
  std::vector<ArgMap> in_fwd_args_k_;
  Product in_dx_, dw_ih_, dw_hh_;             // sequence-wide GEMMs
  dnnl::matmul rec_fwd_prim_, rec_bwd_prim_;  // per-step matmuls, arguments per t
  std::vector<ArgMap> rec_fwd_args_t_, rec_bwd_args_t_;
  // The bf16 weight copies: W_ih^T, W_hh^T (forward), W_hh, W_ih (backward).
  struct WeightCopy {
    dnnl::memory f32_mem, bf16_mem;
    dnnl::reorder prim;
  };
  std::vector<WeightCopy> weight_copies_;
  std::string impl_;
  PhaseTimes* profile_ = nullptr;
};

}  // namespace charrnn
