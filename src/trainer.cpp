// trainer.cpp — the training loop (see trainer.h).
#include "charrnn/trainer.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "charrnn/checkpoint.h"
#include "charrnn/dataset.h"
#include "charrnn/error.h"
#include "charrnn/fsutil.h"
#include "charrnn/progress.h"
#include "charrnn/rng.h"

namespace charrnn {
namespace {

constexpr int kMaxBadStepsInARow = 5;  // then training stops: the model has diverged

void check_model_dir(const TrainConfig& c) {
  if (c.model_dir.empty()) fail_usage("no model directory given", "pass --model DIR");
  if (!path_exists(c.model_dir) || c.force) return;
  if (!is_directory(c.model_dir))
    fail_usage(c.model_dir + " exists and is not a directory", "choose another --model path");
  if (is_checkpoint_dir(c.model_dir))
    fail_usage(c.model_dir + " already holds a checkpoint; training would replace it",
               "pass --force to replace it, or choose another --model directory");
  if (!directory_is_empty(c.model_dir))  // never replace files charrnn did not write
    fail_usage(c.model_dir + " is not empty and is not a charrnn checkpoint",
               "choose an empty or new directory, or pass --force to replace it");
}

class Session {
 public:
  Session(const TrainConfig& c, const std::atomic<bool>* stop);
  TrainResult run();

 private:
  bool should_stop() const;
  double train_step();  // returns the window's mean loss, NaN when the step was skipped
  double evaluate();
  void save();
  void print_config(const Corpus& corpus);
  double eta(double secs) const;  // seconds left by the nearest stop rule; < 0 when unknown
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  TrainConfig cfg_;
  const std::atomic<bool>* stop_;
  Progress progress_;
  CheckpointMeta meta_;
  std::vector<int32_t> ids_;
  IdSpan train_ids_, val_ids_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<EvalWindows> eval_windows_;
  std::vector<float> params_p_, grads_p_, best_p_;  // the three flat blocks
  std::unique_ptr<Adam> adam_;
  std::unique_ptr<Net> train_net_, eval_net_;
  std::vector<int32_t> x_tn_, y_tn_, ex_tn_, ey_tn_;
  std::chrono::steady_clock::time_point start_;
  int bad_steps_ = 0;
};

Session::Session(const TrainConfig& c, const std::atomic<bool>* stop)
    : cfg_(c), stop_(stop), progress_(stdout, c.quiet) {
  check_model_dir(cfg_);
  Tokenizer tokenizer(cfg_.tokenizer);
  Corpus corpus = load_corpus(cfg_.corpus, tokenizer);
  ids_ = std::move(corpus.ids);
  split_ids(ids_, cfg_.val_frac, &train_ids_, &val_ids_);
  batcher_ = std::make_unique<Batcher>(train_ids_, cfg_.seq, cfg_.batch);
  cfg_.model.vocab = corpus.vocab.size();
  meta_.model = cfg_.model;
  meta_.tokenizer = cfg_.tokenizer;
  meta_.symbols = corpus.vocab.symbols();
  meta_.unknown_id = corpus.vocab.unknown_id();
  meta_.train_config = train_config_json(cfg_);
  meta_.corpus = {corpus.name, corpus.sha256, corpus.bytes, int64_t(ids_.size()),
                  int64_t(train_ids_.size), int64_t(val_ids_.size)};

  const size_t P = parameter_count(cfg_.model);
  params_p_.assign(P, 0.f);
  grads_p_.assign(P, 0.f);
  init_parameters(cfg_.model, params_p_.data(), cfg_.seed);
  best_p_ = params_p_;
  adam_ = std::make_unique<Adam>(P, cfg_.adam);
  train_net_ = std::make_unique<Net>(cfg_.model, cfg_.seq, cfg_.batch, Net::Mode::train,
                                     params_p_.data(), grads_p_.data());
  x_tn_.assign(size_t(cfg_.seq) * cfg_.batch, 0);
  y_tn_ = x_tn_;
  if (val_ids_.size > 1) {
    eval_windows_ = std::make_unique<EvalWindows>(val_ids_, cfg_.seq, cfg_.eval_batch);
    eval_net_ = std::make_unique<Net>(cfg_.model, cfg_.seq, cfg_.eval_batch, Net::Mode::infer,
                                      params_p_.data(), nullptr);
    ex_tn_.assign(size_t(cfg_.seq) * cfg_.eval_batch, 0);
    ey_tn_ = ex_tn_;
  }
  print_config(corpus);
}

void Session::print_config(const Corpus& corpus) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "corpus: %s, %llu bytes, %lld symbols (train %lld, val %lld), vocabulary %d",
                corpus.name.c_str(), (unsigned long long)corpus.bytes, (long long)ids_.size(),
                (long long)train_ids_.size, (long long)val_ids_.size, cfg_.model.vocab);
  progress_.line(buf);
  std::snprintf(buf, sizeof buf,
                "model: lstm, %d layers x %d hidden, embedding %d, %zu parameters (oneDNN %s)",
                cfg_.model.layers, cfg_.model.hidden, cfg_.model.embed,
                parameter_count(cfg_.model), train_net_->lstm_implementation().c_str());
  progress_.line(buf);
  progress_.line("config: " + meta_.train_config.dump());
}

bool Session::should_stop() const {
  const TrainState& s = meta_.state;
  if (stop_ && stop_->load()) return true;
  if (cfg_.steps > 0 && s.step >= cfg_.steps) return true;
  if (cfg_.epochs > 0 && batcher_->epoch_progress() >= cfg_.epochs) return true;
  return cfg_.minutes > 0 && elapsed() >= cfg_.minutes * 60.0;
}

