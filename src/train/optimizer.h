// optimizer.h — Adam and global-norm gradient clipping over the flat parameter/gradient blocks.
//
// The optimizer knows nothing of layer shapes: it sees P floats of parameters, P of gradients,
// and owns P floats each of first and second moments (m_p, v_p). The update is PyTorch's
// torch.optim.Adam (bias-corrected moments, eps outside the square root).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace charrnn {

struct AdamConfig {
  double lr = 2e-3;         // peak learning rate (char-rnn / torch-rnn default)
  double beta1 = 0.9;       // first-moment decay
  double beta2 = 0.999;     // second-moment decay
  double eps = 1e-8;        // added to sqrt(v_hat)
  double weight_decay = 0;  // decoupled (AdamW) decay of the weight matrices, per unit of lr
};

// A half-open range [begin, end) of the flat block.
struct Range {
  size_t begin, end;
};

class Adam {
 public:
  // `decayed`: the parts of the block that weight decay applies to (weight matrices).
  Adam(size_t n, AdamConfig config, std::vector<Range> decayed = {});
  // params -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * params [decayed ranges]),
  // with this step's gradients folded into the moments first.
  void step(float* params_p, const float* grads_p, float lr);

  int64_t steps() const { return t_; }
  std::vector<float>& m() { return m_p_; }
  std::vector<float>& v() { return v_p_; }
  void set_steps(int64_t t) { t_ = t; }
  const AdamConfig& config() const { return config_; }

 private:
  AdamConfig config_;
  std::vector<Range> decayed_;
  int64_t t_ = 0;
  std::vector<float> m_p_, v_p_;
};

// Learning-rate shapes.
enum class Schedule { constant, cosine, step };
std::string schedule_name(Schedule s);

// Learning rate: linear warmup from 0 over `warmup` steps, then
//   constant: lr
//   cosine:   from lr down to min_lr as the run's progress goes from 0 to 1 (half a cosine);
//             progress comes from the run's plans (budget.h), so the anneal lands at the end
//             whichever rule ends the run (steps, epochs or a time budget)
//   step:     lr * decay^floor((step - warmup) / decay_every)
struct LrSchedule {
  Schedule kind = Schedule::constant;
  double lr = 2e-3;
  double min_lr = 0;           // cosine floor
  int64_t warmup = 0;          // steps of linear warmup
  double decay = 0.5;          // step: factor
  int64_t decay_every = 1000;  // step: period in steps
  // step counts from 0 (the first update); progress in [0, 1].
  double at(int64_t step, double progress) const;
};

// Polyak averaging: ema_p <- decay * ema_p + (1 - decay) * params_p. The model validated and
// kept as best is then the average of the recent weights (AWD-LSTM's averaged SGD plays the same
// part), which lies in a flatter, better-generalizing spot than the last iterate.
void ema_update(float* ema_p, const float* params_p, size_t n, double decay);
// The decay of update number `t` (0-based): min(decay, (1 + t) / (10 + t)), TensorFlow's
// ExponentialMovingAverage with num_updates, so the average forgets the initialization early.
double ema_decay_at(double decay, int64_t t);

// Global L2 norm of the gradient block (accumulated in double).
double grad_norm(const float* grads_p, size_t n);
// If the norm exceeds max_norm > 0, scales the block to max_norm. Returns the norm before.
double clip_grad_norm(float* grads_p, size_t n, double max_norm);

}  // namespace charrnn
