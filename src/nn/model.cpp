// model.cpp — the Net: forward and backward of embedding, recurrent layers, head and loss (see
// model.h; the parameter layout and its initialization are in parameters.cpp).
#include "nn/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/rng.h"
#include "charrnn/error.h"
#include "nn/dnnl_util.h"
#include "nn/layer_factory.h"
#include "nn/lstm_gates.h"

namespace charrnn {
namespace {

using dnnl::memory;
using dt = memory::data_type;

// Offsets of the tensors a Net reads, resolved once from the PyTorch-named layout.
struct Offsets {
  size_t emb, head_w, head_b;
  std::vector<size_t> w_ih, w_hh, b;
};

Offsets offsets_of(const ModelConfig& c) {  // by position: see parameter_tensors()
  const std::vector<TensorInfo> ts = parameter_tensors(c);
  Offsets o{};
  o.emb = ts[0].offset;
  for (int l = 0; l < c.layers; ++l) {
    o.w_ih.push_back(ts[size_t(1 + 3 * l)].offset);
    o.w_hh.push_back(ts[size_t(2 + 3 * l)].offset);
    o.b.push_back(ts[size_t(3 + 3 * l)].offset);
  }
  o.head_w = ts[ts.size() - 2].offset;
  o.head_b = ts.back().offset;
  return o;
}

}  // namespace

Net::Net(const ModelConfig& c, int T, int N, Mode mode, const float* params, float* grads)
    : cfg_(c),
      T_(T),
      N_(N),
      M_(T * N),
      training_(mode == Mode::train),
      params_(params),
      grads_(grads),
      eng_(dnnl::engine::kind::cpu, 0),
      strm_(eng_) {
  validate_model_config(c);
  if (training_ && !grads) fail("internal: a training Net needs a gradient block");
  if (c.dtype == Dtype::automatic) fail("internal: a Net is built with f32 or bf16, not auto");
  const int L = c.layers, E = c.embed, H = c.hidden, V = c.vocab;
  const size_t M = size_t(M_);
  x_m_.assign(M, 0);
  y_m_.assign(M, -1);
  x_me_.assign(M * E, 0.f);
  logits_mv_.assign(M * V, 0.f);
  lse_m_.assign(M, 0.f);
  head_bf16_ = c.dtype == Dtype::bf16 && cpu_has_avx512();  // to_bf16 is AVX-512
  if (head_bf16_) {
    y_top_bf16_mh_.assign(M * H, 0);
    w_head_bf16_vh_.assign(size_t(V) * H, 0);
    if (training_) dlogits_bf16_mv_.assign(M * V, 0);
  }
  if (training_) dbias_partial_pv_.assign(size_t(xent::partial_rows()) * V, 0.f);
  y_lmh_.assign(L, std::vector<float>(M * H, 0.f));
  for (auto* s : {&h0_lnh_, &c0_lnh_, &hT_lnh_, &cT_lnh_})
    s->assign(L, std::vector<float>(size_t(N) * H, 0.f));
  if (training_) {
    dx_me_.assign(M * E, 0.f);
    dy_lmh_.assign(L, std::vector<float>(M * H, 0.f));
  }
  dropout_on_ = training_ && c.dropout > 0.0 && L > 1;
  output_dropout_on_ = training_ && c.output_dropout > 0.0;
  if (dropout_on_ || output_dropout_on_) {  // index l: the output of layer l
    mask_lmh_.assign(L, std::vector<float>(M * H, 0.f));
    yd_lmh_.assign(L, std::vector<float>(M * H, 0.f));
  }
  weight_drop_on_ = training_ && c.weight_drop > 0.0;
  const Offsets o = offsets_of(c);
  w_hh_offset_l_ = o.w_hh;
  head_w_offset_ = o.head_w;
  bucket_at_ = {o.emb};
  bucket_at_.insert(bucket_at_.end(), o.w_ih.begin(), o.w_ih.end());
  bucket_at_.push_back(o.head_w);
  bucket_at_.push_back(parameter_count(c));
  if (weight_drop_on_)
    for (auto* s : {&wmask_lgh_, &whd_lgh_, &dwhd_lgh_})
      s->assign(L, std::vector<float>(size_t(cell_gates(c.cell)) * H * H, 0.f));
  emb_ve_ = params + o.emb;
  if (training_) {
    demb_ve_ = grads + o.emb;
    dhead_b_v_ = grads + o.head_b;
  }
  for (int l = 0; l < L; ++l) {
    LstmViews v;
    v.w_ih_gi = params + o.w_ih[l];
    v.w_hh_gh = weight_drop_on_ ? whd_lgh_[l].data() : params + o.w_hh[l];
    v.b_g = params + o.b[l];
    v.x_tni = l == 0 ? x_me_.data() : dropout_on_ ? yd_lmh_[l - 1].data() : y_lmh_[l - 1].data();
    v.h0_nh = h0_lnh_[l].data();
    v.c0_nh = c0_lnh_[l].data();
    v.y_tnh = y_lmh_[l].data();
    v.hT_nh = hT_lnh_[l].data();
    v.cT_nh = cT_lnh_[l].data();
    if (training_) {
      v.dw_ih_gi = grads + o.w_ih[l];
      v.dw_hh_gh = weight_drop_on_ ? dwhd_lgh_[l].data() : grads + o.w_hh[l];
      v.db_g = grads + o.b[l];
      v.dy_tnh = dy_lmh_[l].data();
      v.dx_tni = l == 0 ? dx_me_.data() : dy_lmh_[l - 1].data();
    }
    layers_.push_back(
        make_recurrent_layer(eng_, c.cell, T, N, l == 0 ? E : H, H, training_, v, c.dtype));
  }
  build_head();
  sync_weights();
}

Net::~Net() = default;

// Head: logits (M, V) = y_top (M, H) . W^T + b, with W stored (V, H) like nn.Linear. In bf16
// (a bf16 Net) y_top, W and dlogits are bf16 copies and logits, dy_top and dW stay f32: at a
// large vocabulary the head is most of a step (tang, V 8,796, 2 x 256: 245 of 409 ms in f32).
void Net::build_head() {
  const int64_t M = M_, H = cfg_.hidden, V = cfg_.vocab;
  const Offsets o = offsets_of(cfg_);
  const dt act = head_bf16_ ? dt::bf16 : dt::f32;  // of y_top, W and dlogits
  float* y_f32 = output_dropout_on_ ? yd_lmh_.back().data() : y_lmh_.back().data();
  y_top_mh_ = y_f32;
  void* y = head_bf16_ ? static_cast<void*>(y_top_bf16_mh_.data()) : y_f32;
  void* w = head_bf16_ ? static_cast<void*>(w_head_bf16_vh_.data())
                       : const_cast<float*>(params_ + o.head_w);
  auto y_md = strided({M, H}, {H, 1}, act);
  auto wT_md = strided({H, V}, {1, H}, act);  // W^T as a strided view of W (V, H)
  auto b_md = strided({1, V}, {V, 1});
  auto logits_md = strided({M, V}, {V, 1});
  dnnl::matmul::primitive_desc fwd_pd(dnnl::matmul::desc(y_md, wT_md, b_md, logits_md), eng_);
  head_fwd_prim_ = dnnl::matmul(fwd_pd);
  head_impl_ = fwd_pd.impl_info_str();
  head_fwd_args_ = {{DNNL_ARG_SRC, memory(y_md, eng_, y)},
                    {DNNL_ARG_WEIGHTS, memory(wT_md, eng_, w)},
                    {DNNL_ARG_BIAS, view(b_md, eng_, params_ + o.head_b)},
                    {DNNL_ARG_DST, memory(logits_md, eng_, logits_mv_.data())}};
  if (!training_) return;

  // dlogits: over the logits in f32, in their own buffer in bf16 (xent_backward writes them).
  void* dlogits = head_bf16_ ? static_cast<void*>(dlogits_bf16_mv_.data()) : logits_mv_.data();
  // dy_top (M, H) = dlogits (M, V) . W (V, H); overwrites, as dy_top has no other source.
  auto dlogits_md = strided({M, V}, {V, 1}, act);
  auto w_md = strided({V, H}, {H, 1}, act);
  auto dy_md = strided({M, H}, {H, 1});
  dnnl::matmul::primitive_desc data_pd(dnnl::matmul::desc(dlogits_md, w_md, dy_md), eng_);
  head_bwd_data_prim_ = dnnl::matmul(data_pd);
  head_bwd_data_args_ = {{DNNL_ARG_SRC, memory(dlogits_md, eng_, dlogits)},
                         {DNNL_ARG_WEIGHTS, memory(w_md, eng_, w)},
                         {DNNL_ARG_DST, memory(dy_md, eng_, dy_lmh_.back().data())}};

  // dW (V, H) += dlogits^T (V, M) . y_top (M, H); the sum post-op accumulates.
  auto dlogitsT_md = strided({V, M}, {1, V}, act);
  auto dw_md = strided({V, H}, {H, 1});
  dnnl::matmul::primitive_desc wgt_pd(dnnl::matmul::desc(dlogitsT_md, y_md, dw_md),
                                      accumulate_attr(), eng_);
  head_bwd_weights_prim_ = dnnl::matmul(wgt_pd);
  head_bwd_weights_args_ = {{DNNL_ARG_SRC, memory(dlogitsT_md, eng_, dlogits)},
                            {DNNL_ARG_WEIGHTS, memory(y_md, eng_, y)},
                            {DNNL_ARG_DST, memory(dw_md, eng_, grads_ + o.head_w)}};
  head_impl_bwd_ = std::string(data_pd.impl_info_str()) + ", " + wgt_pd.impl_info_str();
}

void Net::set_profile(PhaseTimes* times) {
  profile_ = times;
  for (auto& layer : layers_) layer->set_profile(times);
}

void Net::sync_weights() {
  Stopwatch watch(profile_);
  if (head_bf16_)
    gates::to_bf16(params_ + head_w_offset_, w_head_bf16_vh_.data(),
                   int64_t(w_head_bf16_vh_.size()));
  // With weight drop, forward() masks w_hh afresh and syncs every layer.
  if (!weight_drop_on_)
    for (auto& layer : layers_) layer->sync_weights(strm_);
  watch.lap(&PhaseTimes::reorder);
}

double Net::forward(const int32_t* x_tn, const int32_t* y_tn, int64_t* count) {
  Stopwatch watch(profile_);
  std::copy(x_tn, x_tn + M_, x_m_.begin());
  if (y_tn)
    std::copy(y_tn, y_tn + M_, y_m_.begin());
  else
    std::fill(y_m_.begin(), y_m_.end(), -1);
  embedding_forward();
  watch.lap(&PhaseTimes::gather);
  for (int l = 0; l < cfg_.layers; ++l) {
    if (weight_drop_on_) {
      weight_drop_forward(l);
      watch.lap(&PhaseTimes::reorder);
    }
    layers_[l]->forward(strm_);
    if (dropout_on_ && l + 1 < cfg_.layers) dropout_forward(l);
  }
  if (output_dropout_on_) dropout_forward(cfg_.layers - 1);
  watch.lap(&PhaseTimes::rnn_fwd);
  head_forward();
  watch.lap(&PhaseTimes::head_fwd);
  double loss = y_tn ? xent_forward() : 0.0;
  watch.lap(&PhaseTimes::loss);
  if (count) *count = count_;
  return loss;
}

xent::Rows Net::xent_rows() {
  xent::Rows r;
  r.M = M_;
  r.V = cfg_.vocab;
  r.logits_mv = logits_mv_.data();
  r.y_m = y_m_.data();
  r.lse_m = lse_m_.data();
  return r;
}

// Summed -log softmax(logits)[y] over rows with y >= 0; caches each row's log-sum-exp.
double Net::xent_forward() {
  return xent::forward(xent_kernel_, xent_rows(), &count_);
}

// dlogits = (softmax - onehot(y)) / count (0 on ignored rows), over the logits or into their
// bf16 buffer; the head's bias gradient, their column sums, on the way.
void Net::xent_backward() {
  xent::Grads g;
  g.dlogits_bf16_mv = head_bf16_ ? dlogits_bf16_mv_.data() : nullptr;
  g.dbias_v = dhead_b_v_;
  g.partial_pv = dbias_partial_pv_.data();
  g.P = int(dbias_partial_pv_.size() / size_t(cfg_.vocab));
  xent::backward(xent_kernel_, xent_rows(), count_ > 0 ? 1.0f / float(count_) : 0.0f, g);
}

void Net::backward() {
  if (!training_) fail("internal: backward() on an inference Net");
  Stopwatch watch(profile_);
  xent_backward();
  watch.lap(&PhaseTimes::loss);
  head_backward();
  hand_over(size_t(cfg_.layers) + 1);
  if (output_dropout_on_) dropout_backward(cfg_.layers - 1);  // dy of the head's input -> of y
  watch.lap(&PhaseTimes::head_bwd);
  for (int l = cfg_.layers - 1; l >= 0; --l) {
    // The layer accumulates into dwhd: zero it here, once per backward.
    if (weight_drop_on_) std::fill(dwhd_lgh_[l].begin(), dwhd_lgh_[l].end(), 0.f);
    layers_[l]->backward(strm_);  // writes dy of layer l-1 (through its dropout, if any)
    if (weight_drop_on_) weight_drop_backward(l);
    hand_over(size_t(l) + 1);
    if (dropout_on_ && l > 0) dropout_backward(l - 1);
  }
  watch.lap(&PhaseTimes::rnn_bwd);
  embedding_backward();
  hand_over(0);
  watch.lap(&PhaseTimes::scatter);
}

void Net::hand_over(size_t b) {
  if (gradient_ready_) gradient_ready_(bucket_at_[b], bucket_at_[b + 1] - bucket_at_[b]);
}

// x_me = one-hot(x_m) . W_emb, which is row x of W_emb: a gather.
void Net::embedding_forward() {
  const int E = cfg_.embed;
  for (int m = 0; m < M_; ++m)
    std::memcpy(&x_me_[size_t(m) * E], emb_ve_ + size_t(x_m_[m]) * E, sizeof(float) * E);
}

// dW_emb += scatter-add of dx_me: the gather's gradient goes back to the rows it read.
void Net::embedding_backward() {
  const int E = cfg_.embed;
  for (int m = 0; m < M_; ++m) {
    float* dst = demb_ve_ + size_t(x_m_[m]) * E;
    const float* src = &dx_me_[size_t(m) * E];
    for (int e = 0; e < E; ++e) dst[e] += src[e];
  }
}

// logits_mv = y_mh . W_head^T + b_head (a oneDNN matmul).
void Net::head_forward() {
  if (head_bf16_) gates::to_bf16(y_top_mh_, y_top_bf16_mh_.data(), int64_t(y_top_bf16_mh_.size()));
  head_fwd_prim_.execute(strm_, head_fwd_args_);
  strm_.wait();
}

// With dlogits from xent_backward (which also did db_head): dW_head += dlogits^T . y, dy =
// dlogits . W_head.
void Net::head_backward() {
  head_bwd_weights_prim_.execute(strm_, head_bwd_weights_args_);
  head_bwd_data_prim_.execute(strm_, head_bwd_data_args_);
  strm_.wait();
}

// mask_i = 1/keep with probability keep, else 0; out_i = in_i * mask_i. The mask is a function
// of one draw of the run's generator (see counter_u64), so it is filled in parallel and a run
// still resumes exactly; one pass draws and masks.
static void draw_and_apply_mask(Rng& rng, double keep, float* mask, const float* in, float* out,
                                size_t size) {
  const uint64_t key = rng.next_u64();
  const uint64_t threshold = uint64_t(keep * 0x1.0p53);  // u < keep, u = 53 random bits / 2^53
  const float scale = float(1.0 / keep);
  const int64_t n = int64_t(size);
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    mask[i] = (counter_u64(key, uint64_t(i)) >> 11) < threshold ? scale : 0.0f;
    out[i] = in[i] * mask[i];
  }
}

