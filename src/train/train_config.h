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

// Named sizes and recipes (train/presets.h). automatic: chosen from the time budget, the corpus
// and the speed measured on this CPU; none: the plain defaults of the structs.
enum class Preset { automatic, tiny, small, medium, large, none };
std::string preset_name(Preset p);

// A ModelConfig whose precision is chosen by the start-of-run probe (Dtype::automatic).
inline ModelConfig measured_precision() {
  ModelConfig m;
  m.dtype = Dtype::automatic;
  return m;
}

struct TrainConfig {
  // Data
  std::vector<std::string> corpus;  // UTF-8 text file(s) or directories, concatenated
  double val_frac = 0.1;            // last fraction of the corpus held out for validation
  TokenizerConfig tokenizer;
  // Model (vocab is set from the corpus)
  Preset preset = Preset::automatic;         // automatic applies only when no architecture is given
  ModelConfig model = measured_precision();  // dtype auto: the probe chooses
  // Optimization
  int seq = 50;     // T: BPTT window
  int batch = 50;   // N: parallel streams (per rank under MPI: K ranks train K * N)
  AdamConfig adam;  // lr, betas, weight decay
  // cosine: from lr down to min_lr at the end of the run, whichever rule ends it (steps, epochs,
  // or the steps a time budget is planned to fit: train/budget.h).
  Schedule lr_schedule = Schedule::cosine;
  int64_t warmup = 0;     // steps of linear learning-rate warmup
  double min_lr = 0;      // cosine: final learning rate (0: lr / 10)
  double lr_decay = 0.5;  // step: factor applied every lr_decay_every steps
  int64_t lr_decay_every = 1000;
  double clip = 5.0;   // max global gradient norm; 0 turns clipping off
  double ema = 0;      // > 0: validate and keep as best an average of the weights with
                       // this decay per step (e.g. 0.999); 0: the weights themselves
  int64_t steps = 0;   // stop after this many steps (0: no step limit)
  double epochs = 0;   // stop after this many passes over the train split (0: no limit)
  double minutes = 0;  // time budget of this invocation, evaluations and saves included
  uint64_t seed = 1;   // initialization (and later dropout) randomness
  int threads = 0;     // CPU threads; 0: measured at the start (train/probe.h)
  // Output
  std::string model_dir;     // checkpoint directory
  int64_t eval_every = 200;  // validate + checkpoint every this many steps (0: at the end only)
  int eval_batch = 0;        // validation streams (0: same as batch)
  // Symbols scored by each evaluation during the run: a fixed sample of validation windows,
  // the same every time (0: the whole split). The last evaluation scores the whole split.
  int64_t eval_symbols = 0;
  int64_t patience = 0;  // stop after this many evaluations without improvement (0: never)
  // Samples while training (output only: not part of the run, may change on --resume).
  int64_t sample_every = 0;     // steps between samples (0: none)
  int64_t sample_length = 200;  // symbols per sample
  std::vector<double> sample_temperatures{1.0};
  bool force = false;     // replace an existing directory
  bool quiet = false;     // no progress lines
  bool resume = false;    // continue the checkpoint in model_dir exactly where it stopped
  std::string init_from;  // fine-tune: start from this checkpoint's weights and architecture
  std::string cache_dir;  // encoded corpora are cached here ("": the default, "none": off)
  int ranks = 1;          // K, MPI processes (set by train())
  bool allreduce_after_backward = false;  // MPI: no overlap (the same bits, for measuring)
  std::string fault_nan_steps;            // tests only: "A-B" poisons the gradients of steps A..B
  // Not settings: the names of the settings given (flags, API fields), which presets and
  // --resume do not override; and the one that turned the automatic preset off ("": none),
  // which the session says in its log.
  std::vector<std::string> given;
  std::string auto_off_by;
  bool is_given(const std::string& name) const;
};

// The table of every training setting (base/options.h), the tokenizer's and the model's rows
// included: flags, model.json's training.config, validation and the resume check derive from it.
const OptionTable<TrainConfig>& train_options();

// Fills defaults (no stop rule given -> 10 epochs; a fixed preset's values for the settings not
// given) and rejects bad values with a usage Error naming the field. The automatic preset is
// resolved later, by the session, once the corpus and this CPU's speed are known.
void resolve_train_config(TrainConfig& c);

nlohmann::json train_config_json(const TrainConfig& c);
// The inverse of train_config_json, for --resume (throws on a malformed record).
TrainConfig train_config_from_json(const nlohmann::json& j);
// The configuration a resume of checkpoint `dir` runs: its record (`saved`), with the settings
// `given` names that may change on resume (stop rules, output, precision). A given setting that
// may not change and differs from the record is a usage Error naming it and both values.
TrainConfig merge_for_resume(const nlohmann::json& saved, const TrainConfig& given,
                             const std::string& dir);

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
