// train_step.cpp — one optimization step, shared by the trainer and the benchmark: zero the
// gradient block, forward, backward (whose finished buckets the reducer averages over the MPI
// ranks meanwhile), wait for the average, clip, Adam, and re-sync the primitives' weights.
#include <chrono>
#include <cmath>

#include "train/comm.h"
#include "train/train_step.h"

namespace charrnn {

StepResult train_step(Net& net, Adam& adam, comm::GradientReducer* reducer,
                      std::vector<float>& params_p, std::vector<float>& grads_p,
                      const int32_t* x_tn, const int32_t* y_tn, double clip, float lr,
                      PhaseTimes* profile, bool poison_gradient) {
  Stopwatch watch(profile);
  // Gradients accumulate during backward: zero them once per step, here. A poisoned step
  // starts from a NaN, which backward's sums keep.
  std::fill(grads_p.begin(), grads_p.end(), 0.f);
  if (poison_gradient) grads_p[0] = std::nanf("");
  watch.lap(&PhaseTimes::optimizer);
  int64_t count = 0;
  StepResult r;
  r.loss = net.forward(x_tn, y_tn, &count) / double(count);
  net.backward();  // hands each finished bucket of grads_p to the reducer
  net.carry_state();
  watch.restart();  // the net timed its own phases
  // Data parallel (K > 1): every rank's mean gradient -> the mean over all K * N streams.
  // After this every rank holds the same block, so clipping and Adam agree bit for bit.
  // Measured here: what the backward pass did not hide.
  if (reducer) {
    reducer->finish();
    r.loss = comm::allreduce_mean(r.loss);
    watch.lap(&PhaseTimes::comm);
  }
  r.grad_norm = clip_grad_norm(grads_p.data(), grads_p.size(), clip);
  watch.lap(&PhaseTimes::clip);
  if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) return r;  // never apply poison
  adam.step(params_p.data(), grads_p.data(), lr);
  watch.lap(&PhaseTimes::optimizer);
  net.sync_weights();  // the primitives read their own copies of the weights
  r.applied = true;
  return r;
}

}  // namespace charrnn
