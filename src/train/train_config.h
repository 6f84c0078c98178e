// train_config.h — what a training run is asked (TrainConfig) and what it reports
// (TrainResult, StepResult), below the session and the loop that use them.
//
// Letters: T window length, N streams.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/model.h"
#include "text/tokenizer.h"
#include "train/optimizer.h"

namespace charrnn {

struct TrainConfig {
  // Data
  std::vector<std::string> corpus;  // UTF-8 text file(s), concatenated
  double val_frac = 0.1;            // last fraction of the corpus held out for validation
  TokenizerConfig tokenizer;
  // Model (vocab is set from the corpus)
  ModelConfig model;
  // Optimization
  int seq = 50;     // T: BPTT window
  int batch = 50;   // N: parallel streams (per rank under MPI: K ranks train K * N)
  AdamConfig adam;  // lr, betas, weight decay
  std::string lr_schedule = "constant";  // constant, cosine or step (see LrSchedule)
  int64_t warmup = 0;                    // steps of linear learning-rate warmup
  double min_lr = 0;                     // cosine: final learning rate (0: lr / 10)
  double lr_decay = 0.5;                 // step: factor applied every lr_decay_every steps
  int64_t lr_decay_every = 1000;
  double clip = 5.0;   // max global gradient norm; 0 turns clipping off
  double ema = 0;      // > 0: validate and keep as best an average of the weights with
                       // this decay per step (e.g. 0.999); 0: the weights themselves
  int64_t steps = 0;   // stop after this many steps (0: no step limit)
  double epochs = 0;   // stop after this many passes over the train split (0: no limit)
  double minutes = 0;  // stop after this much wall-clock time (0: no limit)
  uint64_t seed = 1;   // initialization (and later dropout) randomness
  // Output
  std::string model_dir;   // checkpoint directory
  int64_t eval_every = 0;  // validate + checkpoint every this many steps (0: at the end only)
  int eval_batch = 0;      // validation streams (0: same as batch)
  int64_t patience = 0;    // stop after this many evaluations without improvement (0: never)
  // Samples while training (output only: not part of the run, may change on --resume).
  int64_t sample_every = 0;     // steps between samples (0: none)
  int64_t sample_length = 200;  // symbols per sample
  std::vector<double> sample_temperatures{1.0};
  bool force = false;     // replace an existing directory
  bool quiet = false;     // no progress lines
  bool resume = false;    // continue the checkpoint in model_dir exactly where it stopped
  std::string init_from;  // fine-tune: start from this checkpoint's weights and architecture
  int ranks = 1;          // K, MPI processes (set by train(); a resume needs the same K)
};

// Fills defaults (no stop rule given -> 10 epochs) and rejects bad values with a usage Error.
void resolve_train_config(TrainConfig& c);
nlohmann::json train_config_json(const TrainConfig& c);
// The inverse of train_config_json, for --resume (throws on a malformed record).
TrainConfig train_config_from_json(const nlohmann::json& j);

struct TrainResult {
  int64_t steps = 0, tokens = 0;
  double seconds = 0;
  double best_val_loss = 0;  // NaN without a validation split
  int64_t best_step = -1;
  bool interrupted = false;    // stopped by a signal (after saving)
  bool early_stopped = false;  // --patience ran out
};

// One optimization step on a (T, N) window: zero the gradients, forward, backward, carry the
// state to the next window, clip, and (when loss and norm are finite) Adam + weight re-sync.
struct StepResult {
  double loss = 0;       // mean nats/symbol of the window
  double grad_norm = 0;  // before clipping
  bool applied = false;  // false: non-finite loss or gradient, parameters untouched
};
// What a run reports as it goes. The library never prints: the CLI prints these events (a live
// progress line, the evaluation lines, warnings on stderr), an embedding program does as it likes.
struct StepReport {
  int64_t step, total_steps;  // total_steps 0 when the run is bounded by time only
  double epoch;
  double loss;  // mean training loss since the last report, nats/symbol
  double tokens_per_s;
  double seconds;      // elapsed, evaluation included
  double eta_seconds;  // < 0 when unknown
  double last_val;     // NaN before the first evaluation
};

struct EvalReport {
  int64_t step;
  double train_loss, val_loss;  // nats/symbol
  bool improved;                // a new best: the best weights were saved
  double seconds;
  int64_t patience_exhausted;  // > 0: this many evaluations without a new best; the run stops
};

struct SampleReport {
  int64_t step;
  double temperature;
};

struct TrainEvent {
  enum class Kind { info, step, eval, warning, sample } kind;
  std::string text;  // info and warning: one line for a person; sample: the generated text
  StepReport step{};
  EvalReport eval{};
  SampleReport sample{};
};

using TrainCallback = std::function<void(const TrainEvent&)>;

}  // namespace charrnn
