// trainer.cpp — the training loop (see trainer.h and session.h): steps, non-finite steps
// skipped, periodic validation with best/last checkpoints, patience, progress, the time
// budget's plans, and a clean stop (saved, without evaluation) on a signal.
#include "train/trainer.h"

#include <omp.h>

#include <cmath>
#include <cstdio>

#include "charrnn/error.h"
#include "generate/generator.h"
#include "train/comm.h"
#include "train/session.h"

namespace charrnn {
namespace training {

// Collective under MPI: any rank's reason (a signal, its clock, rank 0's patience) stops all.
bool Session::should_stop() {
  const TrainState& s = meta_.state;
  bool stop = (stop_ && stop_->load()) || early_stopped_;
  stop = stop || (stop_at_ > 0 && s.step >= stop_at_);
  stop = stop || (cfg_.steps > 0 && s.step >= cfg_.steps);
  stop = stop || (cfg_.epochs > 0 && batcher_->epoch_progress() >= cfg_.epochs);
  if (budget_) {
    const BudgetClock clock = budget_clock();
    stop = stop || (budget_->planned() && s.step >= budget_->planned_total());
    stop = stop || budget_->out_of_time(clock);
  }
  return comm::any(stop);
}

double Session::eta(double secs) const {
  if (budget_) return std::max(0.0, cfg_.minutes * 60.0 - secs);
  const double rate =
      double(std::max<int64_t>(1, meta_.state.step)) / std::max(1e-9, total_seconds());  // steps/s
  double left = 1e300;
  if (stop_at_ > 0) left = std::min(left, double(stop_at_ - meta_.state.step) / rate);
  if (cfg_.steps > 0) left = std::min(left, double(cfg_.steps - meta_.state.step) / rate);
  if (cfg_.epochs > 0)
    left = std::min(left, (cfg_.epochs - batcher_->epoch_progress()) *
                              double(batcher_->windows_per_epoch()) / rate);
  return left == 1e300 ? -1.0 : std::max(0.0, left);
}

double Session::train_step() {
  if (batcher_->next(x_tn_.data(), y_tn_.data())) train_net_->reset_state();
  const int64_t step = meta_.state.step + 1;
  meta_.state.lr = schedule_.at(meta_.state.step, progress_at(plans_, meta_.state.step));
  const StepResult r = charrnn::train_step(
      *train_net_, *adam_, reducer_.get(), params_p_, grads_p_, x_tn_.data(), y_tn_.data(),
      cfg_.clip, float(meta_.state.lr), nullptr, step >= fault_first_ && step <= fault_last_);
  if (!ema_p_.empty())  // the lead only; a skipped step averages in the unchanged weights
    ema_update(ema_p_.data(), params_p_.data(), ema_p_.size(), ema_decay_at(cfg_.ema, step - 1));
  if (r.applied) {
    bad_steps_ = 0;
    return r.loss;
  }
  if (++bad_steps_ >= kMaxBadStepsInARow)
    fail(std::to_string(bad_steps_) + " steps in a row had a non-finite loss or gradient; stopping",
         "lower {lr} or {clip}; the last good checkpoint in " + cfg_.model_dir + " is intact");
  // A warning, not progress: the CLI shows it even when quiet (the ranks agree; the lead tells).
  if (report_)
    report_({TrainEvent::Kind::warning, "non-finite loss or gradient at step " +
                                            std::to_string(meta_.state.step + 1) +
                                            "; step skipped"});
  return std::nan("");
}

double Session::do_step() {
  TrainState& s = meta_.state;
  const int64_t tokens_per_step = int64_t(cfg_.seq) * cfg_.batch * comm::size();
  const auto t0 = Clock::now();
  const double loss = train_step();
  const double step_seconds = seconds_since(t0);
  ++s.step;
  s.tokens += tokens_per_step;
  if (!std::isnan(loss)) {
    s.loss_sum += loss;
    ++s.loss_steps;
  }
  const double secs = elapsed();
  if (report_) {
    TrainEvent e{TrainEvent::Kind::step, {}};
    const int64_t total = budget_ && budget_->planned() ? budget_->planned_total()
                          : stop_at_ > 0                ? stop_at_
                                                        : cfg_.steps;
    e.step = {s.step,
              total,
              batcher_->epoch_progress(),
              s.loss_steps ? s.loss_sum / double(s.loss_steps) : std::nan(""),
              double(s.tokens) / std::max(1e-9, total_seconds()),
              total_seconds(),
              eta(secs),
              last_val_};
    report_(e);
  }
  const auto t1 = Clock::now();
  if (cfg_.eval_every > 0 && s.step % cfg_.eval_every == 0) eval_and_save(false);
  if (cfg_.sample_every > 0 && s.step % cfg_.sample_every == 0) report_samples();
  overhead_ += seconds_since(t1);
  if (budget_ && !probing_) {  // the probe's steps mix precisions and thread counts
    const BudgetClock clock = budget_clock();
    if (!budget_->planned() && budget_->started() == false) budget_->start(s.step, clock);
    if (budget_->after_step(s.step, clock)) report_plan();
  }
  return step_seconds;
}

void Session::report_plan() const {
  char line[160];
  std::snprintf(line, sizeof line, "plan: %lld steps in %.1f minutes (%.3f s/step measured)",
                (long long)budget_->planned_total(), cfg_.minutes, plans_.back().step_seconds);
  info(line);
}

bool Session::final_is_whole() const {
  if (!eval_sample_) return true;
  if (!budget_) return true;
  // The whole split at the end when it costs at most 2.5% of the budget.
  const double step_s = plans_.empty() ? 0.0 : plans_.back().step_seconds;
  const double cost = double(val_ids_.size) * step_s / (3.0 * cfg_.seq * cfg_.batch);
  return cost <= 0.025 * cfg_.minutes * 60.0;
}

// Mean nats/symbol of the validated weights (`p`: or these) over the sample or the whole split.
double Session::evaluate(bool whole, const float* p) {
  const EvalWindows* windows = whole || !eval_sample_ ? eval_whole_.get() : eval_sample_.get();
  if (!windows) return std::nan("");
  std::unique_ptr<Net> other;  // other weights than the eval net's
  Net* net = eval_net_.get();
  if (p) {
    other =
        std::make_unique<Net>(meta_.model, cfg_.seq, cfg_.eval_batch, Net::Mode::infer, p, nullptr);
    net = other.get();
  }
  net->sync_weights();
  net->reset_state();  // every validation stream starts from a zero state
  double total = 0.0;
  int64_t count = 0;
  for (int64_t k = 0; k < windows->count(); ++k) {
    windows->fill(k, ex_tn_.data(), ey_tn_.data());
    int64_t n = 0;
    total += net->forward(ex_tn_.data(), ey_tn_.data(), &n);
    net->carry_state();
    count += n;
  }
  return total / double(count);
}

void Session::eval_and_save(bool whole) {
  const auto t0 = Clock::now();
  TrainState& s = meta_.state;
  const bool sampled = eval_sample_ && !whole;
  double val = evaluate(whole);
  const double train_loss = s.loss_sum / double(std::max<int64_t>(1, s.loss_steps));
  // The last, whole-split evaluation after sampled ones: the best weights so far are scored
  // on the whole split too, so that the best is chosen by one measure.
  bool improved;
  if (whole && eval_sample_ && meta_.best_step >= 0 && meta_.best_step != s.step && is_lead()) {
    const double best_whole = evaluate(true, best_p_.data());
    meta_.best_val_loss = best_whole;
    improved = val < best_whole;
  } else {
    improved = std::isnan(val) || meta_.best_step < 0 || val < meta_.best_val_loss;
  }
  meta_.history.push_back({s.step, s.tokens, total_seconds(), batcher_->epoch_progress(),
                           s.loss_steps ? train_loss : std::nan(""), val,
                           sampled ? eval_sample_->count() * cfg_.seq * cfg_.eval_batch : 0});
  s.loss_sum = 0.0;
  s.loss_steps = 0;
  last_val_ = val;
  last_eval_step_ = s.step;
  if (improved) {
    meta_.best_val_loss = val;
    meta_.best_step = s.step;
    if (is_lead()) best_p_ = validated();  // same size: an in-place copy (val is NaN elsewhere)
    evals_since_best_ = 0;
  } else if (cfg_.patience > 0 && ++evals_since_best_ >= cfg_.patience) {
    early_stopped_ = true;
  }
  const auto t1 = Clock::now();
  save();
  save_seconds_ = seconds_since(t1);
  (whole || !eval_sample_ ? whole_eval_seconds_ : eval_seconds_) = seconds_since(t0);
  if (!eval_sample_) eval_seconds_ = whole_eval_seconds_;
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
  Generator gen(meta_.model, params_p_.data(), 1);
  for (double t : cfg_.sample_temperatures) {
    SampleOptions so;
    so.temperature = t;
    so.seed = cfg_.seed * 1000003 + uint64_t(meta_.state.step);
    const std::vector<int32_t> start = prompt_start(meta_.symbols);
    std::vector<RowDecoder> rows;
    rows.emplace_back(so, meta_.symbols, meta_.unknown_id, cfg_.sample_length, start);
    TrainEvent e{TrainEvent::Kind::sample, {}};
    e.sample = {meta_.state.step, t};
    gen.generate(start, rows, [&](int, const std::string& piece) {
      e.text += piece;
      return true;
    });
    report_(e);
  }
}

// Evaluation on a large validation split costs at most about 5% of a time budget: each
// evaluation during the run then scores a fixed sample of it (eval_symbols, unless given).
void Session::choose_eval_sample() {
  if (!eval_whole_) return;
  int64_t symbols = cfg_.eval_symbols;
  if (symbols == 0 && budget_ && budget_->planned() && cfg_.eval_every > 0 &&
      !cfg_.is_given("eval_symbols")) {
    const double per_symbol = plans_.back().step_seconds / (3.0 * cfg_.seq * cfg_.batch);
    const double evals =
        double(budget_->planned_total() - meta_.state.step) / double(cfg_.eval_every) + 1;
    const double affordable = 0.04 * cfg_.minutes * 60.0 / evals / std::max(1e-12, per_symbol);
    if (affordable < double(val_ids_.size)) symbols = std::max<int64_t>(int64_t(affordable), 10000);
  }
  if (symbols <= 0 || symbols >= int64_t(val_ids_.size)) return;
  eval_sample_ = std::make_unique<EvalWindows>(val_ids_, cfg_.seq, cfg_.eval_batch, symbols);
  // Recorded with the run's settings: a resumed run scores the same sample, so that its
  // evaluations and its best compare with the ones before.
  cfg_.eval_symbols = symbols;
  meta_.train_config = train_config_json(cfg_);
  char line[128];
  std::snprintf(
      line, sizeof line, "validation: %lld of %lld symbols each evaluation (a fixed sample)",
      (long long)(eval_sample_->count() * cfg_.seq * cfg_.eval_batch), (long long)val_ids_.size);
  info(line);
}

TrainResult Session::run() {
  TrainState& s = meta_.state;
  setup_plans();
  probe_speed();
  choose_eval_sample();
  while (!should_stop()) do_step();
  const bool interrupted = comm::any(stop_ && stop_->load());
  if (interrupted)
    save();  // the state only: no evaluation, so a resumed run's history is unchanged
  else if (last_eval_step_ != s.step || (eval_sample_ && final_is_whole()))
    eval_and_save(final_is_whole());
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
