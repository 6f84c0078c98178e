// budget.h — training to a time budget: the schedule runs on the fraction of the run done, and
// a plan says how many steps "the whole run" is. A budget of M minutes is planned from the
// speed measured so far (and re-planned at a few fractions of the budget, if the machine's
// speed drifts), so that every run anneals at its deadline and ends, evaluated and saved,
// within M minutes on any CPU.
//
// Plans are recorded (model.json's training.state.plans): the learning rate of every step is a
// function of the plans alone, so --resume continues the same schedule exactly. A plan starts
// at step `from` with the progress the previous one had reached there, and reaches progress 1 at
// step `total`: the progress, hence the learning rate, is continuous across re-plans. A plan
// that starts a new cycle (a finished run resumed with a new budget) starts at progress 0.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace charrnn {

struct Plan {
  int64_t from = 0;     // first step it applies to (steps done when it was made)
  double progress = 0;  // progress at `from`, in [0, 1]
  int64_t total = 0;    // the step at which progress reaches 1
  double seconds = 0;   // when it was made (seconds into this invocation); 0 for a fixed horizon
  double step_seconds = 0;  // measured seconds per step (evaluations spread in); 0: not timed
};
nlohmann::json plans_to_json(const std::vector<Plan>& plans);
std::vector<Plan> plans_from_json(const nlohmann::json& j);  // throws a runtime Error

// Progress in [0, 1] at `step` under the last plan that starts at or before it (0 without one).
double progress_at(const std::vector<Plan>& plans, int64_t step);

// What a re-plan needs to know, in seconds of this invocation.
struct BudgetClock {
  double now = 0;            // seconds since the invocation started (corpus loading included)
  double overhead = 0;       // of which spent outside training steps (evaluations, saves,
                             // samples), so that they do not count as step time
  double eval_per_step = 0;  // expected evaluation and save seconds per step (every N steps)
  double final_cost = 0;     // expected cost of the last evaluation and save
};

// Plans the steps of one invocation with a time budget (and optional step cap from the other
// stop rules: steps, epochs). The caller reports every step; the budget re-plans at the start
// (once a few steps are timed) and at fixed fractions of the budget.
class Budget {
 public:
  // `seconds`: the budget; `cap`: the step the other stop rules end at (0: none); `plans`: the
  // run's record, appended to. `first_step`: steps done when this invocation started.
  Budget(double seconds, int64_t cap, int64_t first_step, std::vector<Plan>* plans, bool new_cycle);
  // After step `step` (1-based count of steps done) at `clock`: re-plans when a plan point is
  // reached. Returns true when it made a plan.
  bool after_step(int64_t step, const BudgetClock& clock);
  // The step this invocation ends at (its plan's total; the cap until a plan exists).
  int64_t planned_total() const;
  // Stop now even though the plan is not done: the time left does not cover the final cost.
  bool out_of_time(const BudgetClock& clock) const;
  // Starts timing at `step` (after a first, untimed step that builds what it needs).
  void start(int64_t step, const BudgetClock& clock);
  // A plan before any step of the run was timed, from the probe's seconds per step.
  void plan_from_probe(int64_t step, double step_seconds, const BudgetClock& clock);
  bool planned() const { return planned_; }
  bool started() const { return started_; }

  static constexpr int kTimedSteps = 3;  // steps timed before the first plan

 private:
  void plan(int64_t step, double step_seconds, const BudgetClock& clock);
  double seconds_;
  int64_t cap_;
  std::vector<Plan>* plans_;
  bool new_cycle_;
  bool planned_ = false, started_ = false;
  size_t next_point_ = 0;  // index into kPoints
  int64_t mark_step_ = 0;  // the steps and times the next measurement starts from
  double mark_now_ = 0, mark_overhead_ = 0;
  double step_seconds_ = 0;  // the last measurement
};

}  // namespace charrnn
