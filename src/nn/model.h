// model.h — the network: embedding gather -> L LSTM layers -> head -> softmax cross-entropy.
//
// Letters: V vocabulary size, E embedding width, H hidden width, L layers, T time steps,
// N streams, M = T * N rows (time-major: row m = t * N + n), G = 4 gates (i, f, g, o).
//
// Parameters live in one flat f32 block laid out tensor after tensor (parameter_tensors()):
// embedding, then per layer w_ih (G H, in), w_hh (G H, H) and oneDNN's bias, then the head;
// gradients live in a second block of the same layout. The Net owns neither: it holds views,
// so the optimizer, clipping and checkpoint I/O work on the same two blocks. Gate order and
// biases are oneDNN's (recurrent_layer.h); to_state_dict()/from_state_dict() convert to and from
// PyTorch's nn.LSTM / nn.GRU / nn.RNN state_dict (see docs/checkpoint-format.md).
//
// A Net is built for one (T, N) and one mode. Everything it needs is allocated at
// construction; forward() and backward() allocate nothing.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/options.h"
#include "nn/profile.h"
#include "nn/recurrent_layer.h"
#include "nn/xent.h"

namespace charrnn {

struct ModelConfig {
  Cell cell = Cell::lstm;  // recurrent cell: lstm, gru or rnn
  int vocab = 0;           // V: set from the corpus
  int embed = 64;          // E: embedding width (torch-rnn's default word vector size)
  int hidden = 128;        // H: LSTM state width
  int layers = 2;          // L: stacked LSTM layers
  double dropout = 0;      // inverted dropout on the outputs of every layer but the last (training)
  double output_dropout =
      0;  // the same on the last layer's output, before the head (Zaremba et al.)
  // DropConnect on every layer's recurrent weights w_hh (training): one mask per step, shared
  // by all streams and time steps (the "weight drop" of Merity et al. 2017, AWD-LSTM).
  double weight_drop = 0;
  // Compute precision of the recurrent layers. Not part of the architecture: parameters,
  // gradients and Adam stay f32 and checkpoints are f32 either way.
  Dtype dtype = Dtype::f32;
};

// The table of ModelConfig's settings (base/options.h); vocab is the corpus's, not a setting.
const OptionTable<ModelConfig>& model_options();

struct TensorInfo {
  std::string name;             // e.g. "lstm.weight_ih_l0"; biases are "lstm.bias_l0"
  std::vector<int64_t> shape;   // e.g. {4H, E}
  size_t offset = 0, size = 0;  // in floats, within the flat block
};

// A tensor as PyTorch's state_dict names and lays it out.
struct StateTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

void validate_model_config(const ModelConfig& c);  // throws a usage Error naming the field
std::vector<TensorInfo> parameter_tensors(const ModelConfig& c);
size_t parameter_count(const ModelConfig& c);
// PyTorch-like initialization: embedding N(0, 1); recurrent and head U(-1/sqrt(H), 1/sqrt(H));
// LSTM forget-gate bias +1 (so early gradients flow through the cell, as in torch-rnn).
void init_parameters(const ModelConfig& c, float* params, uint64_t seed);
// Fine-tuning: copies a parent's parameters into a child block of the same architecture but a
// vocabulary of child.vocab >= parent.vocab (the parent's symbols first, same ids): tensors of
// equal shape whole, the embedding and head rows (and head bias entries) of the parent's ids;
// the child's other rows keep what they hold (a fresh initialization).
void copy_parent_parameters(const ModelConfig& parent, const float* parent_p,
                            const ModelConfig& child, float* child_p);
// The block as PyTorch's state_dict: names "<cell>.weight_ih_l{k}" ..., gate order i,f,g,o
// (LSTM) or r,z,n (GRU), and the two biases bias_ih / bias_hh.
std::vector<StateTensor> to_state_dict(const ModelConfig& c, const float* params);
// The inverse. get(name, shape, dst) copies one tensor and returns false when it is absent
// (only bias_hh may be: it then counts as zero).
using TensorGetter = std::function<bool(const std::string&, const std::vector<int64_t>&, float*)>;
void from_state_dict(const ModelConfig& c, const TensorGetter& get, float* params);

class Net {
 public:
  enum class Mode { train, infer };

  // `grads` may be null in infer mode. Both blocks must outlive the Net.
  Net(const ModelConfig& c, int T, int N, Mode mode, const float* params, float* grads);
  ~Net();
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  void set_profile(PhaseTimes* times);  // null: off (benchmarks only; see profile.h)
  // Dropout masks are drawn from `rng` (training with dropout > 0 needs one).
  void set_dropout_rng(class Rng* rng) { dropout_rng_ = rng; }
  // Reorders parameters into oneDNN's layouts; call after every change of the parameters.
  void sync_weights();
  // Forward over one (T, N) window of ids. With targets (y_tn, -1 = ignore) it returns the
  // summed cross-entropy in nats and sets *count to the number of scored targets.
  double forward(const int32_t* x_tn, const int32_t* y_tn, int64_t* count);
  // Gradient of the mean loss of the last forward(); accumulates into the gradient block.
  void backward();
  // Called during backward() with each range of the gradient block as soon as it is final for
  // the step: the head, the top layer ... layer 0, the embedding (together, the whole block),
  // so that its allreduce can start while the layers below compute (train/comm.h).
  using GradientReady = std::function<void(size_t offset, size_t count)>;
  void set_gradient_ready(GradientReady ready) { gradient_ready_ = std::move(ready); }

