// train_config.cpp — defaults, validation and the JSON record of a TrainConfig.
#include <cmath>

#include "charrnn/error.h"
#include "train/train_config.h"

namespace charrnn {
namespace {

void require_field(bool ok, const std::string& field, const std::string& problem,
                   const std::string& hint = {}) {
  if (!ok) fail_field(field, problem, hint);
}

}  // namespace

void resolve_train_config(TrainConfig& c) {
  if (c.corpus.empty()) fail_usage("no corpus given", "pass --corpus FILE");
  require_field(c.seq >= 1 && c.seq <= 100000, "seq",
                "must be between 1 and 100000, got " + std::to_string(c.seq));
  require_field(c.batch >= 1 && c.batch <= 100000, "batch",
                "must be between 1 and 100000, got " + std::to_string(c.batch));
  require_field(c.val_frac >= 0 && c.val_frac < 1, "val_frac",
                "must be in [0, 1), got " + std::to_string(c.val_frac));
  require_field(std::isfinite(c.adam.lr) && c.adam.lr > 0 && c.adam.lr < 10, "lr",
                "must be a positive number below 10, got " + std::to_string(c.adam.lr),
                "2e-3 is a good start");
  require_field(
      std::isfinite(c.adam.weight_decay) && c.adam.weight_decay >= 0 && c.adam.weight_decay < 1,
      "weight_decay", "must be in [0, 1)");
  require_field(std::isfinite(c.clip) && c.clip >= 0, "clip",
                "must be >= 0 (0 turns clipping off), got " + std::to_string(c.clip));
  require_field(c.lr_schedule == "constant" || c.lr_schedule == "cosine" || c.lr_schedule == "step",
                "lr_schedule", "must be constant, cosine or step, got '" + c.lr_schedule + "'");
  require_field(c.warmup >= 0, "warmup", "must be >= 0");
  require_field(std::isfinite(c.ema) && c.ema >= 0 && c.ema < 1, "ema",
                "must be in [0, 1) (0: off), got " + std::to_string(c.ema),
                "0.999 averages about the last 1,000 steps");
  require_field(std::isfinite(c.min_lr) && c.min_lr >= 0 && c.min_lr <= c.adam.lr, "min_lr",
                "must be in [0, lr]");
  require_field(std::isfinite(c.lr_decay) && c.lr_decay > 0 && c.lr_decay <= 1, "lr_decay",
                "must be in (0, 1]");
  require_field(c.lr_decay_every >= 1, "lr_decay_every", "must be >= 1");
  require_field(c.steps >= 0, "steps", "must be >= 0");
  require_field(std::isfinite(c.epochs) && c.epochs >= 0, "epochs", "must be >= 0");
  require_field(std::isfinite(c.minutes) && c.minutes >= 0, "minutes", "must be >= 0");
  require_field(c.eval_every >= 0, "eval_every", "must be >= 0 (0: only at the end)");
  require_field(c.eval_batch >= 0 && c.eval_batch <= 100000, "eval_batch",
                "must be between 0 and 100000");
  require_field(c.patience >= 0, "patience", "must be >= 0 (0: never stop early)");
  if (c.eval_batch == 0) c.eval_batch = c.batch;
  if (c.min_lr == 0) c.min_lr = c.adam.lr / 10;
  if (c.steps == 0 && c.epochs == 0 && c.minutes == 0) c.epochs = 10;  // torch-rnn-like default
  if (c.lr_schedule == "cosine" && c.steps == 0 && c.epochs == 0)
    fail_usage("--lr-schedule cosine needs --steps or --epochs to know where it ends");
  ModelConfig m = c.model;
  m.vocab = 1;  // known only after the corpus is read
  validate_model_config(m);
}

nlohmann::json train_config_json(const TrainConfig& c) {
  return {{"corpus", c.corpus},
          {"val_frac", c.val_frac},
          {"unit", c.tokenizer.unit},
          {"normalize", c.tokenizer.normalize},
          {"on_invalid", c.tokenizer.on_invalid},
          {"min_count", c.tokenizer.min_count},
          {"max_vocab", c.tokenizer.max_vocab},
          {"script", c.tokenizer.script},
          {"layers", c.model.layers},
          {"hidden", c.model.hidden},
          {"embed", c.model.embed},
          {"cell", cell_name(c.model.cell)},
          {"dtype", dtype_name(c.model.dtype)},
          {"dropout", c.model.dropout},
          {"output_dropout", c.model.output_dropout},
          {"weight_drop", c.model.weight_drop},
          {"seq", c.seq},
          {"batch", c.batch},
          {"lr", c.adam.lr},
          {"beta1", c.adam.beta1},
          {"beta2", c.adam.beta2},
          {"eps", c.adam.eps},
          {"weight_decay", c.adam.weight_decay},
          {"lr_schedule", c.lr_schedule},
          {"warmup", c.warmup},
          {"min_lr", c.min_lr},
          {"lr_decay", c.lr_decay},
          {"lr_decay_every", c.lr_decay_every},
          {"clip", c.clip},
          {"ema", c.ema},
          {"steps", c.steps},
          {"epochs", c.epochs},
          {"minutes", c.minutes},
          {"seed", c.seed},
          {"eval_every", c.eval_every},
          {"eval_batch", c.eval_batch},
          {"patience", c.patience},
          {"ranks", c.ranks},
          {"init_from", c.init_from}};
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  try {
    c.corpus = j.at("corpus").get<std::vector<std::string>>();
    c.val_frac = j.at("val_frac");
    c.tokenizer.unit = j.at("unit");
    c.tokenizer.normalize = j.at("normalize");
    c.tokenizer.on_invalid = j.value("on_invalid", "error");
    c.tokenizer.min_count = j.value("min_count", int64_t(1));
    c.tokenizer.max_vocab = j.value("max_vocab", int64_t(0));
    c.tokenizer.script = j.value("script", "keep");
    c.model.cell = parse_cell(j.value("cell", "lstm"));
    c.model.dtype = parse_dtype(j.value("dtype", "f32"));
    c.model.layers = j.at("layers");
    c.model.hidden = j.at("hidden");
    c.model.embed = j.at("embed");
    c.model.dropout = j.value("dropout", 0.0);
    c.model.output_dropout = j.value("output_dropout", 0.0);
    c.model.weight_drop = j.value("weight_drop", 0.0);
    c.seq = j.at("seq");
    c.batch = j.at("batch");
    c.adam.lr = j.at("lr");
    c.adam.beta1 = j.at("beta1");
    c.adam.beta2 = j.at("beta2");
    c.adam.eps = j.at("eps");
    c.adam.weight_decay = j.value("weight_decay", 0.0);
    c.lr_schedule = j.value("lr_schedule", "constant");
    c.warmup = j.value("warmup", int64_t(0));
    c.min_lr = j.value("min_lr", 0.0);
    c.lr_decay = j.value("lr_decay", 0.5);
    c.lr_decay_every = j.value("lr_decay_every", int64_t(1000));
    c.clip = j.at("clip");
    c.ema = j.value("ema", 0.0);
    c.steps = j.at("steps");
    c.epochs = j.at("epochs");
    c.minutes = j.at("minutes");
    c.seed = j.at("seed");
    c.eval_every = j.at("eval_every");
    c.eval_batch = j.at("eval_batch");
    c.patience = j.value("patience", int64_t(0));
    c.ranks = j.value("ranks", 1);
    c.init_from = j.value("init_from", "");
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("the checkpoint's training.config is incomplete: ") + e.what(),
         "this checkpoint cannot be resumed; start a new run");
  }
  return c;
}

}  // namespace charrnn