double Session::eta(double secs) const {
  const double rate = double(meta_.state.step) / secs;  // steps per second
  double left = 1e300;
  if (cfg_.steps > 0) left = std::min(left, double(cfg_.steps - meta_.state.step) / rate);
  if (cfg_.epochs > 0)
    left = std::min(left, (cfg_.epochs - batcher_->epoch_progress()) *
                              double(batcher_->windows_per_epoch()) / rate);
  if (cfg_.minutes > 0) left = std::min(left, cfg_.minutes * 60.0 - secs);
  return left == 1e300 ? -1.0 : std::max(0.0, left);
}

double Session::train_step() {
  if (batcher_->next(x_tn_.data(), y_tn_.data())) train_net_->reset_state();
  const StepResult r = charrnn::train_step(*train_net_, *adam_, params_p_, grads_p_, x_tn_.data(),
                                           y_tn_.data(), cfg_.clip, float(cfg_.adam.lr));
  if (r.applied) {
    bad_steps_ = 0;
    return r.loss;
  }
  if (++bad_steps_ >= kMaxBadStepsInARow)
    fail(std::to_string(bad_steps_) + " steps in a row had a non-finite loss or gradient; stopping",
         "lower --lr or --clip; the last good checkpoint in " + cfg_.model_dir + " is intact");
  progress_.line("warning: non-finite loss or gradient at step " +
                 std::to_string(meta_.state.step + 1) + "; step skipped");
  return std::nan("");
}

double Session::evaluate() {
  if (!eval_net_) return std::nan("");
  eval_net_->sync_weights();
  eval_net_->reset_state();  // every validation stream starts from a zero state
  double total = 0.0;
  int64_t count = 0;
  for (int64_t k = 0; k < eval_windows_->count(); ++k) {
    eval_windows_->fill(k, ex_tn_.data(), ey_tn_.data());
    int64_t n = 0;
    total += eval_net_->forward(ex_tn_.data(), ey_tn_.data(), &n);
    eval_net_->carry_state();
    count += n;
  }
  return total / double(count);
}

void Session::save() {
  meta_.state.epoch = batcher_->epoch();
  meta_.state.window = batcher_->window();
  meta_.state.seconds = elapsed();
  meta_.state.lr = cfg_.adam.lr;
  CheckpointTensors t{best_p_.data(), params_p_.data(), adam_->m().data(), adam_->v().data(),
                      adam_->steps()};
  save_checkpoint(cfg_.model_dir, meta_, t);
}

TrainResult Session::run() {
  start_ = std::chrono::steady_clock::now();
  TrainState& s = meta_.state;
  const int64_t tokens_per_step = int64_t(cfg_.seq) * cfg_.batch;
  double loss_sum = 0.0, last_val = std::nan("");
  int64_t loss_steps = 0, last_eval_step = -1;
  auto eval_and_save = [&]() {
    const double val = evaluate();
    const double train_loss = loss_steps ? loss_sum / double(loss_steps) : std::nan("");
    meta_.history.push_back({s.step, s.tokens, elapsed(), batcher_->epoch_progress(), train_loss, val});
    loss_sum = 0.0;
    loss_steps = 0;
    last_val = val;
    last_eval_step = s.step;
    bool improved = std::isnan(val) || meta_.best_step < 0 || val < meta_.best_val_loss;
    if (improved) {
      meta_.best_val_loss = val;
      meta_.best_step = s.step;
      best_p_ = params_p_;  // same size: an in-place copy
    }
    save();
    char buf[200];
    std::snprintf(buf, sizeof buf, "step %lld | train %.4f | val %.4f nats (%.3f bits/char)%s | %s",
                  (long long)s.step, train_loss, val, val / std::log(2.0),
                  improved ? " | best, saved" : " | saved", format_duration(elapsed()).c_str());
    progress_.line(buf);
  };
  while (!should_stop()) {
    const double loss = train_step();
    ++s.step;
    s.tokens += tokens_per_step;
    if (!std::isnan(loss)) { loss_sum += loss; ++loss_steps; }
    const double secs = elapsed();
    progress_.step({s.step, cfg_.steps, batcher_->epoch_progress(),
                    loss_steps ? loss_sum / double(loss_steps) : std::nan(""),
                    double(s.tokens) / secs, secs, eta(secs), last_val});
    if (cfg_.eval_every > 0 && s.step % cfg_.eval_every == 0) eval_and_save();
  }
  if (last_eval_step != s.step) eval_and_save();
  TrainResult r;
  r.steps = s.step;
  r.tokens = s.tokens;
  r.seconds = elapsed();
  r.best_val_loss = meta_.best_val_loss;
  r.best_step = meta_.best_step;
  r.interrupted = stop_ && stop_->load();
  return r;
}

}  // namespace

StepResult train_step(Net& net, Adam& adam, std::vector<float>& params_p,
                      std::vector<float>& grads_p, const int32_t* x_tn, const int32_t* y_tn,
                      double clip, float lr) {
  // Gradients accumulate during backward: zero them once per step, here.
  std::fill(grads_p.begin(), grads_p.end(), 0.f);
  int64_t count = 0;
  StepResult r;
  r.loss = net.forward(x_tn, y_tn, &count) / double(count);
  net.backward();
  net.carry_state();
  r.grad_norm = clip_grad_norm(grads_p.data(), grads_p.size(), clip);
  if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) return r;  // never apply poison
  adam.step(params_p.data(), grads_p.data(), lr);
  net.sync_weights();  // the primitives read their own copies of the weights
  r.applied = true;
  return r;
}

TrainResult train(const TrainConfig& config, const std::atomic<bool>* stop) {
  TrainConfig c = config;
  resolve_train_config(c);
  Session session(c, stop);
  return session.run();
}

}  // namespace charrnn
