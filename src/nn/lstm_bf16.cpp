// lstm_bf16.cpp — the bf16 LSTM training layer: sequence-wide GEMMs, per-step recurrent
// matmuls and the AVX-512 gate step (see lstm_bf16.h for the plan and the letters).
#include "nn/lstm_bf16.h"

#include "nn/profile.h"

#include <algorithm>
#include <cstring>

#include "charrnn/error.h"
#include "nn/dnnl_util.h"
#include "nn/lstm_gates.h"

namespace charrnn {
namespace {

using dnnl::memory;
using dt = memory::data_type;

memory::desc any(const memory::dims& dims) {
  return memory::desc(dims, dt::bf16, memory::format_tag::any);
}

// dst (=, or += with accumulate) src . weights (+ bias).
dnnl::matmul::primitive_desc matmul_pd(const dnnl::engine& eng, const memory::desc& src,
                                       const memory::desc& weights, const memory::desc& dst,
                                       bool accumulate, const memory::desc& bias = {}) {
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias, dst),
                                      accumulate_attr(accumulate), eng);
}

}  // namespace

Bf16LstmLayer::Bf16LstmLayer(const dnnl::engine& eng, int T, int N, int I, int H,
                             const LstmViews& v, size_t chunk_bytes)
    : T_(T), N_(N), I_(I), H_(H), v_(v) {
  const size_t M = size_t(T) * N;
  // The input projection runs C steps at a time into a buffer of at most chunk_bytes (1 MiB), so
  // that the recurrent matmul and the gate step find it in L2 (a sequence-wide f32 buffer is 26 MB
  // at N 32, H 512 and made the whole forward wait on memory). C divides T.
  C_ = 1;
  for (int c = 1; c <= T; ++c)
    if (T % c == 0 && size_t(c) * N * 4 * H * sizeof(float) <= chunk_bytes) C_ = c;
  x_mi_.assign(M * I, 0);
  h_t1nh_.assign((M + N) * H, 0);
  pre_c4h_.assign(size_t(C_) * N * 4 * H, 0.f);
  act_m4h_.assign(M * 4 * H, 0);
  c_t1nh_.assign((M + N) * H, 0.f);
  dgates_m4h_.assign(M * 4 * H, 0);
  dh_nh_.assign(size_t(N) * H, 0.f);
  dc_nh_.assign(size_t(N) * H, 0.f);
  try {
    build_forward(eng);
    build_backward(eng);
  } catch (const dnnl::error& e) {
    fail("oneDNN refused a bf16 matmul of the LSTM layer (T=" + std::to_string(T) +
         ", N=" + std::to_string(N) + ", I=" + std::to_string(I) + ", H=" + std::to_string(H) +
         "): " + e.what());
  }
}

void Bf16LstmLayer::add_weight_copy(const dnnl::engine& eng, const dnnl::matmul::primitive_desc& pd,
                                    const memory::desc& f32_md, const float* f32) {
  WeightCopy w;
  w.f32_mem = view(f32_md, eng, f32);
  w.bf16_mem = memory(pd.weights_desc(), eng);
  w.prim = dnnl::reorder(w.f32_mem, w.bf16_mem);
  weight_copies_.push_back(w);
}

