// train_config.cpp — defaults, validation and the JSON record of a TrainConfig.
#include <cmath>

#include "charrnn/error.h"
#include "charrnn/trainer.h"

namespace charrnn {
namespace {

void require(bool ok, const std::string& what, const std::string& hint = {}) {
  if (!ok) fail_usage(what, hint);
}

}  // namespace

void resolve_train_config(TrainConfig& c) {
  if (c.corpus.empty()) fail_usage("no corpus given", "pass --corpus FILE");
  require(c.seq >= 1 && c.seq <= 100000, "--seq must be between 1 and 100000, got " + std::to_string(c.seq));
  require(c.batch >= 1 && c.batch <= 100000, "--batch must be between 1 and 100000, got " + std::to_string(c.batch));
  require(c.val_frac >= 0 && c.val_frac < 1, "--val-frac must be in [0, 1), got " + std::to_string(c.val_frac));
  require(std::isfinite(c.adam.lr) && c.adam.lr > 0 && c.adam.lr < 10,
          "--lr must be a positive number below 10, got " + std::to_string(c.adam.lr), "2e-3 is a good start");
  require(std::isfinite(c.clip) && c.clip >= 0, "--clip must be >= 0 (0 turns clipping off), got " + std::to_string(c.clip));
  require(c.steps >= 0, "--steps must be >= 0");
  require(std::isfinite(c.epochs) && c.epochs >= 0, "--epochs must be >= 0");
  require(std::isfinite(c.minutes) && c.minutes >= 0, "--minutes must be >= 0");
  require(c.eval_every >= 0, "--eval-every must be >= 0 (0: only at the end)");
  require(c.eval_batch >= 0 && c.eval_batch <= 100000, "--eval-batch must be between 0 and 100000");
  if (c.eval_batch == 0) c.eval_batch = c.batch;
  if (c.steps == 0 && c.epochs == 0 && c.minutes == 0) c.epochs = 10;  // torch-rnn-like default
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
          {"layers", c.model.layers},
          {"hidden", c.model.hidden},
          {"embed", c.model.embed},
          {"seq", c.seq},
          {"batch", c.batch},
          {"lr", c.adam.lr},
          {"beta1", c.adam.beta1},
          {"beta2", c.adam.beta2},
          {"eps", c.adam.eps},
          {"clip", c.clip},
          {"steps", c.steps},
          {"epochs", c.epochs},
          {"minutes", c.minutes},
          {"seed", c.seed},
          {"eval_every", c.eval_every},
          {"eval_batch", c.eval_batch}};
}

}  // namespace charrnn
