// simd16.h — 16-float AVX-512 helpers for the files compiled with -mavx512f -mavx512bw
// -mavx512vl (CMakeLists.txt): a Cephes-style exp, sigmoid and tanh, masked loads and stores,
// f32 <-> bf16, and the lane mask of a tail. Include it only from such a file: the functions
// are AVX-512 instructions, so a caller runs them only where the CPU has AVX-512. The warning
// pragmas below stay in force for the rest of the including file.
#pragma once

// GCC 12's avx512fintrin.h leaves the pass-through operand of unmasked shifts undefined on
// purpose, which -Wmaybe-uninitialized reports once per inlined use, and so do the extracts of
// _mm512_reduce_*_ps under -Wuninitialized (clang has no such warning).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "base/openmp.h"

namespace charrnn {
namespace simd {
// Internal linkage: an AVX-512 copy of these may never stand in for a call from elsewhere.
namespace {

using bf16_t = uint16_t;  // the top half of an IEEE f32
using V = __m512;         // 16 floats

// exp(x) to about 2 ulp for |x| < 87 (Cephes expf: p(r) * 2^k, r = x - k ln 2, k = round(x / ln
// 2)).
inline V exp16(V x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.f)), _mm512_set1_ps(87.f));
  const V k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  V r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  V p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  return _mm512_scalef_ps(p, k);  // p * 2^k
}

// 1 / d for d >= 1: rcp14 and one Newton step (relative error ~1e-8) in place of a vdivps
// (~16 cycles of throughput; the forward step needs five per 16 units). Measured: the whole
// training step 1% faster, since the step-by-step part waits on the matmuls and memory.
inline V reciprocal16(V d) {
  const V r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.f)));
}

inline V sigmoid16(V x) {
  const V one = _mm512_set1_ps(1.f);
  return reciprocal16(_mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

inline V tanh16(V x) {  // 2 sigmoid(2x) - 1
  const V two = _mm512_set1_ps(2.f);
  return _mm512_sub_ps(_mm512_mul_ps(two, sigmoid16(_mm512_mul_ps(two, x))), _mm512_set1_ps(1.f));
}

inline V load(const float* p, __mmask16 m) {
  return _mm512_maskz_loadu_ps(m, p);
}
inline void store(float* p, __mmask16 m, V v) {
  _mm512_mask_storeu_ps(p, m, v);
}

inline V load_bf16(const bf16_t* p, __mmask16 m) {  // bf16 -> f32 is exact: shift into the top
  const __m512i u = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(u, 16));
}

// Rounds to the nearest bf16, ties to even, and stores the 16 halves.
inline void store_bf16(bf16_t* p, __mmask16 m, V v) {
  const __m512i u = _mm512_castps_si512(v);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), odd);
  _mm512_mask_cvtepi32_storeu_epi16(p, m, _mm512_srli_epi32(r, 16));
}

// The lanes of the 16 units from j that exist (j + 16 may pass the end j1).
inline __mmask16 lanes(int j, int j1) {
  return j1 - j >= 16 ? __mmask16(0xffff) : __mmask16((1u << (j1 - j)) - 1);
}

}  // namespace
}  // namespace simd
}  // namespace charrnn
