// library.cpp — the public API's version, threads and training (charrnn.h).
#include <omp.h>

#include "charrnn/charrnn.h"
#include "checkpoint/checkpoint.h"
#include "train/trainer.h"

namespace charrnn {

const char* version() {
  return CHARRNN_VERSION_STRING;
}

void set_threads(int threads) {
  if (threads < 0 || threads > 1024)
    fail_field("threads",
               "must be between 0 (every core) and 1024, got " + std::to_string(threads));
  omp_set_num_threads(threads == 0 ? omp_get_num_procs() : threads);
}

namespace {

TrainConfig train_config(const TrainOptions& o) {
  TrainConfig c;
  c.corpus = o.corpus;
  c.model_dir = o.model_dir;
  c.force = o.force;
  c.resume = o.resume;
  c.val_frac = o.val_frac;
  c.model.cell = parse_cell(o.cell);
  c.model.layers = o.layers;
  c.model.hidden = o.hidden;
  c.model.embed = o.embed;
  c.model.dropout = o.dropout;
  c.model.dtype = parse_dtype(o.dtype);
  if (c.model.dtype == Dtype::bf16 && !cpu_has_bf16()) c.model.dtype = Dtype::f32;
  c.seq = o.seq;
  c.batch = o.batch;
  c.adam.lr = o.lr;
  c.clip = o.clip;
  c.steps = o.steps;
  c.epochs = o.epochs;
  c.minutes = o.minutes;
  c.seed = o.seed;
  c.eval_every = o.eval_every;
  c.sample_every = o.sample_every;
  c.sample_length = o.sample_length;
  c.sample_temperatures = o.sample_temperatures;
  c.quiet = true;
  return c;
}

TrainProgress progress_of(const TrainEvent& e) {
  TrainProgress p{TrainProgress::Kind(int(e.kind)), e.text};

  if (e.kind == TrainEvent::Kind::step) {
    p.step = e.step.step;
    p.total_steps = e.step.total_steps;
    p.epoch = e.step.epoch;
    p.loss = e.step.loss;
    p.tokens_per_s = e.step.tokens_per_s;
    p.seconds = e.step.seconds;
    p.eta_seconds = e.step.eta_seconds;
    p.val_loss = e.step.last_val;
  } else if (e.kind == TrainEvent::Kind::sample) {
    p.step = e.sample.step;
    p.temperature = e.sample.temperature;
  } else if (e.kind == TrainEvent::Kind::eval) {
    p.step = e.eval.step;
    p.loss = e.eval.train_loss;
    p.val_loss = e.eval.val_loss;
    p.improved = e.eval.improved;
    p.seconds = e.eval.seconds;
  }
  return p;
}

}  // namespace

TrainSummary train(const TrainOptions& options,
                   const std::function<void(const TrainProgress&)>& on_progress,
                   const std::atomic<bool>* stop) {
  TrainConfig c = train_config(options);
  if (c.resume) {  // the checkpoint's own configuration, with the stop rules given here
    const TrainConfig given = c;
    c = train_config_from_json(
        load_checkpoint(given.model_dir, WhichWeights::last).meta.train_config);
    c.model_dir = given.model_dir;
    c.resume = true;
    c.quiet = true;
    if (given.steps > 0) c.steps = given.steps;
    if (given.epochs > 0) c.epochs = given.epochs;
    c.minutes = given.minutes;  // a time budget belongs to one call
    c.sample_every = given.sample_every;
    c.sample_length = given.sample_length;
    c.sample_temperatures = given.sample_temperatures;
  }
  const TrainResult r = charrnn::train(c, stop, [&](const TrainEvent& e) {
    if (on_progress) on_progress(progress_of(e));
  });
  return {r.steps, r.tokens, r.seconds, r.best_val_loss, r.best_step, r.interrupted};
}

}  // namespace charrnn
