// profile.h — where a training step's time goes, for benchmarks (charrnn-bench --profile): one
// accumulator per phase, and a stopwatch that adds the time since its last lap to a phase.
// Training itself never profiles (a null PhaseTimes* costs one branch per phase).
//
// The recurrent phases nest: rnn_fwd and rnn_bwd hold a layer's whole time; a layer that can
// say more (the bf16 LSTM) also fills the lstm_* phases, which add up to most of them.
#pragma once

#include <chrono>

namespace charrnn {

struct PhaseTimes {
  // The network, in order of a step.
  double gather = 0, rnn_fwd = 0, head_fwd = 0, loss = 0, head_bwd = 0, rnn_bwd = 0, scatter = 0;
  double reorder = 0, clip = 0, optimizer = 0, comm = 0;  // weight copies, clipping, Adam, MPI
  // Inside the recurrent layers (bf16 LSTM): the input projection GEMM, the per-step
  // recurrent matmuls, the elementwise gate steps, the weight-gradient GEMMs, dx, conversions.
  double lstm_in_gemm = 0, lstm_rec_fwd = 0, lstm_gates_fwd = 0, lstm_gates_bwd = 0,
         lstm_rec_bwd = 0, lstm_dw_gemm = 0, lstm_dx_gemm = 0, lstm_convert = 0;
};

// Adds the time since the last lap to a phase; does nothing without a PhaseTimes.
class Stopwatch {
 public:
  explicit Stopwatch(PhaseTimes* times) : times_(times) { restart(); }
  void restart() {
    if (times_) t_ = std::chrono::steady_clock::now();
  }
  void lap(double PhaseTimes::*phase) {
    if (!times_) return;
    const auto now = std::chrono::steady_clock::now();
    times_->*phase += std::chrono::duration<double>(now - t_).count();
    t_ = now;
  }
  bool on() const { return times_ != nullptr; }

 private:
  PhaseTimes* times_;
  std::chrono::steady_clock::time_point t_;
};

}  // namespace charrnn
