// checkpoint.h — a checkpoint is a directory: model.json + weights.safetensors (the best
// parameters by validation loss) + last.safetensors and optimizer.safetensors (the latest
// parameters and Adam moments, for resuming). docs/checkpoint-format.md is the reference.
//
// save_checkpoint() writes every file into a staging directory beside the target, fsyncs them,
// then swaps the staging directory in with one rename: a crash at any moment leaves either the
// previous checkpoint or the new one, never a mix.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "checkpoint/safetensors.h"
#include "nn/model.h"
#include "text/tokenizer.h"

namespace charrnn {

constexpr const char* kCheckpointFormat = "charrnn-checkpoint";
constexpr int kCheckpointVersion = 1;

struct HistoryPoint {
  int64_t step = 0;
  int64_t tokens = 0;  // training tokens seen (T * N per step)
  double seconds = 0;  // wall-clock training time so far, evaluation included
  double epoch = 0;
  double train_loss = 0;    // mean minibatch loss since the previous point, nats/symbol
  double val_loss = 0;      // validation loss, nats/symbol
  int64_t val_symbols = 0;  // symbols scored: a fixed sample of the split; 0: the whole split
};

struct TrainState {
  int64_t step = 0, tokens = 0;
  double seconds = 0;
  int64_t epoch = 0, window = 0;  // data position: windows already taken in this epoch
  double lr = 0;
  std::array<uint64_t, 4> rng{};                  // dropout generator (rank 0)
  std::vector<std::array<uint64_t, 4>> rank_rng;  // ranks 1..K-1 under MPI (each has its own)
  double loss_sum = 0;  // training loss accumulated since the last history point
  int64_t loss_steps = 0;
  // The schedule's plans (train/budget.h), kept as the trainer writes them.
  nlohmann::json plans = nlohmann::json::array();
};

struct CorpusInfo {
  std::string name, sha256;
  uint64_t bytes = 0;
  int64_t symbols = 0, train_symbols = 0, val_symbols = 0;
};

struct CheckpointMeta {
  ModelConfig model;
  TokenizerConfig tokenizer;
  std::vector<std::string> symbols;  // in id order
  int unknown_id = -1;               // id of <unk>, -1 when every symbol is known
  nlohmann::json train_config;       // the resolved training flags, as given to the trainer
  TrainState state;
  std::vector<HistoryPoint> history;
  double best_val_loss = std::numeric_limits<double>::quiet_NaN();
  int64_t best_step = -1;
  CorpusInfo corpus;
  // A fine-tuned model's parent (train --init-from): {"path", "weights_sha256", "vocab"};
  // null for a model trained from scratch.
  nlohmann::json parent;
  // How the run chose its size and speed (the automatic preset's candidates, the probe's
  // timings), kept as the trainer writes them; null when nothing was measured.
  nlohmann::json setup;
};

// What a save writes. `last` and the moments may be null (then only the best weights).
// `state` are further training tensors stored beside the moments in optimizer.safetensors
// (the LSTM state carried into the next window, "state.h_l0" ...), for exact resume.
struct CheckpointTensors {
  const float* best = nullptr;
  const float* last = nullptr;
  const float* adam_m = nullptr;
  const float* adam_v = nullptr;
  int64_t adam_steps = 0;
  std::vector<TensorRef> state;
  std::map<std::string, std::string> extra_files;  // e.g. "loss.svg" -> its text
};

void save_checkpoint(const std::string& dir, const CheckpointMeta& meta,
                     const CheckpointTensors& tensors);

struct LoadedCheckpoint {
  std::string dir;
  CheckpointMeta meta;
  nlohmann::json json;                // model.json as read
  std::vector<float> params;          // the requested weights
  std::vector<float> adam_m, adam_v;  // when requested and present
  int64_t adam_steps = 0;
  std::map<std::string, std::vector<float>> state;  // the "state.*" tensors, when requested
};

enum class WhichWeights { best, last };

// Parses and validates the text of a model.json (no tensor files are read); throws Error
// naming `file`. `doc`, when given, receives the parsed document.
CheckpointMeta parse_model_json(const std::string& text, const std::string& file,
                                nlohmann::json* doc = nullptr);

// Where a checkpoint's files are: `dir`, or the previous copy an interrupted save left beside
// it; throws Error when there is none (no directory, or no model.json in it).
std::string checkpoint_files_dir(const std::string& dir);
// Its model.json alone, validated (no tensor file is read).
CheckpointMeta read_checkpoint_meta(const std::string& dir);

// Validates model.json, hashes and shapes; throws Error naming the file and the problem.
LoadedCheckpoint load_checkpoint(const std::string& dir, WhichWeights which = WhichWeights::best,
                                 bool with_optimizer = false);
// What optimizer.safetensors holds: Adam's moments and step count, and the "state.*" tensors.
struct OptimizerTensors {
  std::vector<float> adam_m, adam_v;
  int64_t adam_steps = 0;
  std::map<std::string, std::vector<float>> state;
};

// Reads the optimizer.safetensors that a loaded checkpoint's model.json lists (hash-checked)
// without reading its weights again; false when it lists none.
bool load_optimizer(const LoadedCheckpoint& ck, OptimizerTensors& out);

// True when `dir` holds a model.json (a directory charrnn may overwrite).
bool is_checkpoint_dir(const std::string& dir);
// Where a save puts the previous checkpoint of `dir` while it swaps the new one in
// (parent/.name.old); a loader that finds no `dir` reads it there.
std::string checkpoint_aside_dir(const std::string& dir);

}  // namespace charrnn