void Net::dropout_forward(int l) {
  if (!dropout_rng_) fail("internal: dropout without a random generator");
  const double p = l + 1 < cfg_.layers ? cfg_.dropout : cfg_.output_dropout;
  draw_and_apply_mask(*dropout_rng_, 1.0 - p, mask_lmh_[l].data(), y_lmh_[l].data(),
                      yd_lmh_[l].data(), mask_lmh_[l].size());
}

void Net::dropout_backward(int l) {
  float* dy = dy_lmh_[l].data();
  const float* mask = mask_lmh_[l].data();
  const int64_t n = int64_t(mask_lmh_[l].size());
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) dy[i] *= mask[i];
}

void Net::weight_drop_forward(int l) {
  if (!dropout_rng_) fail("internal: weight drop without a random generator");
  draw_and_apply_mask(*dropout_rng_, 1.0 - cfg_.weight_drop, wmask_lgh_[l].data(),
                      params_ + w_hh_offset_l_[size_t(l)], whd_lgh_[l].data(),
                      wmask_lgh_[l].size());
  layers_[l]->sync_weights(strm_);
}

// d(loss)/d(w_hh) = d(loss)/d(whd) * mask, since whd = w_hh * mask elementwise.
void Net::weight_drop_backward(int l) {
  float* dw = grads_ + w_hh_offset_l_[size_t(l)];
  const float* dwhd = dwhd_lgh_[l].data();
  const float* mask = wmask_lgh_[l].data();
  const int64_t n = int64_t(wmask_lgh_[l].size());
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) dw[i] += dwhd[i] * mask[i];
}

void Net::reset_state() {
  for (auto* s : {&h0_lnh_, &c0_lnh_})
    for (auto& v : *s) std::fill(v.begin(), v.end(), 0.f);
}

void Net::carry_state() {
  for (int l = 0; l < cfg_.layers; ++l) {
    h0_lnh_[l] = hT_lnh_[l];  // same size: copies in place, no allocation
    c0_lnh_[l] = cT_lnh_[l];
  }
}

void Net::copy_final_state_from(const Net& other) {
  if (other.N_ != N_ || other.cfg_.layers != cfg_.layers || other.cfg_.hidden != cfg_.hidden)
    fail("internal: state shapes differ between nets");
  for (int l = 0; l < cfg_.layers; ++l) {
    h0_lnh_[l] = other.hT_lnh_[l];
    c0_lnh_[l] = other.cT_lnh_[l];
  }
}

size_t Net::workspace_bytes() const {
  size_t total = 0;
  for (auto& layer : layers_) total += layer->workspace_bytes();
  return total;
}

}  // namespace charrnn
