// xent.h — softmax cross-entropy over the rows of a logits matrix, forward and backward, for the
// Net's head: a plain C++ kernel (any CPU, and the tests' reference) and an AVX-512 one
// (xent_avx512.cpp), chosen where the CPU has AVX-512.
//
// Letters: M rows (T N), V columns (the vocabulary), P threads.
//
// Why a kernel of its own: at a large vocabulary this is most of a step's elementwise work. On
// tang (V 8,796, 2 x 256, N 32, T 100; Zen 4, 2 threads) the plain loops with libm's expf took
// 106 ms of a 409 ms step, and the head's bias gradient, a separate single-threaded pass over
// dlogits, took more of head_bwd's time.
#pragma once

#include <cstdint>

namespace charrnn {
namespace xent {

enum class Kernel { plain, avx512 };
Kernel best_kernel();  // avx512 where cpu_has_avx512()
int partial_rows();    // P for Grads::partial_pv: the most threads a parallel region may run

struct Rows {
  int M = 0, V = 0;
  float* logits_mv = nullptr;    // (M, V) logits; backward overwrites them with dlogits (f32 out)
  const int32_t* y_m = nullptr;  // (M) targets, -1 = not scored
  float* lse_m = nullptr;  // (M) log-sum-exp of each row: written by forward, read by backward
};

// Where backward writes. With dlogits_bf16_mv null, dlogits go over the logits in f32.
struct Grads {
  uint16_t* dlogits_bf16_mv = nullptr;  // (M, V) bf16 dlogits, for a bf16 head
  float* dbias_v = nullptr;             // (V) += the column sums of dlogits (the head's bias)
  float* partial_pv = nullptr;          // (P, V) scratch: one column-sum row per thread
  int P = 1;                            // rows of partial_pv; at most P threads run
};

// Summed -log softmax(logits)[y] over the scored rows; *count = their number. Fills lse_m.
double forward(Kernel k, const Rows& r, int64_t* count);
// dlogits = (softmax(logits) - onehot(y)) * scale on scored rows, 0 on the others; and their
// column sums added to dbias_v. Needs the lse_m of forward() on the same logits.
void backward(Kernel k, const Rows& r, float scale, const Grads& g);

// The per-row AVX-512 kernels (xent_avx512.cpp); run them only where best_kernel() is avx512.
float row_lse_avx512(const float* row_v, int V);
// dlogits of one scored row into row_v (f32, in place) or out_bf16_v, and += into acc_v.
void row_grad_avx512(float* row_v, int V, float lse, float scale, int y, uint16_t* out_bf16_v,
                     float* acc_v);

}  // namespace xent
}  // namespace charrnn
