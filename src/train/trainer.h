// trainer.h — the training loop: batches, forward/backward, clipping, Adam, periodic full
// validation, checkpoints, progress and a clean stop on SIGINT/SIGTERM.
#pragma once

#include <atomic>

#include "train/train_config.h"

namespace charrnn {

// Runs training to its stop rule or until *stop becomes true; saves before returning.
// Under MPI only rank 0 reports; `report` may be empty.
TrainResult train(const TrainConfig& config, const std::atomic<bool>* stop,
                  const TrainCallback& report = {});

}  // namespace charrnn
