// lstm_gates.cpp — the LSTM step's elementwise forward and backward (see lstm_gates.h).
//
// Built with -mavx512f -mavx512bw -mavx512vl (CMakeLists.txt) and written in AVX-512 intrinsics
// (simd16.h), 16 hidden units at a time with a lane mask for the tail: exp() is a Cephes-style
// polynomial, since libm's expf is a scalar call per element and this part runs T times per layer
// per step, between matmuls that take only ~100 us each. (GCC 12 did not vectorize the plain-loop
// version of the forward.)
#include "nn/lstm_gates.h"

#include "nn/simd16.h"

namespace charrnn {
namespace gates {
namespace {

using namespace simd;  // NOLINT: the vector helpers

inline V one_minus(V a, V b) {  // 1 - a * b
  return _mm512_fnmadd_ps(a, b, _mm512_set1_ps(1.f));
}

inline V sigmoid_slope(V s) {
  return _mm512_mul_ps(s, one_minus(s, _mm512_set1_ps(1.f)));
}

// This thread's share [j0, j1) of the H hidden units, in whole 16-float vectors.
inline void my_units(int H, int* j0, int* j1) {
  const int threads = omp_get_num_threads(), me = omp_get_thread_num();
  const int vectors = (H + 15) / 16, per = (vectors + threads - 1) / threads;
  *j0 = me * per * 16 < H ? me * per * 16 : H;
  *j1 = (me + 1) * per * 16 < H ? (me + 1) * per * 16 : H;
}

}  // namespace

void lstm_forward(int N, int H, const float* pre_n4h, const float* c_prev_nh, float* c_nh,
                  bf16_t* act_n4h, float* y_nh, bf16_t* h_nh) {
#pragma omp parallel
  {
    int j0, j1;
    my_units(H, &j0, &j1);
    for (int n = 0; n < N; ++n) {
      const int64_t row = int64_t(n) * H;
      const float* g = pre_n4h + 4 * row;  // the row's gate blocks i, f, g, o
      bf16_t* a = act_n4h + 4 * row;
      for (int j = j0; j < j1; j += 16) {
        const __mmask16 m = lanes(j, j1);
        const V i = sigmoid16(load(g + j, m)), f = sigmoid16(load(g + H + j, m));
        const V c_hat = tanh16(load(g + 2 * H + j, m)), o = sigmoid16(load(g + 3 * H + j, m));
        const V c = _mm512_fmadd_ps(f, load(c_prev_nh + row + j, m), _mm512_mul_ps(i, c_hat));
        const V h = _mm512_mul_ps(o, tanh16(c));
        store_bf16(a + j, m, i);
        store_bf16(a + H + j, m, f);
        store_bf16(a + 2 * H + j, m, c_hat);
        store_bf16(a + 3 * H + j, m, o);
        store(c_nh + row + j, m, c);
        store(y_nh + row + j, m, h);
        store_bf16(h_nh + row + j, m, h);
      }
    }
  }
}

void lstm_backward(int N, int H, const bf16_t* act_n4h, const float* c_prev_nh, const float* c_nh,
                   const float* dy_nh, const float* dh_rec_nh, float* dc_nh, bf16_t* dgates_n4h,
                   float* db_4h) {
#pragma omp parallel
  {
    int j0, j1;
    my_units(H, &j0, &j1);
    for (int n = 0; n < N; ++n) {
      const int64_t row = int64_t(n) * H;
      const bf16_t* a = act_n4h + 4 * row;
      bf16_t* dg = dgates_n4h + 4 * row;
      for (int j = j0; j < j1; j += 16) {
        const __mmask16 m = lanes(j, j1);
        const V i = load_bf16(a + j, m), f = load_bf16(a + H + j, m);
        const V c_hat = load_bf16(a + 2 * H + j, m), o = load_bf16(a + 3 * H + j, m);
        const V tc = tanh16(load(c_nh + row + j, m));  // recomputed: cheaper than storing it
        V dh = load(dy_nh + row + j, m);
        if (dh_rec_nh) dh = _mm512_add_ps(dh, load(dh_rec_nh + row + j, m));
        const V dc =
            _mm512_fmadd_ps(_mm512_mul_ps(dh, o), one_minus(tc, tc), load(dc_nh + row + j, m));
        // through a sigmoid s: s (1 - s); through a tanh t: 1 - t^2
        const V di = _mm512_mul_ps(_mm512_mul_ps(dc, c_hat), sigmoid_slope(i));
        const V c_prev = load(c_prev_nh + row + j, m);
        const V df = _mm512_mul_ps(_mm512_mul_ps(dc, c_prev), sigmoid_slope(f));
        const V dc_hat = _mm512_mul_ps(_mm512_mul_ps(dc, i), one_minus(c_hat, c_hat));
        const V d_o = _mm512_mul_ps(_mm512_mul_ps(dh, tc), sigmoid_slope(o));
        store(dc_nh + row + j, m, _mm512_mul_ps(dc, f));
        const V d[4] = {di, df, dc_hat, d_o};
        for (int k = 0; k < 4; ++k) {
          store_bf16(dg + k * H + j, m, d[k]);
          float* db = db_4h + k * H + j;
          store(db, m, _mm512_add_ps(load(db, m), d[k]));
        }
      }
    }
  }
}

void to_bf16(const float* in, bf16_t* out, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 m = n - k >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - k)) - 1);
    store_bf16(out + k, m, load(in + k, m));
  }
}

}  // namespace gates
}  // namespace charrnn
