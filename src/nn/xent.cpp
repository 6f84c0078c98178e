// xent.cpp — the row loops of the softmax cross-entropy and its plain kernels (see xent.h).
#include "nn/xent.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/openmp.h"
#include "nn/recurrent_layer.h"

namespace charrnn {
namespace xent {
namespace {

uint16_t round_to_bf16(float f) {  // nearest, ties to even (as simd16.h's store_bf16)
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

float row_lse_plain(const float* row, int V) {
  const float mx = *std::max_element(row, row + V);
  float sum = 0.f;
  for (int v = 0; v < V; ++v) sum += std::exp(row[v] - mx);
  return mx + std::log(sum);
}

void row_grad_plain(float* row, int V, float lse, float scale, int y, uint16_t* out_bf16,
                    float* acc) {
  for (int v = 0; v < V; ++v) {
    const float d = std::exp(row[v] - lse) * scale - (v == y ? scale : 0.f);
    acc[v] += d;
    if (out_bf16)
      out_bf16[v] = round_to_bf16(d);
    else
      row[v] = d;
  }
}

}  // namespace

Kernel best_kernel() {
  return cpu_has_avx512() ? Kernel::avx512 : Kernel::plain;
}

int partial_rows() {
  // The thread count may be raised after a Net is built (the probe tries 1 and then 2).
  return std::max(omp_get_max_threads(), omp_get_num_procs());
}

double forward(Kernel k, const Rows& r, int64_t* count) {
  double loss = 0.0;
  int64_t scored = 0;
#pragma omp parallel for reduction(+ : loss, scored) schedule(static)
  for (int m = 0; m < r.M; ++m) {
    const float* row = r.logits_mv + size_t(m) * size_t(r.V);
    r.lse_m[m] = k == Kernel::avx512 ? row_lse_avx512(row, r.V) : row_lse_plain(row, r.V);
    if (r.y_m[m] >= 0) {
      loss += double(r.lse_m[m]) - double(row[r.y_m[m]]);
      ++scored;
    }
  }
  *count = scored;
  return loss;
}

void backward(Kernel k, const Rows& r, float scale, const Grads& g) {
  const size_t V = size_t(r.V);
  const int P = std::max(1, std::min(omp_get_max_threads(), g.P));
  // Each thread sums its rows' dlogits into its own row of partial_pv while the rows are in
  // cache; the P rows are added up after (all of them zeroed first: a region may get fewer).
  std::fill(g.partial_pv, g.partial_pv + size_t(P) * V, 0.f);
#pragma omp parallel num_threads(P)
  {
    float* acc = g.partial_pv + size_t(omp_get_thread_num()) * V;
#pragma omp for schedule(static)
    for (int m = 0; m < r.M; ++m) {
      float* row = r.logits_mv + size_t(m) * V;
      uint16_t* out = g.dlogits_bf16_mv ? g.dlogits_bf16_mv + size_t(m) * V : nullptr;
      const int y = r.y_m[m];
      if (y < 0) {
        if (out)
          std::fill(out, out + V, uint16_t(0));
        else
          std::fill(row, row + V, 0.f);
      } else if (k == Kernel::avx512) {
        row_grad_avx512(row, r.V, r.lse_m[m], scale, y, out, acc);
      } else {
        row_grad_plain(row, r.V, r.lse_m[m], scale, y, out, acc);
      }
    }
  }
  for (int p = 0; p < P; ++p) {
    const float* acc = g.partial_pv + size_t(p) * V;
    for (size_t v = 0; v < V; ++v) g.dbias_v[v] += acc[v];
  }
}

}  // namespace xent
}  // namespace charrnn
