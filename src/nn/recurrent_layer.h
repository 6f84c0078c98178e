// recurrent_layer.h — what the model needs of one recurrent layer (RecurrentLayer), the views it
// works on, and the cell and precision it computes with. Implementations: DnnlLayer
// (dnnl_layer.h, oneDNN's primitives) and Bf16LstmLayer (lstm_bf16.h); layer_factory.h chooses.
//
// Letters: T time steps, N streams (batch), I input width, H hidden width, G gates:
//   lstm: G = 4, order i, f, g (= c~), o, which PyTorch and oneDNN share; bias (4H)
//   gru:  G = 3, oneDNN's linear-before-reset GRU, order u (update = PyTorch's z), r, o
//         (= PyTorch's n); bias (4H) = b_u, b_r, b_o and b_u' (PyTorch's b_hn, inside r * .)
//   rnn:  G = 1, h' = tanh(W x + U h + b); bias (H)
//
// A layer owns no parameters and no activations: it reads parameters w_ih (GH, I), w_hh (GH, H),
// b from the model's flat block and accumulates gradients into the same-shaped views of the
// gradient block. Activations live in buffers the model owns.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>

namespace charrnn {

enum class Cell { lstm, gru, rnn };
// Compute precision of the recurrent layers. automatic ("auto"): training measures both at its
// start and takes the faster (train/probe.h); a network is always built with f32 or bf16.
enum class Dtype { f32, bf16, automatic };
Dtype parse_dtype(const std::string& name);  // throws a usage Error (field "dtype")
std::string dtype_name(Dtype dtype);
bool cpu_has_bf16();  // AVX512-BF16 or AMX: oneDNN's fast bf16 kernels
// AVX-512 (F, BW, VL, DQ): our own kernels (simd16.h). As the two above, it asks oneDNN, so that
// ONEDNN_MAX_CPU_ISA (tests, or a user's cap) limits ours as it limits oneDNN's.
bool cpu_has_avx512();
bool cpu_has_amx();                        // AMX: where bf16 training beats f32
Cell parse_cell(const std::string& name);  // throws a usage Error (field "cell")
std::string cell_name(Cell cell);
int cell_gates(Cell cell);       // G: weight gates
int cell_bias_gates(Cell cell);  // bias vectors of H

// Views the layer works on; every pointer must stay valid for the layer's lifetime.
// c0/cT are used by the LSTM only.
struct LstmViews {
  const float* w_ih_gi = nullptr;  // (G H, I) parameters
  const float* w_hh_gh = nullptr;  // (G H, H)
  const float* b_g = nullptr;      // (Gb H)
  float* dw_ih_gi = nullptr;       // gradients, same shapes (training only)
  float* dw_hh_gh = nullptr;
  float* db_g = nullptr;
  const float* x_tni = nullptr;  // (T, N, I) input
  const float* h0_nh = nullptr;  // (N, H) initial state
  const float* c0_nh = nullptr;
  float* y_tnh = nullptr;  // (T, N, H) output
  float* hT_nh = nullptr;  // (N, H) final state
  float* cT_nh = nullptr;
  const float* dy_tnh = nullptr;  // (T, N, H) gradient of the output (training only)
  float* dx_tni = nullptr;        // (T, N, I) gradient of the input (training only)
};

// What the model needs of one recurrent layer, built once for a fixed shape.
class RecurrentLayer {
 public:
  virtual ~RecurrentLayer() = default;
  // Converts the parameters into the layer's weight copies; call after every parameter change.
  virtual void sync_weights(dnnl::stream& strm) = 0;
  // y, hT (, cT) <- cell(x, h0 (, c0)). Training mode also keeps what backward() needs.
  virtual void forward(dnnl::stream& strm) = 0;
  // Accumulates dW, db += gradients of (dy); writes dx. Valid only after forward().
  virtual void backward(dnnl::stream& strm) = 0;
  virtual std::string implementation() const = 0;
  virtual size_t workspace_bytes() const = 0;
  // Benchmarks: a layer that can time its parts adds them to the lstm_* phases (profile.h).
  virtual void set_profile(struct PhaseTimes* times) {}
};

}  // namespace charrnn
