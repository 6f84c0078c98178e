// trainer.cpp — the training loop (see trainer.h and session.h): steps, non-finite steps
// skipped, periodic full validation with best/last checkpoints, patience, progress, and a
// clean stop (saved, without evaluation) on a signal.
#include "train/trainer.h"

#include <cmath>
#include <cstdio>

#include "charrnn/error.h"
#include "generate/generator.h"
#include "train/comm.h"
#include "train/session.h"

namespace charrnn {
namespace training {

// Collective under MPI: any rank's reason (a signal, its clock, rank 0's patience) stops all.
bool Session::should_stop() const {
  const TrainState& s = meta_.state;
  bool stop = (stop_ && stop_->load()) || early_stopped_;
  stop = stop || (cfg_.steps > 0 && s.step >= cfg_.steps);
  stop = stop || (cfg_.epochs > 0 && batcher_->epoch_progress() >= cfg_.epochs);
  stop = stop || (cfg_.minutes > 0 && elapsed() >= cfg_.minutes * 60.0);
  return comm::any(stop);
}

double Session::eta(double secs) const {
  const double rate =
      double(std::max<int64_t>(1, meta_.state.step)) / std::max(1e-9, total_seconds());  // steps/s
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
  meta_.state.lr = schedule_.at(meta_.state.step);
  const int64_t step = meta_.state.step + 1;
  const StepResult r = charrnn::train_step(*train_net_, *adam_, params_p_, grads_p_, x_tn_.data(),
                                           y_tn_.data(), cfg_.clip, float(meta_.state.lr), nullptr,
                                           step >= fault_first_ && step <= fault_last_);
  if (!ema_p_.empty())  // the lead only; a skipped step averages in the unchanged weights
    ema_update(ema_p_.data(), params_p_.data(), ema_p_.size(), ema_decay_at(cfg_.ema, step - 1));
  if (r.applied) {
    bad_steps_ = 0;
    return r.loss;
  }
  if (++bad_steps_ >= kMaxBadStepsInARow)
    fail(std::to_string(bad_steps_) + " steps in a row had a non-finite loss or gradient; stopping",
         "lower --lr or --clip; the last good checkpoint in " + cfg_.model_dir + " is intact");
  // A warning, not progress: the CLI shows it even with --quiet (the ranks agree; the lead tells).
  if (report_)
    report_({TrainEvent::Kind::warning, "non-finite loss or gradient at step " +
                                            std::to_string(meta_.state.step + 1) +
                                            "; step skipped"});
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

void Session::eval_and_save() {
  TrainState& s = meta_.state;
  const double val = evaluate();
  const double train_loss = s.loss_steps ? s.loss_sum / double(s.loss_steps) : std::nan("");
  meta_.history.push_back(
      {s.step, s.tokens, total_seconds(), batcher_->epoch_progress(), train_loss, val});
  s.loss_sum = 0.0;
  s.loss_steps = 0;
  last_val_ = val;
  last_eval_step_ = s.step;
  const bool improved = std::isnan(val) || meta_.best_step < 0 || val < meta_.best_val_loss;
  if (improved) {
    meta_.best_val_loss = val;
    meta_.best_step = s.step;
    if (is_lead()) best_p_ = validated();  // same size: an in-place copy (val is NaN elsewhere)
    evals_since_best_ = 0;
  } else if (cfg_.patience > 0 && ++evals_since_best_ >= cfg_.patience) {
    early_stopped_ = true;
  }
  save();
  if (report_) {
    TrainEvent e{TrainEvent::Kind::eval, {}};
    e.eval = {s.step,   train_loss,      val,
              improved, total_seconds(), early_stopped_ ? cfg_.patience : 0};
    report_(e);
  }
}

// Samples from the current weights, after the evaluation line of the same step. They draw from
// their own generator (seeded by the run's seed and the step), so training is unchanged by them
// and a resumed run samples the same text.
void Session::report_samples() {
  if (!report_) return;  // the lead only, and only when someone listens
  const int nl = std::max(
      0, int(std::find(meta_.symbols.begin(), meta_.symbols.end(), "\n") - meta_.symbols.begin()));
  const int32_t start = nl < int(meta_.symbols.size()) ? nl : 0;
  Generator gen(meta_.model, params_p_.data(), 1);
  for (double t : cfg_.sample_temperatures) {
    SampleConfig sc;
    sc.temperature = float(t);
    sc.seed = cfg_.seed * 1000003 + uint64_t(meta_.state.step);
    std::vector<Sampler> samplers(1, Sampler(meta_.model.vocab, sc, meta_.unknown_id));
    TrainEvent e{TrainEvent::Kind::sample, {}};
    e.sample = {meta_.state.step, t};
    gen.generate({start}, cfg_.sample_length, samplers, [&](int, int id) {
      e.text += meta_.symbols[size_t(id)];
      return true;
    });
    report_(e);
  }
}

TrainResult Session::run() {
  start_ = std::chrono::steady_clock::now();
  TrainState& s = meta_.state;
  const int64_t tokens_per_step = int64_t(cfg_.seq) * cfg_.batch * comm::size();
  while (!should_stop()) {
    const double loss = train_step();
    ++s.step;
    s.tokens += tokens_per_step;
    if (!std::isnan(loss)) {
      s.loss_sum += loss;
      ++s.loss_steps;
    }
    const double secs = elapsed();
    if (report_) {
      TrainEvent e{TrainEvent::Kind::step, {}};
      e.step = {s.step,
                cfg_.steps,
                batcher_->epoch_progress(),
                s.loss_steps ? s.loss_sum / double(s.loss_steps) : std::nan(""),
                double(s.step * tokens_per_step) / std::max(1e-9, total_seconds()),
                total_seconds(),
                eta(secs),
                last_val_};
      report_(e);
    }
    if (cfg_.eval_every > 0 && s.step % cfg_.eval_every == 0) eval_and_save();
    if (cfg_.sample_every > 0 && s.step % cfg_.sample_every == 0) report_samples();
  }
  const bool interrupted = comm::any(stop_ && stop_->load());
  if (interrupted)
    save();  // the state only: no evaluation, so a resumed run's history is unchanged
  else if (last_eval_step_ != s.step)
    eval_and_save();
  TrainResult r;
  r.steps = s.step;
  r.tokens = s.tokens;
  r.seconds = total_seconds();
  r.best_val_loss = meta_.best_val_loss;
  r.best_step = meta_.best_step;
  r.interrupted = interrupted;
  r.early_stopped = early_stopped_;
  return r;
}

}  // namespace training

TrainResult train(const TrainConfig& config, const std::atomic<bool>* stop,
                  const TrainCallback& report) {
  TrainConfig c = config;
  resolve_train_config(c);
  training::Session session(c, stop, report);
  return session.run();
}

}  // namespace charrnn
