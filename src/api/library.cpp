// library.cpp — the public API's version, threads and training (charrnn.h).
#include <omp.h>

#include <atomic>

#include "api/model_impl.h"
#include "base/fsutil.h"
#include "charrnn/charrnn.h"
#include "checkpoint/checkpoint.h"
#include "train/trainer.h"

namespace charrnn {

const char* version() {
  return CHARRNN_VERSION_STRING;
}

namespace {
// set_threads's count (-1: never called). OpenMP keeps a team size per thread, and a caller's
// threads (a server's, Python's) each start at OpenMP's default: every call that computes
// takes the count on its own thread first (take_threads).
std::atomic<int> g_threads{-1};

void apply_threads(int threads) {
  omp_set_num_threads(threads == 0 ? omp_get_num_procs() : threads);
}
}  // namespace

void set_threads(int threads) {
  if (threads < 0 || threads > 1024)
    fail_field("threads",
               "must be between 0 (every core) and 1024, got " + std::to_string(threads));
  g_threads.store(threads);
  apply_threads(threads);
}

void take_threads() {
  const int threads = g_threads.load();
  if (threads >= 0) apply_threads(threads);
}

namespace {

using json = nlohmann::json;

// A setting given as text: JSON where it parses as the row's type ("512", "[\"a\", \"b\"]"),
// otherwise the text itself (a name, a path).
json setting_value(const OptionSpec& spec, const std::string& text) {
  const json parsed = json::parse(text, nullptr, false);
  switch (spec.type) {
    case OptionType::text:
    case OptionType::choice:
      return parsed.is_string() ? parsed : json(text);
    case OptionType::texts:
      return parsed.is_array() ? parsed : json::array({text});
    case OptionType::numbers:
      return parsed.is_array() ? parsed : spec.parse_text(text);
    case OptionType::integer:
    case OptionType::number:
    case OptionType::flag:
      return spec.parse_text(text);
  }
  return json(text);
}

// The options as a TrainConfig whose `given` lists what the caller set: the fields that differ
// from TrainOptions' defaults, then `settings` (which win).
TrainConfig config_of(const TrainOptions& o) {
  const TrainOptions d;
  const OptionTable<TrainConfig>& table = train_options();
  TrainConfig c;
  auto give = [&](const std::string& name, const json& value) {
    table.set(c, name, value);
    if (!c.is_given(name)) c.given.push_back(name);
  };
  if (!o.corpus.empty()) give("corpus", o.corpus);
  if (!o.model_dir.empty()) give("model", o.model_dir);
  if (o.force) give("force", true);
  if (o.val_frac != d.val_frac) give("val_frac", o.val_frac);
  if (o.cell != d.cell) give("cell", o.cell);
  if (o.layers != d.layers) give("layers", o.layers);
  if (o.hidden != d.hidden) give("hidden", o.hidden);
  if (o.embed != d.embed) give("embed", o.embed);
  if (o.dropout != d.dropout) give("dropout", o.dropout);
  if (o.dtype != d.dtype) give("dtype", o.dtype);
  if (o.seq != d.seq) give("seq", o.seq);
  if (o.batch != d.batch) give("batch", o.batch);
  if (o.lr != d.lr) give("lr", o.lr);
  if (o.clip != d.clip) give("clip", o.clip);
  if (o.steps != d.steps) give("steps", o.steps);
  if (o.epochs != d.epochs) give("epochs", o.epochs);
  if (o.minutes != d.minutes) give("minutes", o.minutes);
  if (o.seed != d.seed) give("seed", o.seed);
  if (o.eval_every != d.eval_every) give("eval_every", o.eval_every);
  if (o.sample_every != d.sample_every) give("sample_every", o.sample_every);
  if (o.sample_length != d.sample_length) give("sample_length", o.sample_length);
  if (o.sample_temperatures != d.sample_temperatures)
    give("sample_temperature", o.sample_temperatures);
  for (const auto& [key, text] : o.settings) {
    std::string name = key;
    for (char& ch : name)
      if (ch == '-') ch = '_';
    const Option<TrainConfig>* row = table.find(name);
    if (!row || name == "ranks") fail_field(name, "is not a training setting");
    give(name, setting_value(row->spec, text));
  }
  c.resume = o.resume;
  c.quiet = true;  // the library never prints
  return c;
}

TrainProgress progress_of(const TrainEvent& e) {
  TrainProgress p{TrainProgress::Kind::info, e.text};
  switch (e.kind) {
    case TrainEvent::Kind::info:
      p.kind = TrainProgress::Kind::info;
      break;
    case TrainEvent::Kind::warning:
      p.kind = TrainProgress::Kind::warning;
      break;
    case TrainEvent::Kind::step:
      p.kind = TrainProgress::Kind::step;
      p.step = e.step.step;
      p.total_steps = e.step.total_steps;
      p.epoch = e.step.epoch;
      p.loss = e.step.loss;
      p.tokens_per_s = e.step.tokens_per_s;
      p.seconds = e.step.seconds;
      p.eta_seconds = e.step.eta_seconds;
      p.val_loss = e.step.last_val;
      break;
    case TrainEvent::Kind::sample:
      p.kind = TrainProgress::Kind::sample;
      p.step = e.sample.step;
      p.temperature = e.sample.temperature;
      break;
    case TrainEvent::Kind::eval:
      p.kind = TrainProgress::Kind::eval;
      p.step = e.eval.step;
      p.loss = e.eval.train_loss;
      p.val_loss = e.eval.val_loss;
      p.improved = e.eval.improved;
      p.seconds = e.eval.seconds;
      p.patience_exhausted = e.eval.patience_exhausted;
      break;
  }
  return p;
}

}  // namespace

TrainSummary train(const TrainOptions& options,
                   const std::function<void(const TrainProgress&)>& on_progress,
                   const std::atomic<bool>* stop) {
  take_threads();
  TrainConfig c = config_of(options);
  if (!c.init_from.empty()) c.init_from = locate_model(c.init_from);
  if (c.resume) {  // the checkpoint's own configuration, with what may change on resume
    const std::string dir = options.model_dir.empty() ? c.model_dir : options.model_dir;
    if (dir.empty()) fail_field("model", "is not given", "name the checkpoint to resume");
    c = merge_for_resume(read_checkpoint_meta(dir).train_config, c, dir);
  }
  const TrainResult r = charrnn::train(c, stop, [&](const TrainEvent& e) {
    if (on_progress) on_progress(progress_of(e));
  });
  TrainSummary s;
  s.steps = r.steps;
  s.tokens = r.tokens;
  s.seconds = r.seconds;
  s.best_val_loss = r.best_val_loss;
  s.best_step = r.best_step;
  s.interrupted = r.interrupted;
  s.early_stopped = r.early_stopped;
  s.model_dir = c.model_dir;
  return s;
}

}  // namespace charrnn
