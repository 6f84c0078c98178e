// session.h — the state of one training run (internal to the core library; see trainer.h).
//
// A Session owns the run: the corpus ids, the three flat blocks (parameters, gradients, best
// parameters, with --ema the averaged parameters), Adam, the training and evaluation nets, the
// dropout generator, the schedule and its plans. session.cpp builds, restores and saves it;
// session_setup.cpp sizes it (the automatic preset) and measures this CPU (the probe);
// trainer.cpp runs its loop against the stop rules and the time budget.
//
// Under MPI (K ranks, see comm.h) every rank runs a Session on its own N of the K*N streams,
// with its own dropout generator; train_step() averages the gradients. Stop decisions are
// OR-ed over the ranks each step, so all stop at the same step. Rank 0 alone prints,
// evaluates and writes; a save gathers the other ranks' carried state and generators first.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "base/rng.h"
#include "checkpoint/checkpoint.h"
#include "text/dataset.h"
#include "train/budget.h"
#include "train/comm.h"
#include "train/probe.h"
#include "train/train_config.h"
#include "train/train_step.h"

namespace charrnn::training {

using Clock = std::chrono::steady_clock;

// Seconds from t0 to now: how every duration of a run (steps, evaluations, the probe) is taken.
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

constexpr int kMaxBadStepsInARow = 5;  // then training stops: the model has diverged

// The weight matrices (not biases) of the flat block: what weight decay applies to.
std::vector<Range> weight_ranges(const ModelConfig& c);

// Rank 0 leads: it alone evaluates, keeps the best (and averaged) weights, writes the
// directory and prints; the other ranks only train. Without MPI the one process leads.
inline bool is_lead() {
  return comm::rank() == 0;
}

class Session {
 public:
  Session(const TrainConfig& c, const std::atomic<bool>* stop, const TrainCallback& report);
  TrainResult run();

 private:
  // session.cpp: building, restoring, saving
  void start_new();
  void start_resumed();
  void load_data(const Tokenizer& tokenizer, const CheckpointMeta* parent = nullptr);
  void build(const ModelConfig& model);
  void restore(const LoadedCheckpoint& last);
  void check_ranks_agree() const;
  void share_global_batch();
  LoadedCheckpoint load_parent();  // --init-from
  void save();
  void print_config();
  void info(const std::string& text) const;
  void info_warning(const std::string& text) const;  // shown even when quiet
  // session_setup.cpp: the automatic preset, the speed probe, the plans
  void size_automatically();
  void probe_speed();
  void switch_net(Dtype dtype);  // the training net in another precision, the state carried
  void setup_plans();
  // trainer.cpp: the loop
  bool should_stop();
  double train_step();       // returns the window's mean loss, NaN when the step was skipped
  double do_step();          // one step and what follows it; returns the step's own seconds
  void report_plan() const;  // the plan in force, to the log
  double evaluate(bool whole, const float* p = nullptr);
  const std::vector<float>& validated() const { return ema_p_.empty() ? params_p_ : ema_p_; }
  void eval_and_save(bool whole);
  void choose_eval_sample();
  bool final_is_whole() const;  // the last evaluation scores the whole split
  void report_samples();  // --sample-every: text from the current weights, one per temperature
  BudgetClock budget_clock() const;
  int64_t horizon_cap() const;    // the step the steps/epochs rules end at (0: none)
  double eta(double secs) const;  // seconds left by the nearest stop rule; < 0 when unknown
  double elapsed() const { return seconds_since(start_); }  // this invocation
  double total_seconds() const { return seconds_before_ + elapsed(); }

  TrainConfig cfg_;
  const std::atomic<bool>* stop_;
  TrainCallback report_;  // the lead only; empty elsewhere
  Clock::time_point start_ = Clock::now();
  CheckpointMeta meta_;
  Ids ids_;
  IdSpan train_ids_, val_ids_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<EvalWindows> eval_whole_, eval_sample_;  // sample: null when not sampling
  std::vector<float> params_p_, grads_p_,
      best_p_;                // the three flat blocks (best_p_: the lead only)
  std::vector<float> ema_p_;  // --ema: the averaged weights the lead validates (else empty)
  std::unique_ptr<Adam> adam_;
  std::unique_ptr<comm::GradientReducer> reducer_;  // averages grads_p_ over the ranks
  LrSchedule schedule_;
  std::vector<Plan> plans_;  // the run's plans (budget.h); saved in training.state
  std::optional<Budget> budget_;
  int64_t stop_at_ = 0;  // the step this invocation ends at (0: no step limit)
  Rng rng_;              // dropout masks
  std::unique_ptr<Net> train_net_, eval_net_;
  std::vector<int32_t> x_tn_, y_tn_, ex_tn_, ey_tn_;
  std::vector<std::vector<float>> state_all_;  // [2l] h, [2l+1] c of layer l: (K*N, H), rank 0
  double seconds_before_ = 0;                  // training time of earlier invocations (resume)
  double overhead_ = 0;             // seconds of this invocation outside training steps (budget.h)
  double eval_seconds_ = -1;        // the last evaluation and save (< 0: none yet)
  double whole_eval_seconds_ = -1;  // the last whole-split evaluation
  double save_seconds_ = 0;         // the last save
  double last_val_ = std::nan("");
  int64_t last_eval_step_ = -1, evals_since_best_ = 0;
  int bad_steps_ = 0;
  bool early_stopped_ = false;
  bool probing_ = false;                        // steps of the speed probe: not timed by the budget
  int64_t fault_first_ = -1, fault_last_ = -1;  // fault_nan_steps A-B (tests only)
};

}  // namespace charrnn::training
