// session_setup.cpp — what a run measures before it settles: the automatic preset's sizes
// (timed on this CPU), the speed probe's precision and threads (timed on the run's first real
// steps), and the plans of the schedule (see session.h, presets.h, probe.h, budget.h).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "charrnn/error.h"
#include "train/comm.h"
#include "train/presets.h"
#include "train/session.h"

namespace charrnn::training {
namespace {

// Tokens/s of one size's training step as the run takes it (train_step: forward, backward,
// clipping, Adam and the weights' re-sync, at the run's T and N, dropout as configured) on
// the first training windows, in `model.dtype`, on scratch parameters and moments: the run's own
// blocks and random stream are not touched, and no collective runs. (Until 2026-12-05 it
// timed forward and backward alone at T 20: 1.33x the tokens/s the run then made on a Zen 5
// in bf16, 0.85x-1.03x on the Xeon without AMX in f32, so a token per parameter meant a
// different budget on each CPU; docs/quality.md.)
double time_size(const ModelConfig& model, const TrainConfig& c, int T, int N, IdSpan ids) {
  const size_t P = parameter_count(model);
  std::vector<float> params(P), grads(P);
  init_parameters(model, params.data(), 1);
  Net net(model, T, N, Net::Mode::train, params.data(), grads.data());
  Adam adam(P, c.adam, weight_ranges(model));
  Rng masks(1);
  net.set_dropout_rng(&masks);
  net.sync_weights();
  Batcher batcher(ids, T, N);
  std::vector<int32_t> x(size_t(T) * N), y(x.size());
  std::vector<double> times;
  for (int rep = 0; rep < 3; ++rep) {  // the first builds what it needs: not timed
    batcher.next(x.data(), y.data());
    const auto t0 = Clock::now();
    train_step(net, adam, nullptr, params, grads, x.data(), y.data(), c.clip, float(c.adam.lr));
    if (rep > 0) times.push_back(seconds_since(t0));
  }
  return double(T) * N / std::max(1e-9, (times[0] + times[1]) / 2);
}

// The size's fastest precision among `dtypes` and its tokens/s here; each timing goes into
// `record` (model.json's setup.auto.measured).
SizeMeasure time_fastest(const SizeCandidate& size, const std::vector<ProbeCandidate>& dtypes,
                         const TrainConfig& c, int vocab, IdSpan ids, nlohmann::json& record) {
  SizeMeasure best{size, dtypes.front().dtype, 0.0};
  for (const ProbeCandidate& d : dtypes) {
    ModelConfig m = c.model;
    m.layers = size.layers;
    m.hidden = size.hidden;
    m.embed = size.embed;
    m.vocab = vocab;
    m.dtype = d.dtype;
    const double rate = time_size(m, c, size.seq, size.batch, ids);
    record.push_back({{"layers", size.layers},
                      {"hidden", size.hidden},
                      {"batch", size.batch},
                      {"dtype", dtype_name(d.dtype)},
                      {"tokens_per_s", rate}});
    if (rate > best.tokens_per_s) best = {size, d.dtype, rate};
  }
  return best;
}

uint64_t bits_of(double x) {
  uint64_t w;
  std::memcpy(&w, &x, sizeof w);
  return w;
}
double double_of(uint64_t w) {
  double x;
  std::memcpy(&x, &w, sizeof x);
  return x;
}

// Under MPI every rank times the sizes on its own, and near a threshold (tokens per parameter,
// exposure) their choices could differ where all must train one model: every rank takes rank
// 0's size, precision, speed and budget, and derives the same choice from them (in f32 on all
// when a rank's CPU lacks bf16).
AutoChoice rank0_choice(const std::vector<SizeCandidate>& ladder, const SizeMeasure& mine,
                        size_t pick, BudgetSpec budget, int64_t symbols, int vocab) {
  const size_t index = size_t(comm::allgather(pick)[0]);
  Dtype dtype = Dtype(int(comm::allgather(uint64_t(int(mine.dtype)))[0]));
  if (comm::any(!cpu_has_bf16())) dtype = Dtype::f32;
  const double rate = double_of(comm::allgather(bits_of(mine.tokens_per_s))[0]);
  budget.seconds = double_of(comm::allgather(bits_of(budget.seconds))[0]);
  return choose_auto({SizeMeasure{ladder[index], dtype, rate}}, budget, symbols, vocab);
}

}  // namespace

void Session::size_automatically() {
  const auto t0 = Clock::now();
  const int vocab = int(meta_.symbols.size());
  BudgetSpec budget;
  // The time left for steps: the budget less what was spent and what the end will cost.
  if (cfg_.minutes > 0) budget.seconds = std::max(1.0, 0.96 * cfg_.minutes * 60.0 - elapsed());
  budget.steps = cfg_.steps;
  budget.epochs = cfg_.epochs;
  const std::vector<ProbeCandidate> dtypes =
      probe_candidates(cfg_.model.dtype, omp_get_max_threads(), cpu_has_bf16(), 1);
  const std::vector<SizeCandidate> ladder = auto_ladder_for(cfg_);  // given settings win
  std::vector<SizeMeasure> measured;                                // measured[i] is ladder[i]'s
  nlohmann::json record = nlohmann::json::array();
  for (const SizeCandidate& size : ladder) {
    // A size the corpus cannot hold is never chosen: timing it would only spend the budget.
    if (!measured.empty() && !corpus_holds(size, int64_t(train_ids_.size), vocab)) break;
    // Nor is one the budget could not feed even at twice the last size's speed per parameter.
    if (!measured.empty() && budget.seconds > 0 &&
        !worth_timing(measured.back(), size, budget, int64_t(train_ids_.size), vocab))
      break;
    SizeMeasure best{size, dtypes.front().dtype, 0.0};
    if (budget.seconds > 0) {  // by time: the budget in tokens is this size's speed here
      if (train_ids_.size < size_t(size.seq) * size.batch + 1) {  // the corpus is too small
        if (measured.empty()) (void)Batcher(train_ids_, size.seq, size.batch);  // its message
        break;
      }
      best = time_fastest(size, dtypes, cfg_, vocab, train_ids_, record);
    }
    measured.push_back(best);
    // Past this size the budget per parameter only falls: stop measuring (and stop when the
    // measuring itself nears 1.5% of the budget).
    const double params = double(size.layers) * 8.0 * size.hidden * size.hidden;
    if (budget_tokens(budget, best, int64_t(train_ids_.size)) < params) break;
    if (budget.seconds > 0 && seconds_since(t0) > 0.015 * cfg_.minutes * 60.0) break;
  }
  AutoChoice c = choose_auto(measured, budget, int64_t(train_ids_.size), vocab);
  if (comm::size() > 1)
    c = rank0_choice(ladder, measured[c.pick], c.pick, budget, int64_t(train_ids_.size), vocab);
  apply_auto_choice(c, budget.seconds > 0, cfg_);
  const double seconds = seconds_since(t0);  // model.json and the log give the same figure
  meta_.setup["auto"] = {{"measured", record},
                         {"seconds", seconds},
                         {"choice", c.why},
                         {"dtype", dtype_name(c.dtype)}};
  char measure[80] = "";  // the speed the budget in tokens came from, beside the probe's
  if (budget.seconds > 0)
    std::snprintf(measure, sizeof measure, ", %s at %.0f tokens/s (measured in %.1f s)",
                  dtype_name(c.dtype).c_str(), c.tokens_per_s, seconds);
  info("preset auto: " + c.why + measure);
}

void Session::switch_net(Dtype dtype) {
  ModelConfig m = meta_.model;
  m.dtype = dtype;
  std::vector<std::vector<float>> h, c;  // the carried state goes with the run
  for (int l = 0; l < m.layers; ++l) {
    h.push_back(train_net_->initial_h(l));
    c.push_back(train_net_->initial_c(l));
  }
  train_net_.reset();
  train_net_ = std::make_unique<Net>(m, cfg_.seq, cfg_.batch, Net::Mode::train, params_p_.data(),
                                     grads_p_.data());
  train_net_->set_dropout_rng(&rng_);
  for (int l = 0; l < m.layers; ++l) {
    train_net_->initial_h(l) = h[size_t(l)];
    train_net_->initial_c(l) = c[size_t(l)];
  }
  train_net_->sync_weights();
}

void Session::probe_speed() {
  const int cores = omp_get_max_threads();
  const std::vector<ProbeCandidate> candidates = probe_candidates(
      meta_.model.dtype == Dtype::f32 && cfg_.model.dtype == Dtype::automatic ? Dtype::automatic
                                                                              : meta_.model.dtype,
      comm::size() > 1 ? cores : cfg_.threads, cpu_has_bf16(), cores);
  const int64_t steps_needed = 3 * int64_t(candidates.size()) + 10;
  const int64_t cap = stop_at_ > 0 ? stop_at_ : horizon_cap();
  const bool room = (cap == 0 || cap - meta_.state.step >= steps_needed) &&
                    (cfg_.minutes == 0 || cfg_.minutes * 60.0 >= 60.0);
  ProbeResult r;
  if (candidates.size() > 1 && room) {
    Dtype current = meta_.model.dtype;
    probing_ = true;
    r = run_probe(candidates, [&](const ProbeCandidate& c) {
      omp_set_num_threads(c.threads);
      switch_net(c.dtype);  // built with this thread count
      current = c.dtype;
      do_step();  // builds what the first step needs: not timed
      return (do_step() + do_step()) / 2;
    });
    probing_ = false;
    // Every rank takes rank 0's choice, so all compute alike.
    size_t index = 0;
    for (size_t i = 0; i < candidates.size(); ++i)
      if (candidates[i].dtype == r.chosen.candidate.dtype &&
          candidates[i].threads == r.chosen.candidate.threads)
        index = i;
    index = size_t(comm::allgather(uint64_t(index))[0]);
    r.chosen = r.timings[index];
    if (current != r.chosen.candidate.dtype ||
        r.chosen.candidate.threads != omp_get_max_threads()) {
      omp_set_num_threads(r.chosen.candidate.threads);
      switch_net(r.chosen.candidate.dtype);
    }
    std::string line = "probe:";
    for (const ProbeTiming& t : r.timings) {
      char buf[96];
      std::snprintf(buf, sizeof buf, " %s x%d %.3f s/step,", dtype_name(t.candidate.dtype).c_str(),
                    t.candidate.threads, t.step_seconds);
      line += buf;
    }
    info(line + " taking " + dtype_name(r.chosen.candidate.dtype) + " with " +
         std::to_string(r.chosen.candidate.threads) + " thread(s)");
    meta_.setup["probe"] = probe_to_json(r);
  } else {
    r.chosen = {candidates.front(), 0.0};
    omp_set_num_threads(r.chosen.candidate.threads);
    if (r.chosen.candidate.dtype != meta_.model.dtype) switch_net(r.chosen.candidate.dtype);
  }
  const Dtype chosen = r.chosen.candidate.dtype;
  if (meta_.model.dtype != chosen && eval_net_) {  // validation computes as training does
    ModelConfig m = meta_.model;
    m.dtype = chosen;
    eval_net_ = std::make_unique<Net>(m, cfg_.seq, cfg_.eval_batch, Net::Mode::infer,
                                      validated().data(), nullptr);
  }
  meta_.model.dtype = chosen;
  cfg_.model.dtype = chosen;
  meta_.train_config = train_config_json(cfg_);
  if (budget_ && r.chosen.step_seconds > 0) {
    budget_->plan_from_probe(meta_.state.step, r.chosen.step_seconds, budget_clock());
    report_plan();
  }
}

int64_t Session::horizon_cap() const {
  int64_t cap = cfg_.steps;
  if (cfg_.epochs > 0) {
    const int64_t by_epochs = int64_t(cfg_.epochs * double(batcher_->windows_per_epoch()));
    cap = cap > 0 ? std::min(cap, by_epochs) : by_epochs;
  }
  return cap;
}

void Session::setup_plans() {
  const int64_t step = meta_.state.step, cap = horizon_cap();
  const double progress = progress_at(plans_, step);
  const bool finished = !plans_.empty() && progress >= 1.0;
  const bool rule_given =
      cfg_.is_given("steps") || cfg_.is_given("epochs") || cfg_.is_given("minutes");
  if (cfg_.resume && !plans_.empty() && !finished && !rule_given) {
    stop_at_ = plans_.back().total;  // an interrupted run: the same plan, to its end
    info("continuing the plan: step " + std::to_string(step) + " of " + std::to_string(stop_at_));
    return;
  }
  const bool new_cycle = cfg_.resume && (finished || plans_.empty());
  if (cfg_.minutes > 0) {
    budget_.emplace(cfg_.minutes * 60.0, cap, step, &plans_, new_cycle);
    return;
  }
  stop_at_ = cap;
  if (cap > 0 && (plans_.empty() || plans_.back().total != cap))
    plans_.push_back({step, new_cycle ? 0.0 : progress, cap, 0.0, 0.0});
}

BudgetClock Session::budget_clock() const {
  BudgetClock c;
  c.now = elapsed();
  c.overhead = overhead_;
  // Seconds per symbol of a forward pass: a third of a training step's per token.
  const double step_s = plans_.empty() ? 0.0 : plans_.back().step_seconds;
  const double per_symbol = step_s / (3.0 * cfg_.seq * cfg_.batch);
  const int64_t sample = eval_sample_ ? eval_sample_->count() * cfg_.seq * cfg_.eval_batch : 0;
  const double eval_s =
      eval_seconds_ >= 0
          ? eval_seconds_
          : double(sample > 0 ? sample : int64_t(val_ids_.size)) * per_symbol + save_seconds_;
  if (cfg_.eval_every > 0) c.eval_per_step = eval_s / double(cfg_.eval_every);
  const double whole_s = whole_eval_seconds_ >= 0
                             ? whole_eval_seconds_
                             : double(val_ids_.size) * per_symbol + save_seconds_;
  c.final_cost = (final_is_whole() ? whole_s : eval_s) + save_seconds_;
  return c;
}

}  // namespace charrnn::training
