// budget.cpp — plans, progress and re-planning against a time budget (see budget.h).
#include "train/budget.h"

#include <algorithm>
#include <cmath>

#include "charrnn/error.h"

namespace charrnn {
namespace {

// Fractions of the budget at which the plan is made again from the speed measured since the
// previous point: early enough to correct a drift, late enough to have measured it.
constexpr double kPoints[] = {0.1, 0.25, 0.5, 0.75, 0.9};

}  // namespace

nlohmann::json plans_to_json(const std::vector<Plan>& plans) {
  nlohmann::json out = nlohmann::json::array();
  for (const Plan& p : plans)
    out.push_back({{"from", p.from},
                   {"progress", p.progress},
                   {"total", p.total},
                   {"seconds", p.seconds},
                   {"step_seconds", p.step_seconds}});
  return out;
}

std::vector<Plan> plans_from_json(const nlohmann::json& j) {
  std::vector<Plan> out;
  if (!j.is_array()) fail("training.state.plans must be an array");
  for (const nlohmann::json& p : j) {
    Plan plan;
    try {
      plan = {p.at("from"), p.at("progress"), p.at("total"), p.value("seconds", 0.0),
              p.value("step_seconds", 0.0)};
    } catch (const nlohmann::json::exception&) {
      fail("training.state.plans holds a malformed plan");
    }
    if (plan.from < 0 || plan.total < plan.from || !(plan.progress >= 0 && plan.progress <= 1))
      fail("training.state.plans holds an impossible plan");
    out.push_back(plan);
  }
  return out;
}

double progress_at(const std::vector<Plan>& plans, int64_t step) {
  const Plan* in_force = nullptr;
  for (const Plan& p : plans)
    if (p.from <= step) in_force = &p;
  if (!in_force) return 0.0;
  const Plan& p = *in_force;
  if (p.total <= p.from || step >= p.total) return 1.0;
  return p.progress + (1.0 - p.progress) * double(step - p.from) / double(p.total - p.from);
}

Budget::Budget(double seconds, int64_t cap, int64_t first_step, std::vector<Plan>* plans,
               bool new_cycle)
    : seconds_(seconds), cap_(cap), plans_(plans), new_cycle_(new_cycle), mark_step_(first_step) {}

int64_t Budget::planned_total() const {
  if (!planned_) return cap_;
  return plans_->back().total;
}

bool Budget::out_of_time(const BudgetClock& clock) const {
  return clock.now + step_seconds_ + clock.final_cost > seconds_;
}

void Budget::plan(int64_t step, double step_seconds, const BudgetClock& clock) {
  step_seconds_ = step_seconds;
  const double per_step = std::max(1e-9, step_seconds + clock.eval_per_step);
  const double left = std::max(0.0, seconds_ - clock.now - clock.final_cost);
  int64_t total = step + int64_t(std::floor(left / per_step));
  if (cap_ > 0) total = std::min(total, cap_);
  total = std::max(total, step);
  const double progress = new_cycle_ && !planned_ ? 0.0 : progress_at(*plans_, step);
  if (!plans_->empty() && planned_ && plans_->back().total == total) return;
  plans_->push_back({step, progress, total, clock.now, step_seconds});
  planned_ = true;
}

void Budget::start(int64_t step, const BudgetClock& clock) {
  started_ = true;
  mark_step_ = step;
  mark_now_ = clock.now;
  mark_overhead_ = clock.overhead;
}

void Budget::plan_from_probe(int64_t step, double step_seconds, const BudgetClock& clock) {
  plan(step, step_seconds, clock);
  start(step, clock);
}

bool Budget::after_step(int64_t step, const BudgetClock& clock) {
  const size_t points = sizeof kPoints / sizeof kPoints[0];
  const int64_t steps = step - mark_step_;
  if (!started_) return false;
  const bool first = !planned_ && steps >= kTimedSteps;
  bool point = false;
  while (next_point_ < points && clock.now >= kPoints[next_point_] * seconds_) {
    ++next_point_;
    point = true;
  }
  if (!(first || (point && steps > 0))) return false;
  const double step_seconds =
      std::max(0.0, (clock.now - mark_now_) - (clock.overhead - mark_overhead_)) / double(steps);
  const size_t before = plans_->size();
  plan(step, step_seconds, clock);
  mark_step_ = step;
  mark_now_ = clock.now;
  mark_overhead_ = clock.overhead;
  return plans_->size() != before;
}

}  // namespace charrnn
