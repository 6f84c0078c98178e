// xent_avx512.cpp — the softmax cross-entropy's per-row kernels in AVX-512 (see xent.h): 16
// columns at a time with a lane mask for the tail, exp() from simd16.h. Built with -mavx512f
// -mavx512bw -mavx512vl (CMakeLists.txt); xent.cpp calls it only where the CPU has AVX-512.
#include <cmath>
#include <limits>

#include "nn/simd16.h"
#include "nn/xent.h"

namespace charrnn {
namespace xent {

using namespace simd;  // NOLINT: the vector helpers

// n: the row's length (V; the letter V is the vector type here).

// max + log(sum exp(x - max)): one pass for the max, one for the sum (the row is in L2 by then).
float row_lse_avx512(const float* row, int n) {
  V mx = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = lanes(j, n);
    mx = _mm512_mask_max_ps(mx, m, mx, load(row + j, m));
  }
  const float top = _mm512_reduce_max_ps(mx);
  const V top_v = _mm512_set1_ps(top);
  V sum = _mm512_setzero_ps();
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = lanes(j, n);
    sum = _mm512_mask_add_ps(sum, m, sum, exp16(_mm512_sub_ps(load(row + j, m), top_v)));
  }
  return top + std::log(_mm512_reduce_add_ps(sum));
}

void row_grad_avx512(float* row, int n, float lse, float scale, int y, uint16_t* out_bf16,
                     float* acc) {
  const float x_y = row[y];  // the target's logit, before an f32 output overwrites it
  const V lse_v = _mm512_set1_ps(lse), scale_v = _mm512_set1_ps(scale);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = lanes(j, n);
    const V d = _mm512_mul_ps(exp16(_mm512_sub_ps(load(row + j, m), lse_v)), scale_v);
    store(acc + j, m, _mm512_add_ps(load(acc + j, m), d));
    if (out_bf16)
      store_bf16(out_bf16 + j, m, d);
    else
      store(row + j, m, d);
  }
  // The target's column: softmax - 1. Recomputed from x_y rather than read back, as the bf16
  // output holds it rounded.
  const float d_y = std::exp(x_y - lse) * scale;
  acc[y] -= scale;
  if (out_bf16) {
    const V v = _mm512_set1_ps(d_y - scale);
    store_bf16(out_bf16 + y, __mmask16(1), v);
  } else {
    row[y] = d_y - scale;
  }
}

}  // namespace xent
}  // namespace charrnn
