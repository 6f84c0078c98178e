// presets.h — named recipes (tiny, small, medium, large) as data, and the automatic preset that
// sizes the model from the time budget, the corpus and the speed measured on this CPU.
//
// A preset sets the settings marked kPreset in train_options() that were not given; given
// settings always win. The automatic preset's rules come from a sweep (docs/quality.md,
// scripts/sweep_auto.sh), not from one machine's tuning.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "train/train_config.h"

namespace charrnn {

// The values a fixed preset stands for ({} for automatic and none).
nlohmann::ordered_json preset_values(Preset p);
// Applies a fixed preset (tiny .. large) to the settings not given. medium and large also set
// their step count when no stop rule (steps, epochs, minutes) is given.
void apply_fixed_preset(TrainConfig& c);
// An older checkpoint's record has no "preset": the values `given.preset` stands for must be
// its values (but for the settings given, which replaced them), or a usage Error names the
// first that differs.
void check_preset_matches(const TrainConfig& given, const nlohmann::json& saved,
                          const std::string& dir);

// --- the automatic preset

// A size the automatic preset may choose: layers x hidden, embedding, window T, streams N, and
// the peak learning rate measured best for it.
struct SizeCandidate {
  int layers, hidden, embed, seq, batch;
  double lr;
};
// The ladder it chooses from, smallest first.
const std::vector<SizeCandidate>& auto_ladder();
// The sizes a run measures: the ladder with the given settings (layers, hidden, embed, seq,
// batch, lr) in place of each size's. A given width leaves one size, the ladder's nearest in
// width, whose N and lr the run takes where they are not given.
std::vector<SizeCandidate> auto_ladder_for(const TrainConfig& c);

// A size with its training speed measured on this CPU (the faster precision).
struct SizeMeasure {
  SizeCandidate size;
  Dtype dtype;
  double tokens_per_s;
};

struct AutoChoice {
  size_t pick;  // the index of the size in the measured list
  SizeCandidate size;
  Dtype dtype;
  double tokens_per_s;  // its training speed here, as timed (0: not timed)
  double dropout;       // also output dropout
  double weight_drop;
  double weight_decay;
  double tokens;    // the budget in tokens at this size
  double epochs;    // tokens / training symbols
  std::string why;  // one line for the log
};

// The budget of a run in tokens for a size: by time (seconds of training at its speed), or
// fixed (steps x T x N, epochs x training symbols). Both zero: none (10 epochs).
struct BudgetSpec {
  double seconds = 0;  // time budget left for training steps
  int64_t steps = 0;
  double epochs = 0;
};
double budget_tokens(const BudgetSpec& b, const SizeMeasure& m, int64_t train_symbols);

// Whether the corpus can hold a size: at most kMaxParametersPerSymbol parameters per training
// symbol, however long the budget. The ladder grows, so past the first size it cannot hold, none
// can: the run stops timing there.
bool corpus_holds(const SizeCandidate& s, int64_t train_symbols, int vocab);

// Whether a budget of time could feed the larger size `next` kTokensPerParameter tokens per
// parameter, were it to run at twice the tokens/s per parameter of `last`, the size measured
// before it (a larger size keeps the matmuls busier: on the Xeon without AMX 2x768 ran at
// 0.56-0.71 of 2x512's tokens/s with 2.2 times its parameters). When not, the run stops timing.
bool worth_timing(const SizeMeasure& last, const SizeCandidate& next, const BudgetSpec& budget,
                  int64_t train_symbols, int vocab);

// The rule (docs/quality.md, from the sweep): the largest size whose budget gives it at least
// kTokensPerParameter tokens per parameter and which has at most kMaxParametersPerSymbol
// parameters per training symbol, then the regularization by the epochs that budget makes of
// the corpus and by its exposure. `measured` must hold the ladder's sizes, smallest first (a prefix
// of it: a size not measured is not chosen).
AutoChoice choose_auto(const std::vector<SizeMeasure>& measured, const BudgetSpec& budget,
                       int64_t train_symbols, int vocab);

// Writes the choice into `c` where the user gave no value: the size, the regularization, the
// size's lr with a cosine to a tenth of it, and (`by_time`, dtype auto) the measured dtype.
void apply_auto_choice(const AutoChoice& choice, bool by_time, TrainConfig& c);

}  // namespace charrnn