  void reset_state();  // (h, c) <- 0 in every layer: the streams start over
  void carry_state();  // initial state <- final state: the next window continues the streams
  void copy_final_state_from(const Net& other);  // initial <- other's final (same N)
  // The initial (carried) state of layer l, (N, H): saved and restored for exact resume.
  std::vector<float>& initial_h(int l) { return h0_lnh_[size_t(l)]; }
  std::vector<float>& initial_c(int l) { return c0_lnh_[size_t(l)]; }
  // The dropout mask of the last forward on layer l's output (0 or 1/(1-p)), for tests.
  const std::vector<float>& dropout_mask(int l) const { return mask_lmh_[size_t(l)]; }
  // The weight-drop mask of the last forward on layer l's w_hh (0 or 1/(1-p)), for tests.
  const std::vector<float>& weight_mask(int l) const { return wmask_lgh_[size_t(l)]; }

  const float* logits() const { return logits_mv_.data(); }  // (M, V) after forward()
  int T() const { return T_; }
  int N() const { return N_; }
  const ModelConfig& config() const { return cfg_; }
  std::string lstm_implementation() const { return layers_[0]->implementation(); }
  std::string head_implementation() const { return head_impl_; }  // oneDNN's, as verbose says
  std::string head_backward_implementation() const { return head_impl_bwd_; }  // data, weights
  size_t workspace_bytes() const;

 private:
  void build_head();
  void embedding_forward();          // x_me <- rows x_m of W_emb
  void embedding_backward();         // dW_emb += scatter-add of dx_me
  void head_forward();               // logits_mv <- y W_head^T + b_head
  void head_backward();              // dW_head, db_head += ...; dy <- dlogits W_head
  void dropout_forward(int l);       // yd_l = y_l * mask_l, with a fresh mask
  void dropout_backward(int l);      // dy_l *= mask_l
  void weight_drop_forward(int l);   // whd_l = w_hh_l * wmask_l, with a fresh mask; re-sync
  void weight_drop_backward(int l);  // dw_hh_l += dwhd_l * wmask_l
  xent::Rows xent_rows();
  double xent_forward();  // the summed loss; lse_m_, count_
  void xent_backward();   // dlogits (over the logits, or into dlogits_bf16_mv_); db_head

  ModelConfig cfg_;
  int T_, N_, M_;
  bool training_;
  const float* params_;
  float* grads_;
  const float* emb_ve_;         // (V, E) view of the parameter block
  float* demb_ve_ = nullptr;    // (V, E) view of the gradient block
  float* dhead_b_v_ = nullptr;  // (V)
  int64_t count_ = 0;           // targets scored by the last forward()

  dnnl::engine eng_;
  dnnl::stream strm_;

  std::vector<int32_t> x_m_, y_m_;            // (M) cached ids of the last forward()
  std::vector<float> x_me_, dx_me_;           // (M, E) gathered embeddings and their gradient
  std::vector<std::vector<float>> y_lmh_;     // L x (M, H) layer outputs
  std::vector<std::vector<float>> dy_lmh_;    // L x (M, H) gradients of the layer outputs
  std::vector<std::vector<float>> mask_lmh_;  // (L) x (M, H) dropout: 0 or 1/(1-p); [L-1]: output
  std::vector<std::vector<float>> yd_lmh_;    // (L-1) x (M, H) dropped outputs, next input
  bool dropout_on_ = false;                   // between layers
  bool output_dropout_on_ = false;            // before the head
  bool weight_drop_on_ = false;               // on w_hh
  // L x (G H, H), weight drop only: the mask, the dropped weights the layers read, and the
  // gradient the layers accumulate into (w.r.t. the dropped weights).
  std::vector<std::vector<float>> wmask_lgh_, whd_lgh_, dwhd_lgh_;
  std::vector<size_t> w_hh_offset_l_;  // L: where each w_hh starts in the blocks
  // L + 3 bounds of the gradient buckets: [0] embedding, [1 + l] layer l, [L + 1] head; bucket
  // b is [bucket_at_[b], bucket_at_[b + 1]).
  std::vector<size_t> bucket_at_;
  GradientReady gradient_ready_;
  void hand_over(size_t bucket);  // gradient_ready_(bucket b), if set
  PhaseTimes* profile_ = nullptr;
  std::string head_impl_, head_impl_bwd_;
  class Rng* dropout_rng_ = nullptr;
  std::vector<std::vector<float>> h0_lnh_, c0_lnh_, hT_lnh_, cT_lnh_;  // L x (N, H)
  std::vector<float> logits_mv_;  // (M, V); backward turns it into dlogits
  std::vector<float> lse_m_;      // (M) log-sum-exp of each row, for backward
  xent::Kernel xent_kernel_ = xent::best_kernel();
  std::vector<float> dbias_partial_pv_;  // (P, V) per-thread column sums of dlogits (training)
  // A bf16 head (bf16 Nets): bf16 copies of its input, of W_head (made by sync_weights()) and
  // of dlogits (training). y_top_mh_ is the f32 input they copy: the top output or its dropout.
  bool head_bf16_ = false;
  const float* y_top_mh_ = nullptr;
  size_t head_w_offset_ = 0;
  std::vector<uint16_t> y_top_bf16_mh_, w_head_bf16_vh_, dlogits_bf16_mv_;  // (M,H) (V,H) (M,V)
  std::vector<std::unique_ptr<RecurrentLayer>> layers_;

  dnnl::matmul head_fwd_prim_, head_bwd_data_prim_, head_bwd_weights_prim_;
  std::unordered_map<int, dnnl::memory> head_fwd_args_, head_bwd_data_args_, head_bwd_weights_args_;
};

}  // namespace charrnn
