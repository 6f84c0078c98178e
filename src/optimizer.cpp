// optimizer.cpp — Adam update and gradient clipping (see optimizer.h).
#include "charrnn/optimizer.h"

#include <cmath>

namespace charrnn {

Adam::Adam(size_t n, AdamConfig config) : config_(config), m_p_(n, 0.f), v_p_(n, 0.f) {}

void Adam::step(float* params_p, const float* grads_p, float lr) {
  ++t_;
  const float b1 = float(config_.beta1), b2 = float(config_.beta2), eps = float(config_.eps);
  const float c1 = 1.0f / float(1.0 - std::pow(double(b1), double(t_)));
  const float c2 = 1.0f / float(1.0 - std::pow(double(b2), double(t_)));
  const int64_t n = int64_t(m_p_.size());
  float* m = m_p_.data();
  float* v = v_p_.data();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grads_p[i];
    m[i] = b1 * m[i] + (1.f - b1) * g;
    v[i] = b2 * v[i] + (1.f - b2) * g * g;
    params_p[i] -= lr * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
  }
}

double grad_norm(const float* g, size_t n) {
  double sum = 0.0;
  const int64_t count = int64_t(n);
#pragma omp parallel for reduction(+ : sum) schedule(static)
  for (int64_t i = 0; i < count; ++i) sum += double(g[i]) * double(g[i]);
  return std::sqrt(sum);
}

double clip_grad_norm(float* g, size_t n, double max_norm) {
  const double norm = grad_norm(g, n);
  if (max_norm > 0 && norm > max_norm) {
    const float scale = float(max_norm / (norm + 1e-6));  // PyTorch's clip_grad_norm_ formula
    const int64_t count = int64_t(n);
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < count; ++i) g[i] *= scale;
  }
  return norm;
}

}  // namespace charrnn