void Bf16LstmLayer::build_forward(const dnnl::engine& eng) {
  const int64_t CN = int64_t(C_) * N_, N = N_, I = I_, H = H_, G = 4 * H;
  // per chunk k: pre (C N, 4H) = x_k (C N, I) . W_ih^T (I, 4H) + b; W_ih^T is a strided view
  // of W_ih (4H, I).
  const auto x_md = strided({CN, I}, {I, 1}, dt::bf16);
  const auto pre_md = strided({CN, G}, {G, 1}, dt::f32);
  const auto b_md = strided({1, G}, {G, 1}, dt::f32);
  const auto in_pd = matmul_pd(eng, x_md, any({I, G}), pre_md, false, b_md);
  add_weight_copy(eng, in_pd, strided({I, G}, {1, I}, dt::f32), v_.w_ih_gi);
  in_fwd_prim_ = dnnl::matmul(in_pd);
  for (int k = 0; k < T_ / C_; ++k)
    in_fwd_args_k_.push_back({{DNNL_ARG_SRC, view(x_md, eng, x_mi_.data() + size_t(k) * CN * I)},
                              {DNNL_ARG_WEIGHTS, weight_copies_.back().bf16_mem},
                              {DNNL_ARG_BIAS, view(b_md, eng, v_.b_g)},
                              {DNNL_ARG_DST, view(pre_md, eng, pre_c4h_.data())}});
  impl_ = in_pd.impl_info_str();

  // per t: pre_t (N, 4H) += h_{t-1} (N, H) . W_hh^T (H, 4H), pre_t in the chunk's buffer
  const auto h_md = strided({N, H}, {H, 1}, dt::bf16);
  const auto pre_t_md = strided({N, G}, {G, 1}, dt::f32);
  const auto rec_pd = matmul_pd(eng, h_md, any({H, G}), pre_t_md, true);
  add_weight_copy(eng, rec_pd, strided({H, G}, {1, H}, dt::f32), v_.w_hh_gh);
  rec_fwd_prim_ = dnnl::matmul(rec_pd);
  for (int t = 0; t < T_; ++t)
    rec_fwd_args_t_.push_back(
        {{DNNL_ARG_SRC, view(h_md, eng, h_t1nh_.data() + size_t(t) * N * H)},
         {DNNL_ARG_WEIGHTS, weight_copies_.back().bf16_mem},
         {DNNL_ARG_DST, view(pre_t_md, eng, pre_c4h_.data() + size_t(t % C_) * N * G)}});
  impl_ += std::string(", recurrent ") + rec_pd.impl_info_str();
}

void Bf16LstmLayer::build_backward(const dnnl::engine& eng) {
  const int64_t M = int64_t(T_) * N_, N = N_, I = I_, H = H_, G = 4 * H;
  // per t: dh_{t-1} (N, H) = dgates_t (N, 4H) . W_hh (4H, H)
  const auto dgates_t_md = strided({N, G}, {G, 1}, dt::bf16);
  const auto dh_md = strided({N, H}, {H, 1}, dt::f32);
  const auto rec_pd = matmul_pd(eng, dgates_t_md, any({G, H}), dh_md, false);
  add_weight_copy(eng, rec_pd, strided({G, H}, {H, 1}, dt::f32), v_.w_hh_gh);
  rec_bwd_prim_ = dnnl::matmul(rec_pd);
  for (int t = 0; t < T_; ++t)
    rec_bwd_args_t_.push_back(
        {{DNNL_ARG_SRC, view(dgates_t_md, eng, dgates_m4h_.data() + size_t(t) * N * G)},
         {DNNL_ARG_WEIGHTS, weight_copies_.back().bf16_mem},
         {DNNL_ARG_DST, view(dh_md, eng, dh_nh_.data())}});

  // dW (4H, in) += dgates^T (4H, M) . in (M, in): the transpose is a strided view.
  const auto dgatesT_md = strided({G, M}, {1, G}, dt::bf16);
  std::string dw_impl;
  auto weight_gradient = [&](int64_t in, const uint16_t* in_m, float* dw) {
    const auto in_md = strided({M, in}, {in, 1}, dt::bf16);
    const auto dw_md = strided({G, in}, {in, 1}, dt::f32);
    const auto pd = matmul_pd(eng, dgatesT_md, in_md, dw_md, true);
    dw_impl = pd.impl_info_str();
    return Product{dnnl::matmul(pd),
                   {{DNNL_ARG_SRC, view(dgatesT_md, eng, dgates_m4h_.data())},
                    {DNNL_ARG_WEIGHTS, view(in_md, eng, in_m)},
                    {DNNL_ARG_DST, view(dw_md, eng, dw)}}};
  };
  dw_ih_ = weight_gradient(I, x_mi_.data(), v_.dw_ih_gi);
  dw_hh_ = weight_gradient(H, h_t1nh_.data(), v_.dw_hh_gh);  // h blocks 0 .. T - 1: h_{t-1}

  // dx (M, I) = dgates (M, 4H) . W_ih (4H, I); overwrites, as dx has no other source.
  const auto dgates_md = strided({M, G}, {G, 1}, dt::bf16);
  const auto dx_md = strided({M, I}, {I, 1}, dt::f32);
  const auto dx_pd = matmul_pd(eng, dgates_md, any({G, I}), dx_md, false);
  add_weight_copy(eng, dx_pd, strided({G, I}, {I, 1}, dt::f32), v_.w_ih_gi);
  in_dx_ = {dnnl::matmul(dx_pd),
            {{DNNL_ARG_SRC, view(dgates_md, eng, dgates_m4h_.data())},
             {DNNL_ARG_WEIGHTS, weight_copies_.back().bf16_mem},
             {DNNL_ARG_DST, view(dx_md, eng, v_.dx_tni)}}};
  impl_ += ", weight gradient " + dw_impl;
}

