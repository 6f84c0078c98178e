// lstm_gates.h — the elementwise half of one LSTM time step (gate nonlinearities, cell update
// and their backward) for the bf16 layer of lstm_bf16.h, plus f32 -> bf16 conversion.
//
// Letters: N streams, H hidden width; gate order i, f, g (= c~), o as in recurrent_layer.h, so a
// row of gates_n4h is [i | f | g | o], each H wide.
//
// lstm_gates.cpp is compiled for AVX-512 (the bf16 layer runs only where cpu_has_bf16(), which
// implies AVX-512 with BW and VL) and holds nothing but plain loops, so no inline function of a
// shared header is ever emitted with AVX-512 instructions into code a plain CPU runs. Each function
// splits the hidden units over the OpenMP threads, so the per-unit sums into db need no atomics.
#pragma once

#include <cstdint>

namespace charrnn {
namespace gates {

using bf16_t = uint16_t;  // the top half of an IEEE f32

// One step forward. pre_n4h: the gates' pre-activations; act_n4h: their activations
// (sigmoid / tanh), kept in bf16 for the backward. c_prev_nh -> c_nh; h = o * tanh(c) written
// as f32 (y_nh, the layer's output) and as bf16 (h_nh, the next step's matmul input).
void lstm_forward(int N, int H, const float* pre_n4h, const float* c_prev_nh, float* c_nh,
                  bf16_t* act_n4h, float* y_nh, bf16_t* h_nh);

// One step backward. dh = dy_nh + dh_rec_nh (dh_rec_nh null at the last step); dc_nh holds
// d(loss)/d(c_t) from step t + 1 on entry and d(loss)/d(c_{t-1}) on exit. Writes the
// pre-activation gradients dgates_n4h (bf16, the weight-gradient GEMMs' input) and adds them
// into db_4h (f32).
void lstm_backward(int N, int H, const bf16_t* act_n4h, const float* c_prev_nh, const float* c_nh,
                   const float* dy_nh, const float* dh_rec_nh, float* dc_nh, bf16_t* dgates_n4h,
                   float* db_4h);

// out[k] = in[k] rounded to the nearest bf16 (ties to even), in parallel.
void to_bf16(const float* in, bf16_t* out, int64_t n);

}  // namespace gates
}  // namespace charrnn
