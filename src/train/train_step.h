// train_step.h — one optimization step on a (T, N) window (train_step.cpp).
//
// Letters: T window length, N streams, P parameter count.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/model.h"
#include "train/comm.h"
#include "train/optimizer.h"
#include "train/train_config.h"

namespace charrnn {

// Zeroes the gradients, runs forward and backward, carries the state to the next window, clips,
// and (when loss and norm are finite) applies Adam and re-syncs the layer weights.
// The net must hand its gradient buckets to `reducer` (Net::set_gradient_ready); a null reducer
// is a step of this rank alone, with no collective (the automatic preset times sizes so, each
// rank on its own).
StepResult train_step(Net& net, Adam& adam, comm::GradientReducer* reducer,
                      std::vector<float>& params_p, std::vector<float>& grads_p,
                      const int32_t* x_tn, const int32_t* y_tn, double clip, float lr,
                      PhaseTimes* profile = nullptr,
                      bool poison_gradient = false);  // fault injection (tests): one NaN

}  // namespace charrnn