void Bf16LstmLayer::sync_weights(dnnl::stream& strm) {
  for (auto& w : weight_copies_) w.prim.execute(strm, w.f32_mem, w.bf16_mem);
  strm.wait();
}

// Profiling (benchmarks) waits for each primitive, to time it alone.
void Bf16LstmLayer::forward(dnnl::stream& strm) {
  const size_t NH = size_t(N_) * H_, N4H = 4 * NH;
  Stopwatch watch(profile_);
  gates::to_bf16(v_.x_tni, x_mi_.data(), int64_t(T_) * N_ * I_);
  gates::to_bf16(v_.h0_nh, h_t1nh_.data(), int64_t(NH));
  std::copy(v_.c0_nh, v_.c0_nh + NH, c_t1nh_.begin());
  watch.lap(&PhaseTimes::lstm_convert);
  for (int t = 0; t < T_; ++t) {
    if (t % C_ == 0) {
      in_fwd_prim_.execute(strm, in_fwd_args_k_[size_t(t / C_)]);
      if (watch.on()) strm.wait();
      watch.lap(&PhaseTimes::lstm_in_gemm);
    }
    rec_fwd_prim_.execute(strm, rec_fwd_args_t_[size_t(t)]);
    strm.wait();
    watch.lap(&PhaseTimes::lstm_rec_fwd);
    gates::lstm_forward(N_, H_, pre_c4h_.data() + (t % C_) * N4H, c_t1nh_.data() + t * NH,
                        c_t1nh_.data() + (t + 1) * NH, act_m4h_.data() + t * N4H, v_.y_tnh + t * NH,
                        h_t1nh_.data() + (t + 1) * NH);
    watch.lap(&PhaseTimes::lstm_gates_fwd);
  }
  std::copy(v_.y_tnh + (T_ - 1) * NH, v_.y_tnh + T_ * NH, v_.hT_nh);
  std::copy(c_t1nh_.end() - NH, c_t1nh_.end(), v_.cT_nh);
}

void Bf16LstmLayer::backward(dnnl::stream& strm) {
  const size_t NH = size_t(N_) * H_, N4H = 4 * NH;
  // Truncated BPTT: no gradient enters through the window's final c (or h: dh_rec is null at
  // the last step). db accumulates into the block, which the trainer zeroes once per step.
  std::fill(dc_nh_.begin(), dc_nh_.end(), 0.f);
  Stopwatch watch(profile_);
  for (int t = T_ - 1; t >= 0; --t) {
    gates::lstm_backward(N_, H_, act_m4h_.data() + t * N4H, c_t1nh_.data() + t * NH,
                         c_t1nh_.data() + (t + 1) * NH, v_.dy_tnh + t * NH,
                         t == T_ - 1 ? nullptr : dh_nh_.data(), dc_nh_.data(),
                         dgates_m4h_.data() + t * N4H, v_.db_g);
    watch.lap(&PhaseTimes::lstm_gates_bwd);
    if (t == 0) break;  // d(h0) is not needed
    rec_bwd_prim_.execute(strm, rec_bwd_args_t_[size_t(t)]);
    strm.wait();
    watch.lap(&PhaseTimes::lstm_rec_bwd);
  }
  dw_ih_.prim.execute(strm, dw_ih_.args);
  dw_hh_.prim.execute(strm, dw_hh_.args);
  if (watch.on()) strm.wait();
  watch.lap(&PhaseTimes::lstm_dw_gemm);
  in_dx_.prim.execute(strm, in_dx_.args);
  strm.wait();
  watch.lap(&PhaseTimes::lstm_dx_gemm);
}

std::string Bf16LstmLayer::implementation() const {
  return "charrnn bf16 lstm (" + impl_ + ")";
}

size_t Bf16LstmLayer::workspace_bytes() const {
  return (x_mi_.size() + h_t1nh_.size() + act_m4h_.size() + dgates_m4h_.size()) * sizeof(uint16_t) +
         (pre_c4h_.size() + c_t1nh_.size()) * sizeof(float);
}

}  // namespace charrnn
