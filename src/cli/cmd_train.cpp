// cmd_train.cpp — `charrnn train`: flags (or a preset, or a checkpoint to resume) ->
// TrainConfig -> train(), with SIGINT/SIGTERM finishing the current step and saving before
// exiting 130.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "charrnn/charrnn.h"
#include "charrnn/error.h"
#include "checkpoint/checkpoint.h"
#include "cli.h"
#include "progress.h"
#include "train/comm.h"
#include "train/trainer.h"

namespace charrnn::cli {
namespace {

namespace fs = std::filesystem;

const char* kTrainUsage =
    "usage: charrnn train --corpus FILE|DIR [...] --model DIR [options]\n"
    "       charrnn train --resume DIR [--steps N | --epochs E | --minutes M ...]\n"
    "\n"
    "Learns a character-level LSTM language model. The last --val-frac of the corpus is held\n"
    "out and scored in full every --eval-every steps; DIR keeps the best weights by validation\n"
    "loss (weights.safetensors), the latest state (last.safetensors, optimizer.safetensors)\n"
    "and loss.svg. Without --steps, --epochs or --minutes, training runs 10 epochs.\n"
    "--resume continues exactly where DIR stopped; --steps and --epochs are totals for the\n"
    "model, --minutes is this invocation's budget.\n"
    "\n"
    "presets (--preset; explicit flags win):\n"
    "  tiny    1 x 64,   embed 32, T 50,  N 32                         (seconds; tests)\n"
    "  small   2 x 128,  embed 64, T 50,  N 50                         (the defaults)\n"
    "  medium  2 x 1024, embed 64, T 100, N 64, dropout 0.5 (between layers and on the output),\n"
    "          weight drop 0.5, weight decay 0.1, lr 2e-3 cosine to 2e-4 over 7,200 steps\n"
    "          (--steps 7200 unless a step or epoch limit is given), bf16 where the CPU has AMX\n"
    "          (tuned on tinyshakespeare for 90 minutes on 2 cores, see README)\n"
    "  large   3 x 1024, embed 128, T 100, N 32, dropout 0.5, weight decay 0.1, lr 1e-3 cosine\n"
    "          to 1e-4 over 20,000 steps, bf16 where the CPU has AMX";

// Flags that may differ on --resume: stop rules, output, and what does not change the run
// (threads, precision, the corpus's path as long as its bytes are the same). Any other flag may
// be given too, as the original command had it; only a value that differs is refused.
const std::set<std::string> kResumeFlags = {"resume",     "steps",    "epochs", "minutes",
                                            "eval-every", "patience", "quiet",  "threads",
                                            "corpus",     "dtype",    "force"};
// The training.config keys a preset sets (besides its stop rule and precision).
const std::vector<std::string> kPresetKeys = {
    "layers",       "hidden",      "embed",          "seq",        "batch", "dropout", "lr",
    "weight_decay", "lr_schedule", "output_dropout", "weight_drop"};

bool given(const po::variables_map& vm, const char* name) {
  return vm.count(name) && !vm[name].defaulted();
}

void apply_preset(const std::string& name, const po::variables_map& vm, TrainConfig& c) {
  struct P {
    int layers, hidden, embed, seq, batch;
    double dropout, lr;
  };
  P p;
  if (name == "tiny")
    p = {1, 64, 32, 50, 32, 0.0, 2e-3};
  else if (name == "small")
    p = {2, 128, 64, 50, 50, 0.0, 2e-3};
  else if (name == "medium")
    p = {2, 1024, 64, 100, 64, 0.5, 2e-3};
  else if (name == "large")
    p = {3, 1024, 128, 100, 32, 0.5, 1e-3};
  else
    fail_usage("unknown --preset '" + name + "'", "use tiny, small, medium or large");
  if (!given(vm, "layers")) c.model.layers = p.layers;
  if (!given(vm, "hidden")) c.model.hidden = p.hidden;
  if (!given(vm, "embed")) c.model.embed = p.embed;
  if (!given(vm, "seq")) c.seq = p.seq;
  if (!given(vm, "batch")) c.batch = p.batch;
  if (!given(vm, "dropout")) c.model.dropout = p.dropout;
  if (!given(vm, "lr")) c.adam.lr = p.lr;
  if (name == "medium" || name == "large") {
    // Tuned on tinyshakespeare (README): 2x512 overfits 1M characters at about 1.435 even with
    // dropout 0.5, AdamW decay and a cosine schedule; 2x1024 with dropout on every
    // non-recurrent connection and DropConnect on the recurrent weights goes lower, and N = 64
    // runs 1.4x the tokens/s of N = 32 at that size.
    if (!given(vm, "weight-decay")) c.adam.weight_decay = 0.1;
    if (!given(vm, "lr-schedule")) c.lr_schedule = "cosine";
    if (!given(vm, "steps") && !given(vm, "epochs")) c.steps = name == "medium" ? 7200 : 20000;
    // Same loss, 2.2x the f32 speed on AMX; with AVX512-BF16 alone (no AMX) measured at 0.63x
    // (2x1024, N 64, 2 threads, Xeon model 207 under KVM: 1,930 against 3,077 tokens/s).
    if (!given(vm, "dtype") && cpu_has_amx()) c.model.dtype = Dtype::bf16;
  }
  if (name == "medium") {
    if (!given(vm, "output-dropout")) c.model.output_dropout = 0.5;
    if (!given(vm, "weight-drop")) c.model.weight_drop = 0.5;
  }
}

// Refuses a given flag whose value differs from the checkpoint's: --hidden 64 against 128 would
// silently train another model. `flags` is the configuration the same command would start.
void check_same_as_checkpoint(const std::string& dir, const po::variables_map& vm,
                              const TrainConfig& flags, const nlohmann::json& saved) {
  if (given(vm, "model") && fs::weakly_canonical(flags.model_dir) != fs::weakly_canonical(dir))
    fail_usage("--model is " + flags.model_dir + " but --resume continues " + dir,
               "drop --model, or give the same directory to both");
  TrainConfig resolved = flags;  // as resolve_train_config stores them
  if (resolved.eval_batch == 0) resolved.eval_batch = resolved.batch;
  if (resolved.min_lr == 0) resolved.min_lr = resolved.adam.lr / 10;
  const nlohmann::json ours = train_config_json(resolved);
  std::vector<std::pair<std::string, std::string>> keys;  // (training.config key, flag given)
  for (const auto& [name, value] : vm) {
    if (value.defaulted() || kResumeFlags.count(name) || name == "model") continue;
    if (name == "preset") {
      for (const std::string& key : kPresetKeys) keys.emplace_back(key, "preset");
    } else {
      std::string key = name;
      std::replace(key.begin(), key.end(), '-', '_');
      keys.emplace_back(key, name);
    }
  }
  for (const auto& [key, flag] : keys) {
    if (!ours.contains(key) || !saved.contains(key) || ours[key] == saved[key]) continue;
    const std::string what =
        flag == "preset"
            ? "--preset " + vm["preset"].as<std::string>() + " sets " + key + " to " +
                  ours[key].dump() + ", but the checkpoint " + dir + " has " + saved[key].dump()
            : "--" + flag + " is " + saved[key].dump() + " in the checkpoint " + dir + " but " +
                  ours[key].dump() + " was given";
    fail_usage(
        what, "drop --" + flag +
                  " to continue the checkpoint's run, or start a new run with --model and --force");
  }
}

// --init-from takes the parent's architecture and tokenizer: flags that would change them are
// refused rather than silently ignored. The parent may be named as an installed model.
void check_init_from(const po::variables_map& vm, TrainConfig& c, const std::string& resume) {
  for (const char* flag : {"preset", "cell", "layers", "hidden", "embed", "unit", "normalize",
                           "min-count", "max-vocab", "on-invalid", "script"})
    if (given(vm, flag))
      fail_usage(std::string("--") + flag + " cannot be given with --init-from",
                 std::string("the architecture and tokenizer are the parent's; drop --") + flag);
  if (!resume.empty() && !given(vm, "corpus"))
    fail_usage("--init-from starts a new run",
               "drop --init-from to resume, or --resume to fine-tune");
  c.init_from = locate_model(c.init_from);
}

// The checkpoint's own configuration, with only stop rules and output flags replaced.
TrainConfig resume_config(const std::string& dir, const po::variables_map& vm,
                          const TrainConfig& flags) {
  LoadedCheckpoint ck = load_checkpoint(dir, WhichWeights::last);
  check_same_as_checkpoint(dir, vm, flags, ck.meta.train_config);
  TrainConfig c = train_config_from_json(ck.meta.train_config);
  c.model_dir = dir;
  c.resume = true;
  c.quiet = flags.quiet;
  if (given(vm, "corpus")) c.corpus = flags.corpus;  // moved files: the SHA-256 must still match
  if (given(vm, "steps")) c.steps = flags.steps;
  if (given(vm, "epochs")) c.epochs = flags.epochs;
  // A time budget belongs to one invocation: a run that had only one goes on for as long again.
  if (given(vm, "minutes"))
    c.minutes = flags.minutes;
  else if (c.steps > 0 || c.epochs > 0)
    c.minutes = 0;
  if (given(vm, "eval-every")) c.eval_every = flags.eval_every;
  if (given(vm, "patience")) c.patience = flags.patience;
  c.sample_every = flags.sample_every;  // output: this invocation's
  c.sample_length = flags.sample_length;
  c.sample_temperatures = flags.sample_temperatures;
  // The precision may change (weights are f32); a bf16 run resumed on a CPU without bf16 falls
  // back.
  c.model.dtype = given(vm, "dtype") ? flags.model.dtype : resolve_dtype(dtype_name(c.model.dtype));
  return c;
}

}  // namespace

int cmd_train(int argc, char** argv, const std::atomic<bool>* stop) {
  TrainConfig c;
  int threads = 0;
  std::string preset, resume;
  std::vector<double> temperatures;
  po::options_description data("Data");
  data.add_options()("corpus", po::value(&c.corpus)->multitoken(),
                     "UTF-8 text file(s) or directories, concatenated")(
      "val-frac", po::value(&c.val_frac)->default_value(c.val_frac),
      "last fraction held out for validation")(
      "normalize", po::value(&c.tokenizer.normalize)->default_value(c.tokenizer.normalize),
      "Unicode normalization: nfc, nfkc or none")(
      "unit", po::value(&c.tokenizer.unit)->default_value(c.tokenizer.unit),
      "symbol unit: codepoint or grapheme")(
      "min-count", po::value(&c.tokenizer.min_count)->default_value(c.tokenizer.min_count),
      "rarer symbols become <unk>")(
      "max-vocab", po::value(&c.tokenizer.max_vocab)->default_value(c.tokenizer.max_vocab),
      "keep the most frequent symbols, <unk> included (0: all)")(
      "on-invalid", po::value(&c.tokenizer.on_invalid)->default_value(c.tokenizer.on_invalid),
      "invalid UTF-8: error or replace (with U+FFFD)")(
      "script", po::value(&c.tokenizer.script)->default_value(c.tokenizer.script),
      "Chinese script of every text: simplified, traditional or keep");
  std::string cell = "lstm", dtype = "f32";
  po::options_description model("Model");
  model.add_options()("preset", po::value(&preset), "tiny, small, medium or large (see above)")(
      "cell", po::value(&cell)->default_value(cell),
      "recurrent cell: lstm, gru (PyTorch's nn.GRU) or rnn (tanh)")(
      "dtype", po::value(&dtype)->default_value(dtype),
      "compute precision: f32, or bf16 (AMX; f32 master weights)")(
      "layers", po::value(&c.model.layers)->default_value(c.model.layers), "LSTM layers (L)")(
      "hidden", po::value(&c.model.hidden)->default_value(c.model.hidden), "LSTM state width (H)")(
      "embed", po::value(&c.model.embed)->default_value(c.model.embed), "embedding width (E)")(
      "dropout", po::value(&c.model.dropout)->default_value(c.model.dropout),
      "dropout between LSTM layers")(
      "output-dropout", po::value(&c.model.output_dropout)->default_value(c.model.output_dropout),
      "dropout on the last layer's output, before the head")(
      "weight-drop", po::value(&c.model.weight_drop)->default_value(c.model.weight_drop),
      "DropConnect on the recurrent weights, one mask per step (AWD-LSTM)");
  po::options_description opt("Optimization");
  opt.add_options()("seq", po::value(&c.seq)->default_value(c.seq), "BPTT window length (T)")(
      "batch", po::value(&c.batch)->default_value(c.batch), "parallel streams (N)")(
      "lr", po::value(&c.adam.lr)->default_value(c.adam.lr), "Adam learning rate (peak)")(
      "lr-schedule", po::value(&c.lr_schedule)->default_value(c.lr_schedule),
      "constant, cosine (to --min-lr at the last step) or step")(
      "warmup", po::value(&c.warmup)->default_value(c.warmup),
      "steps of linear learning-rate warmup")("min-lr",
                                              po::value(&c.min_lr)->default_value(c.min_lr),
                                              "cosine: final learning rate (0: lr/10)")(
      "lr-decay", po::value(&c.lr_decay)->default_value(c.lr_decay),
      "step: multiply the rate by this ...")(
      "lr-decay-every", po::value(&c.lr_decay_every)->default_value(c.lr_decay_every),
      "step: ... every this many steps")(
      "weight-decay", po::value(&c.adam.weight_decay)->default_value(c.adam.weight_decay),
      "decoupled weight decay of weight matrices")(
      "clip", po::value(&c.clip)->default_value(c.clip), "max global gradient norm (0: off)")(
      "ema", po::value(&c.ema)->default_value(c.ema),
      "validate and keep an average of the weights, this decay per step (0: off)")(
      "steps", po::value(&c.steps)->default_value(c.steps),
      "stop at this many steps in total (0: no limit)")(
      "epochs", po::value(&c.epochs)->default_value(c.epochs),
      "stop at this many epochs in total (0: no limit)")(
      "minutes", po::value(&c.minutes)->default_value(c.minutes),
      "stop after this many minutes of this run (0: no limit)")(
      "seed", po::value(&c.seed)->default_value(c.seed), "random seed (initialization, dropout)")(
      "threads", po::value(&threads)->default_value(0), "CPU threads (0: all cores)");
  po::options_description out("Output");
  out.add_options()("model", po::value(&c.model_dir), "checkpoint directory")(
      "resume", po::value(&resume), "continue the checkpoint in this directory exactly")(
      "init-from", po::value(&c.init_from),
      "fine-tune: start from this checkpoint's (directory or name) weights and architecture")(
      "eval-every", po::value(&c.eval_every)->default_value(200),
      "validate and save every N steps (0: at the end)")(
      "eval-batch", po::value(&c.eval_batch)->default_value(c.eval_batch),
      "validation streams (0: --batch)")("patience",
                                         po::value(&c.patience)->default_value(c.patience),
                                         "stop after N evaluations without improvement (0: never)")(
      "force", po::bool_switch(&c.force), "replace an existing checkpoint or directory")(
      "quiet", po::bool_switch(&c.quiet), "print nothing but errors")(
      "sample-every", po::value(&c.sample_every)->default_value(c.sample_every),
      "print a sample every N steps, after the evaluation line (0: never)")(
      "sample-length", po::value(&c.sample_length)->default_value(c.sample_length),
      "symbols per sample")("sample-temperature", po::value(&temperatures)->multitoken(),
                            "temperature(s) of the samples (default 1)");
  po::variables_map vm;
  if (!parse(argc, argv, kTrainUsage, {data, model, opt, out}, vm)) return kExitOk;
  set_threads(threads, Workload::train);
  c.model.cell = parse_cell(cell);
  c.model.dtype = resolve_dtype(dtype);
  if (!temperatures.empty()) c.sample_temperatures = temperatures;
  if (c.sample_every < 0) fail_usage("--sample-every must be >= 0 (0: no samples)");
  if (c.sample_length < 1 || c.sample_length > 100000)
    fail_usage("--sample-length must be between 1 and 100000");
  for (double t : c.sample_temperatures)
    if (!(t >= 0 && t <= 100)) fail_usage("--sample-temperature must be between 0 and 100");
  if (!c.init_from.empty()) check_init_from(vm, c, resume);
  if (!preset.empty()) apply_preset(preset, vm, c);
  if (!resume.empty()) {
    c = resume_config(resume, vm, c);
  } else {
    if (c.corpus.empty())
      fail_usage("the option '--corpus' is required", "pass --corpus FILE (or --resume DIR)");
    if (c.model_dir.empty()) fail_usage("the option '--model' is required", "pass --model DIR");
  }

  Progress progress(stdout, c.quiet);
  TrainResult r = train(c, stop, [&](const TrainEvent& e) { progress.event(e); });
  const bool speaker = comm::rank() == 0;  // under MPI, rank 0 alone reports
  if (!c.quiet && speaker) {
    std::printf("done: %lld steps, %s tokens in %.1f s", (long long)r.steps,
                with_commas(r.tokens).c_str(), r.seconds);
    if (!std::isnan(r.best_val_loss) && r.best_step >= 0)
      std::printf("; best val %.4f nats/char (%.3f bits/char) at step %lld", r.best_val_loss,
                  r.best_val_loss / std::log(2.0), (long long)r.best_step);
    std::printf("; saved in %s\n", c.model_dir.c_str());
  }
  if (r.interrupted) {
    if (speaker)
      std::fprintf(stderr,
                   "charrnn: interrupted; the checkpoint in %s is saved (resume: charrnn train "
                   "--resume %s)\n",
                   c.model_dir.c_str(), c.model_dir.c_str());
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace charrnn::cli
