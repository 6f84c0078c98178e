// train_config.cpp — the table of training settings, defaults, validation, the JSON record of
// a TrainConfig, and the one resume rule (see train_config.h).
#include "train/train_config.h"

#include <algorithm>
#include <cmath>

#include "charrnn/error.h"
#include "train/presets.h"

namespace charrnn {

std::string preset_name(Preset p) {
  switch (p) {
    case Preset::automatic:
      return "auto";
    case Preset::tiny:
      return "tiny";
    case Preset::small:
      return "small";
    case Preset::medium:
      return "medium";
    case Preset::large:
      return "large";
    case Preset::none:
      return "none";
  }
  return "?";
}

bool TrainConfig::is_given(const std::string& name) const {
  return std::find(given.begin(), given.end(), name) != given.end();
}

namespace {

using C = TrainConfig;

// Rows in --help order within each group. Traits: kResumable (may change on --resume),
// kPreset (a preset chooses it unless given), kUnsaved (how to run, not part of the record).
std::vector<Option<C>> data_rows() {
  return {
      option<C, std::vector<std::string>>(
          spec("corpus", "Data", "UTF-8 text file(s) or directories, concatenated")
              .with(kResumable),
          [](C& c) -> std::vector<std::string>& { return c.corpus; }),
      option<C, double>(
          spec("val_frac", "Data", "last fraction held out for validation").between(0, 1).below(1),
          [](C& c) -> double& { return c.val_frac; }),
  };
}

std::vector<Option<C>> optimization_rows() {
  return {
      option<C, int>(
          spec("seq", "Optimization", "BPTT window length (T)").between(1, 100000).with(kPreset),
          [](C& c) -> int& { return c.seq; }),
      option<C, int>(
          spec("batch", "Optimization", "parallel streams (N)").between(1, 100000).with(kPreset),
          [](C& c) -> int& { return c.batch; }),
      option<C, double>(
          spec("lr", "Optimization", "Adam learning rate (peak)").above(0).below(10).with(kPreset),
          [](C& c) -> double& { return c.adam.lr; }),
      option<C, double>(
          spec("beta1", "Optimization", "Adam first-moment decay").between(0, 1).below(1),
          [](C& c) -> double& { return c.adam.beta1; }),
      option<C, double>(
          spec("beta2", "Optimization", "Adam second-moment decay").between(0, 1).below(1),
          [](C& c) -> double& { return c.adam.beta2; }),
      option<C, double>(spec("eps", "Optimization", "Adam epsilon").above(0).below(1),
                        [](C& c) -> double& { return c.adam.eps; }),
      option<C, double>(
          spec("weight_decay", "Optimization", "decoupled weight decay of weight matrices (AdamW)")
              .between(0, 1)
              .below(1)
              .with(kPreset),
          [](C& c) -> double& { return c.adam.weight_decay; }),
      choice<C, Schedule>(
          spec("lr_schedule", "Optimization",
               "cosine: to min_lr at the run's end (steps, epochs or the minutes "
               "given); constant; step: times lr_decay every lr_decay_every steps")
              .with(kPreset),
          [](C& c) -> Schedule& { return c.lr_schedule; },
          {Schedule::cosine, Schedule::constant, Schedule::step}, schedule_name),
      option<C, int64_t>(
          spec("warmup", "Optimization", "steps of linear learning-rate warmup").at_least(0),
          [](C& c) -> int64_t& { return c.warmup; }),
      option<C, double>(
          spec("min_lr", "Optimization", "cosine: final learning rate (0: lr/10)").at_least(0),
          [](C& c) -> double& { return c.min_lr; }),
      option<C, double>(spec("lr_decay", "Optimization", "step: multiply the rate by this ...")
                            .between(0, 1)
                            .above(0),
                        [](C& c) -> double& { return c.lr_decay; }),
      option<C, int64_t>(
          spec("lr_decay_every", "Optimization", "step: ... every this many steps").at_least(1),
          [](C& c) -> int64_t& { return c.lr_decay_every; }),
      option<C, double>(
          spec("clip", "Optimization", "max global gradient norm (0: off)").at_least(0),
          [](C& c) -> double& { return c.clip; }),
      option<C, double>(
          spec("ema", "Optimization",
               "validate and keep an average of the weights, this decay per step (0: off)")
              .between(0, 1)
              .below(1),
          [](C& c) -> double& { return c.ema; }),
      option<C, int64_t>(
          spec("steps", "Optimization", "stop at this many steps in total (0: no limit)")
              .at_least(0)
              .with(kResumable),
          [](C& c) -> int64_t& { return c.steps; }),
      option<C, double>(
          spec("epochs", "Optimization", "stop at this many epochs in total (0: no limit)")
              .at_least(0)
              .with(kResumable),
          [](C& c) -> double& { return c.epochs; }),
      option<C, double>(spec("minutes", "Optimization",
                             "time budget of this run, evaluations included: the schedule anneals "
                             "at its end (0: no limit)")
                            .at_least(0)
                            .with(kResumable),
                        [](C& c) -> double& { return c.minutes; }),
      option<C, uint64_t>(spec("seed", "Optimization", "random seed (initialization, dropout)"),
                          [](C& c) -> uint64_t& { return c.seed; }),
      option<C, int>(spec("threads", "Optimization",
                          "CPU threads (0: every core, or fewer where measured faster)")
                         .between(0, 1024)
                         .with(kResumable | kUnsaved),
                     [](C& c) -> int& { return c.threads; }),
  };
}

std::vector<Option<C>> output_rows() {
  return {
      option<C, std::string>(spec("model", "Output", "checkpoint directory").with(kUnsaved),
                             [](C& c) -> std::string& { return c.model_dir; }),
      option<C, std::string>(spec("init_from", "Output",
                                  "fine-tune: start from this checkpoint's (directory or name) "
                                  "weights and architecture"),
                             [](C& c) -> std::string& { return c.init_from; }),
      option<C, int64_t>(
          spec("eval_every", "Output", "validate and save every N steps (0: at the end)")
              .at_least(0)
              .with(kResumable),
          [](C& c) -> int64_t& { return c.eval_every; }),
      option<C, int>(
          spec("eval_batch", "Output", "validation streams (0: batch)").between(0, 100000),
          [](C& c) -> int& { return c.eval_batch; }),
      option<C, int64_t>(spec("eval_symbols", "Output",
                              "symbols each evaluation during the run scores, a fixed sample of "
                              "the validation split (0: all); the last scores all")
                             .at_least(0)
                             .with(kResumable),
                         [](C& c) -> int64_t& { return c.eval_symbols; }),
      option<C, int64_t>(
          spec("patience", "Output", "stop after N evaluations without improvement (0: never)")
              .at_least(0)
              .with(kResumable),
          [](C& c) -> int64_t& { return c.patience; }),
      option<C, bool>(spec("force", "Output", "replace an existing checkpoint or directory")
                          .with(kResumable | kUnsaved),
                      [](C& c) -> bool& { return c.force; }),
      option<C, bool>(
          spec("quiet", "Output", "print nothing but errors").with(kResumable | kUnsaved),
          [](C& c) -> bool& { return c.quiet; }),
      option<C, int64_t>(spec("sample_every", "Output",
                              "print a sample every N steps, after the evaluation line (0: never)")
                             .at_least(0)
                             .with(kResumable | kUnsaved),
                         [](C& c) -> int64_t& { return c.sample_every; }),
      option<C, int64_t>(spec("sample_length", "Output", "symbols per sample")
                             .between(1, 100000)
                             .with(kResumable | kUnsaved),
                         [](C& c) -> int64_t& { return c.sample_length; }),
      option<C, std::vector<double>>(
          spec("sample_temperature", "Output", "temperature(s) of the samples")
              .between(0, 100)
              .with(kResumable | kUnsaved),
          [](C& c) -> std::vector<double>& { return c.sample_temperatures; }),
      option<C, std::string>(
          spec("cache_dir", "Output",
               "where encoded corpora are cached (\"\": $XDG_CACHE_HOME/charrnn, "
               "none: no cache)")
              .with(kResumable | kUnsaved),
          [](C& c) -> std::string& { return c.cache_dir; }),
      option<C, bool>(spec("allreduce_after_backward", "Output",
                           "MPI: average the gradients after the whole backward pass instead of "
                           "layer by layer during it (the same result; for measuring)")
                          .with(kResumable | kUnsaved),
                      [](C& c) -> bool& { return c.allreduce_after_backward; }),
      option<C, int>(spec("ranks", "Output", "MPI processes").at_least(1).with(kHidden),
                     [](C& c) -> int& { return c.ranks; }),
      option<C, std::string>(spec("fault_nan_steps", "Output",
                                  "tests: A-B puts a NaN in the gradients of steps A to B")
                                 .with(kHidden | kUnsaved | kResumable),
                             [](C& c) -> std::string& { return c.fault_nan_steps; }),
  };
}

OptionTable<C> build_table() {
  OptionTable<C> t(data_rows());
  t.nest<TokenizerConfig>(tokenizer_options(),
                          [](C& c) -> TokenizerConfig& { return c.tokenizer; });
  t.add(choice<C, Preset>(
      spec("preset", "Model",
           "auto: the size the minutes, the corpus and this CPU's speed call for (the default "
           "when no layers, hidden, embed or cell is given); tiny, small, medium, large, none")
          .with(kPreset),
      [](C& c) -> Preset& { return c.preset; },
      {Preset::automatic, Preset::tiny, Preset::small, Preset::medium, Preset::large, Preset::none},
      preset_name));
  t.nest<ModelConfig>(model_options(), [](C& c) -> ModelConfig& { return c.model; });
  for (auto& r : optimization_rows()) t.add(std::move(r));
  for (auto& r : output_rows()) t.add(std::move(r));
  return t;
}

}  // namespace

const OptionTable<TrainConfig>& train_options() {
  static const OptionTable<TrainConfig> table = build_table();
  return table;
}

namespace {

// The first architecture setting given (cell, layers, hidden, embed, in the table's order), ""
// when none.
std::string given_architecture_field(const TrainConfig& c) {
  for (const Option<TrainConfig>& r : train_options().rows())
    if (r.spec.has(kArchitecture) && c.is_given(r.spec.name)) return r.spec.name;
  return "";
}

}  // namespace

void resolve_train_config(TrainConfig& c) {
  const OptionTable<TrainConfig>& table = train_options();
  if (c.corpus.empty() && !c.resume) fail_field("corpus", "is not given", "name a UTF-8 text file");
  // A resumed run has its checkpoint's settings, its preset's among them: applying the preset
  // again would put back the values the run's own flags had replaced.
  if (c.preset == Preset::automatic && !c.is_given("preset") && !c.resume) {
    c.auto_off_by = given_architecture_field(c);
    if (!c.auto_off_by.empty()) c.preset = Preset::none;  // the plain defaults for the rest
  }
  if (!c.init_from.empty()) {
    for (const char* name : {"preset", "cell", "layers", "hidden", "embed", "unit", "normalize",
                             "min_count", "max_vocab", "on_invalid", "script"})
      if (c.is_given(name))
        fail_field(name, "cannot be given with {init_from}",
                   "the architecture and tokenizer are the parent's");
    c.preset = Preset::none;
  }
  if (!c.resume) apply_fixed_preset(c);
  table.validate(c);
  if (c.min_lr > c.adam.lr) fail_field("min_lr", "must be at most lr");
  if (c.tokenizer.max_vocab == 1) fail_field("max_vocab", "must be 0 (no limit) or at least 2");
  if (c.eval_batch == 0) c.eval_batch = c.batch;
  if (c.min_lr == 0) c.min_lr = c.adam.lr / 10;
  if (c.steps == 0 && c.epochs == 0 && c.minutes == 0) c.epochs = 10;  // torch-rnn-like default
  ModelConfig m = c.model;
  m.vocab = 1;  // known only after the corpus is read
  validate_model_config(m);
}

nlohmann::json train_config_json(const TrainConfig& c) {
  return nlohmann::json(train_options().to_json(c, kUnsaved));
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  // Records written before a setting existed lack it: those runs had these values.
  c.preset = Preset::none;
  c.lr_schedule = Schedule::constant;
  c.eval_every = 0;
  try {
    train_options().from_json(j, c);
  } catch (const Error& e) {
    fail(std::string("the checkpoint's training.config is damaged: ") + e.what(),
         "this checkpoint cannot be resumed; start a new run");
  }
  for (const char* key : {"corpus", "layers", "hidden", "embed", "seq", "batch", "lr", "seed"})
    if (!j.contains(key))
      fail(std::string("the checkpoint's training.config is incomplete: no ") + key,
           "this checkpoint cannot be resumed; start a new run");
  return c;
}

TrainConfig merge_for_resume(const nlohmann::json& saved, const TrainConfig& given,
                             const std::string& dir) {
  const OptionTable<TrainConfig>& table = train_options();
  TrainConfig c = train_config_from_json(saved);
  if (given.is_given("model") && given.model_dir != dir)
    fail_field("model", "is " + given.model_dir + " but {resume} continues " + dir,
               "leave {model} out, or give the same directory to both");
  for (const std::string& name : given.given) {
    const Option<TrainConfig>* r = table.find(name);
    if (!r || name == "model") continue;
    if (r->spec.has(kResumable)) {
      r->put(c, r->get(given));
      continue;
    }
    // A fixed preset is compared by the values it stands for (older records have no name).
    if (name == "preset" && !preset_values(given.preset).empty()) continue;
    const nlohmann::json ours = r->get(given), theirs = r->get(c);
    if (ours != theirs)
      fail_field(name,
                 "is " + theirs.dump() + " in the checkpoint " + dir + " but " + ours.dump() +
                     " was given",
                 "leave it out to continue the checkpoint's run, or start a new run");
  }
  if (given.is_given("preset")) check_preset_matches(given, saved, dir);
  // A time budget belongs to one invocation: a run that had only one goes on for as long again.
  if (!given.is_given("minutes") && (c.steps > 0 || c.epochs > 0)) c.minutes = 0;
  c.model_dir = dir;
  c.resume = true;
  c.given = given.given;
  return c;
}

}  // namespace charrnn
