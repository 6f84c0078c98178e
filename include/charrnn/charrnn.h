// charrnn.h — the public C++ API of charrnn: character-level LSTM language models on the CPU.
//
//   #include <charrnn/charrnn.h>
//   charrnn::Model m = charrnn::Model::open("kjv-small");          // a directory or a model name
//   m.generate("And God said", 200, {}, [](const std::string& s) {  // streams, symbol by symbol
//     std::cout << s << std::flush;
//     return true;                                                  // false stops
//   });
//
// Link with find_package(charrnn) and target charrnn::charrnn, or `pkg-config --cflags --libs
// charrnn`. Everything here is std C++17; oneDNN, ICU, JSON and MPI stay inside the library.
// Every failure throws charrnn::Error (error.h) with the message the charrnn command prints;
// messages name fields ("temperature must be ..."), not command-line flags.
//
// Threads: a Model may be used from several threads at once (each call builds its own network;
// the weights are shared and read-only). The library computes with OpenMP; set its thread count
// with set_threads() or OMP_NUM_THREADS.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "charrnn/error.h"
#include "charrnn/sample_options.h"
#include "charrnn/version.h"

namespace charrnn {

// The library's version at run time, "MAJOR.MINOR.PATCH" (CHARRNN_VERSION_STRING at build time).
const char* version();

// OpenMP threads for everything that follows, on every thread that calls the library; 0:
// every core. A call that computes sets its thread's OpenMP team size to it, and leaves it so.
void set_threads(int threads);

// ---------------------------------------------------------------------------------------------
// Models

// Where a model name (no '/') is looked for, in order: $CHARRNN_MODEL_PATH (directories
// separated by ':'), $XDG_DATA_HOME/charrnn/models (default ~/.local/share/charrnn/models),
// <the running program's directory>/../share/charrnn/models, and the installed models
// (<prefix>/share/charrnn/models). An existing directory path is always taken as it is.
std::vector<std::string> model_search_path();
// The checkpoint directory for `model` (a path or a name); throws Error listing where it looked.
std::string locate_model(const std::string& model);

struct OpenOptions {
  std::string weights = "best";  // "best" (by validation loss) or "last" (the latest step)
  std::string dtype = "f32";     // "f32", or "bf16" (AVX512-BF16/AMX; f32 on other CPUs)
};

struct Generation {
  std::string text;           // the continuation (the prompt is not repeated)
  int64_t symbols = 0;        // symbols generated (a stop string's included)
  std::string finish_reason;  // "length" (all generated), "stop" (a stop string or the end of
                              // a poem's form) or "stopped" (the callback)
  double nats_per_char = 0;   // mean -log p(symbol) of the generated symbols under the model
                              // (temperature 1, before top-k/top-p)
};

// Dynamic evaluation (Krause et al. 2018): the text is read as one stream, `segment` symbols
// at a time; after scoring a segment the weights take an RMS-normalised gradient step of size
// `step` on it, and are pulled back towards the trained weights by `decay`. The mean squared
// gradients come from the checkpoint's Adam moments (optimizer.safetensors), or where it has
// none, from the text's own segments already scored. Defaults tuned on the first half of
// tinyshakespeare's validation split (docs/usage.md).
struct DynamicEvalOptions {
  bool enabled = false;
  int segment = 20;
  double step = -1;  // < 0: 3e-5 with Adam's moments, 3e-4 with the text's (their scales differ)
  double decay = 1e-3;
};

struct ScoreOptions {
  int batch = 32;  // the text is cut into this many streams ...
  int seq = 100;   // ... read in windows of this many symbols, the state carried between them
  std::string name = "text";   // what error messages call the text (its file's name, say)
  DynamicEvalOptions dynamic;  // when enabled, batch and seq are not used
};

struct Score {
  int64_t symbols = 0;    // symbols in the text
  int64_t predicted = 0;  // symbols scored (all but the first)
  double nats_per_char = 0, bits_per_char = 0, perplexity = 0;
  std::string statistics;  // dynamic evaluation: where the mean squared gradients came from,
                           // "adam" or "text"; empty otherwise
  double step = 0;         // dynamic evaluation: the step size used
};

struct HistoryEntry {
  int64_t step = 0, tokens = 0;
  double seconds = 0, epoch = 0, train_loss = 0, val_loss = 0;  // losses in nats/symbol
};

// What `charrnn inspect` shows.
struct ModelCard {
  std::string name, dir;  // name: the directory's last component
  std::string cell;       // "lstm", "gru" or "rnn"
  int layers = 0, hidden = 0, embed = 0, vocab = 0;
  int64_t parameters = 0;
  std::string unit, normalize;       // how text becomes symbols
  std::vector<std::string> symbols;  // the vocabulary, in id order
  int64_t steps = 0, tokens = 0;     // training so far
  double seconds = 0;
  double best_val_loss = 0;  // nats/symbol; NaN without a validation split
  int64_t best_step = -1;
  std::string corpus;  // the corpus's name
  uint64_t corpus_bytes = 0;
  std::vector<HistoryEntry> history;  // one entry per evaluation
  std::string json;                   // model.json itself (`charrnn inspect --json`)
};

class Model {
 public:
  // Opens a checkpoint directory or an installed model by name (locate_model), checking every
  // file's SHA-256.
  static Model open(const std::string& model, const OpenOptions& options = {});

  const ModelCard& card() const;

