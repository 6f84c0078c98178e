// optimizer.h — Adam and global-norm gradient clipping over the flat parameter/gradient blocks.
//
// The optimizer knows nothing of layer shapes: it sees P floats of parameters, P of gradients,
// and owns P floats each of first and second moments (m_p, v_p). The update is PyTorch's
// torch.optim.Adam (bias-corrected moments, eps outside the square root).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace charrnn {

struct AdamConfig {
  double lr = 2e-3;      // learning rate (char-rnn / torch-rnn default)
  double beta1 = 0.9;    // first-moment decay
  double beta2 = 0.999;  // second-moment decay
  double eps = 1e-8;     // added to sqrt(v_hat)
};

class Adam {
 public:
  Adam(size_t n, AdamConfig config);
  // params -= lr * m_hat / (sqrt(v_hat) + eps), with this step's gradients folded in first.
  void step(float* params_p, const float* grads_p, float lr);

  int64_t steps() const { return t_; }
  std::vector<float>& m() { return m_p_; }
  std::vector<float>& v() { return v_p_; }
  void set_steps(int64_t t) { t_ = t; }
  const AdamConfig& config() const { return config_; }

 private:
  AdamConfig config_;
  int64_t t_ = 0;
  std::vector<float> m_p_, v_p_;
};

// Global L2 norm of the gradient block (accumulated in double).
double grad_norm(const float* grads_p, size_t n);
// If the norm exceeds max_norm > 0, scales the block to max_norm. Returns the norm before.
double clip_grad_norm(float* grads_p, size_t n, double max_norm);

}  // namespace charrnn