  // Generates up to `length` symbols after `prompt` (empty: from a new line), calling
  // on_symbol with the text as it is sampled (a symbol, or with stop strings, what is known
  // not to start one); on_symbol returning false stops early.
  // Prompt symbols missing from the vocabulary are an Error that names them.
  Generation generate(const std::string& prompt, int64_t length, const SampleOptions& options = {},
                      const std::function<bool(const std::string& symbol)>& on_symbol = {}) const;

  // n independent samples of the same prompt, computed as one batch; on_symbol(k, symbol)
  // returning false stops sample k. Sample k draws with seed + k, so it equals generate() with
  // that seed.
  std::vector<Generation> generate_n(
      const std::string& prompt, int64_t length, int n, const SampleOptions& options = {},
      const std::function<bool(int sample, const std::string& symbol)>& on_symbol = {}) const;

  // The most likely continuation of `length` symbols that a beam of `width` finds (sum of
  // log p at temperature 1); deterministic. Stop strings end the text before the first one.
  Generation beam_search(const std::string& prompt, int64_t length, int width,
                         const std::vector<std::string>& stop = {}) const;

  // How well the model predicts `text`, prepared with the model's own tokenizer settings.
  Score score(const std::string& text, const ScoreOptions& options = {}) const;

  // A copy whose weights have read `text` with dynamic evaluation's updates (options.enabled
  // is not consulted): generate from it to continue in the style of a long prompt.
  Model adapted(const std::string& text, const DynamicEvalOptions& options = {}) const;

  // For those who write their own decoding: the network's state after `prompt` (empty: from a
  // new line), stepped one symbol at a time. logits() are the next symbol's, one per
  // vocabulary entry (card().symbols), in the order generate() draws from them (before
  // temperature); feed() reads a symbol. Allocates once; each feed is one T = 1 step.
  class Cursor {
   public:
    const std::vector<float>& logits() const { return logits_; }
    void feed(int id);                   // the symbol with this id (0 .. vocab-1)
    void feed(const std::string& text);  // each symbol of text, in the model's tokenization
    int64_t position() const { return position_; }  // symbols read, the prompt's included
    struct State;

   private:
    friend class Model;
    explicit Cursor(std::shared_ptr<State> state);
    std::shared_ptr<State> state_;
    std::vector<float> logits_;
    int64_t position_ = 0;
  };
  Cursor start(const std::string& prompt) const;

  struct Impl;

 private:
  explicit Model(std::shared_ptr<const Impl> impl);
  friend std::shared_ptr<const Impl> impl_of(const Model& m);
  std::shared_ptr<const Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Training

// What to train. A field left at its default here counts as not given: the automatic preset
// (or the checkpoint, on resume) decides it. Every other training setting can be given by name
// in `settings` (the names of docs/usage.md's flags without "--"), as the text a flag takes:
// {"weight_drop", "0.3"}, {"lr_schedule", "constant"}, {"corpus", "[\"a.txt\", \"b.txt\"]"}.
struct TrainOptions {
  std::vector<std::string> corpus;        // UTF-8 text files or directories, concatenated
  std::string model_dir;                  // the checkpoint directory it writes
  bool force = false;                     // replace an existing checkpoint
  bool resume = false;                    // continue the checkpoint in model_dir exactly
  double val_frac = 0.1;                  // the last fraction of the corpus held out for validation
  std::string cell = "lstm";              // "lstm", "gru" or "rnn"
  int layers = 0, hidden = 0, embed = 0;  // 0: chosen by the preset (automatic by default)
  double dropout = -1;                    // between layers; < 0: the preset's
  std::string dtype = "auto";             // "auto" (the faster, measured), "f32" or "bf16"
  int seq = 0, batch = 0;                 // BPTT window, parallel streams; 0: the preset's
  double lr = 0, clip = 5;  // Adam learning rate (0: the preset's), max gradient norm (0: off)
  int64_t steps = 0;        // stop rules; none given: 10 epochs
  double epochs = 0, minutes = 0;  // minutes: the time budget; the schedule anneals at its end
  uint64_t seed = 1;
  int64_t eval_every = 200;  // validate and save every this many steps
  int64_t sample_every = 0;  // report a sample (TrainProgress::Kind::sample) every N steps
  int64_t sample_length = 200;
  std::vector<double> sample_temperatures{1.0};
  std::map<std::string, std::string> settings;  // any other setting, by name (see above)
};

struct TrainProgress {
  enum class Kind { info, step, eval, warning, sample } kind;
  std::string text;  // info, warning: one line for a person; settings as {name} (Error::spelled)
  int64_t step = 0, total_steps = 0;
  double epoch = 0, loss = 0;  // step: mean training loss since the last report
  double tokens_per_s = 0, seconds = 0, eta_seconds = -1;
  double val_loss = 0;             // eval: the validation loss (nats/symbol)
  bool improved = false;           // eval: a new best, saved as the model's weights
  double temperature = 0;          // sample: its temperature (and step: the step it was drawn at)
  int64_t patience_exhausted = 0;  // eval: > 0 when this many evaluations without a new best
                                   // end the run (the patience setting)
};

struct TrainSummary {
  int64_t steps = 0, tokens = 0;
  double seconds = 0;
  double best_val_loss = 0;
  int64_t best_step = -1;
  bool interrupted = false;    // *stop became true; the state was saved for resume
  bool early_stopped = false;  // the patience setting ended the run
  std::string model_dir;       // where the checkpoint is
};

// Trains until a stop rule or until *stop becomes true, then saves; on_progress is called from
// the calling thread.
TrainSummary train(const TrainOptions& options,
                   const std::function<void(const TrainProgress&)>& on_progress = {},
                   const std::atomic<bool>* stop = nullptr);

}  // namespace charrnn
