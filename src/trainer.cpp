// trainer.cpp — the training loop (see trainer.h).
//
// A Session owns the run: the corpus ids, the three flat blocks (parameters, gradients, best
// parameters), Adam, the training and evaluation nets, the dropout generator and the
// schedule. A fresh run saves a checkpoint before its first step, so the directory always
// holds a loadable model; --resume restores every piece of state that the next step
// depends on (weights, moments, data position, carried LSTM state, generator, loss
// accumulator), so an interrupted and resumed run equals an uninterrupted one.
//
// Under MPI (K ranks, see comm.h) every rank runs a Session on its own N of the K*N streams,
// with its own dropout generator; train_step() averages the gradients. Stop decisions are
// OR-ed over the ranks each step, so all stop at the same step. Rank 0 alone prints,
// evaluates and writes; a save gathers the other ranks' carried state and generators first.
#include "charrnn/trainer.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "charrnn/checkpoint.h"
#include "charrnn/comm.h"
#include "charrnn/dataset.h"
#include "charrnn/error.h"
#include "charrnn/fsutil.h"
#include "charrnn/plot.h"
#include "charrnn/progress.h"
#include "charrnn/rng.h"
#include "charrnn/sha256.h"

namespace charrnn {
namespace {

constexpr int kMaxBadStepsInARow = 5;  // then training stops: the model has diverged

void check_model_dir(const TrainConfig& c) {
  if (c.model_dir.empty()) fail_usage("no model directory given", "pass --model DIR");
  if (c.resume || !path_exists(c.model_dir) || c.force) return;
  if (!is_directory(c.model_dir))
    fail_usage(c.model_dir + " exists and is not a directory", "choose another --model path");
  if (is_checkpoint_dir(c.model_dir))
    fail_usage(c.model_dir + " already holds a checkpoint; training would replace it",
               "pass --resume " + c.model_dir + " to continue it, --force to replace it, or choose another --model");
  if (!directory_is_empty(c.model_dir))  // never replace files charrnn did not write
    fail_usage(c.model_dir + " is not empty and is not a charrnn checkpoint",
               "choose an empty or new directory, or pass --force to replace it");
}

// The weight matrices (not biases) of the flat block: what weight decay applies to.
std::vector<Range> weight_ranges(const ModelConfig& c) {
  std::vector<Range> out;
  for (const TensorInfo& t : parameter_tensors(c))
    if (t.shape.size() == 2 && t.name != "embedding.weight") out.push_back({t.offset, t.offset + t.size});
  return out;
}

class Session {
 public:
  Session(const TrainConfig& c, const std::atomic<bool>* stop);
  TrainResult run();

 private:
  void load_data(const Tokenizer& tokenizer);
  void build(const ModelConfig& model);
  void restore(const LoadedCheckpoint& last);
  void check_ranks_agree() const;
  bool should_stop() const;
  double train_step();  // returns the window's mean loss, NaN when the step was skipped
  double evaluate();
  void eval_and_save();
  void save();
  void print_config();
  double eta(double secs) const;  // seconds left by the nearest stop rule; < 0 when unknown
  double elapsed() const {        // this invocation
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double total_seconds() const { return seconds_before_ + elapsed(); }

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
  LrSchedule schedule_;
  Rng rng_;  // dropout masks
  std::unique_ptr<Net> train_net_, eval_net_;
  std::vector<int32_t> x_tn_, y_tn_, ex_tn_, ey_tn_;
  std::vector<std::vector<float>> state_all_;  // [2l] h, [2l+1] c of layer l: (K*N, H), rank 0
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  double seconds_before_ = 0;  // training time of earlier invocations (resume)
  double last_val_ = std::nan("");
  int64_t last_eval_step_ = -1, evals_since_best_ = 0;
  int bad_steps_ = 0;
  bool early_stopped_ = false;
  int64_t fault_first_ = -1, fault_last_ = -1;  // CHARRNN_FAULT_NAN_STEPS=A-B (tests only)
};

// Fault injection for tests: CHARRNN_FAULT_NAN_STEPS=A-B puts a NaN into the gradient of
// steps A..B (1-based), as an overflow in backward would.
void read_fault_injection(int64_t* first, int64_t* last) {
  const char* spec = std::getenv("CHARRNN_FAULT_NAN_STEPS");
  if (!spec || std::sscanf(spec, "%ld-%ld", first, last) != 2) *first = *last = -1;
}

// Each rank draws its own dropout masks; rank 0's generator is the single-process one.
uint64_t dropout_seed(uint64_t seed) { return (seed ^ 0x5eed) + 0x9e3779b97f4a7c15ull * uint64_t(comm::rank()); }

// A 64-bit digest of bytes (the first 8 bytes of their SHA-256).
uint64_t digest64(const std::string& bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return std::stoull(h.hex_digest().substr(0, 16), nullptr, 16);
}

Session::Session(const TrainConfig& c, const std::atomic<bool>* stop)
    : cfg_(c), stop_(stop), progress_(stdout, c.quiet || comm::rank() != 0), rng_(dropout_seed(c.seed)) {
  read_fault_injection(&fault_first_, &fault_last_);
  if (comm::rank() == 0) check_model_dir(cfg_);  // rank 0 alone writes the directory
  if (cfg_.resume && cfg_.ranks != comm::size())
    fail_usage(cfg_.model_dir + " was trained on " + std::to_string(cfg_.ranks) + " process(es); this run has " +
                   std::to_string(comm::size()),
               cfg_.ranks == 1 ? "resume it without mpirun" : "resume it with mpirun -np " + std::to_string(cfg_.ranks));
  cfg_.ranks = comm::size();
  if (!cfg_.resume) {
    load_data(Tokenizer(cfg_.tokenizer));
    build(meta_.model);
    check_ranks_agree();
    init_parameters(meta_.model, params_p_.data(), cfg_.seed);
    best_p_ = params_p_;
    train_net_->sync_weights();
    meta_.state.rng = rng_.state();
    print_config();
    save();  // from now on the directory always holds a loadable checkpoint
    return;
  }
  LoadedCheckpoint last = load_checkpoint(cfg_.model_dir, WhichWeights::last, true);
  if (last.adam_m.empty())
    fail(cfg_.model_dir + " has no optimizer state", "it cannot be resumed exactly; train a new model");
  meta_ = last.meta;
  load_data(Tokenizer(meta_.tokenizer));
  build(meta_.model);
  check_ranks_agree();
  restore(last);
  print_config();
}

void Session::load_data(const Tokenizer& tokenizer) {
  std::unique_ptr<Vocabulary> vocab;  // resuming keeps the model's vocabulary
  if (cfg_.resume) vocab = std::make_unique<Vocabulary>(meta_.symbols, meta_.unknown_id);
  Corpus corpus = load_corpus(cfg_.corpus, tokenizer, vocab.get(), cfg_.resume ? meta_.corpus.sha256 : "");
  ids_ = std::move(corpus.ids);
  split_ids(ids_, cfg_.val_frac, &train_ids_, &val_ids_);
  const int64_t K = comm::size();  // rank r takes streams [r*N, r*N + N) of K*N
  batcher_ = std::make_unique<Batcher>(train_ids_, cfg_.seq, cfg_.batch, K * cfg_.batch, comm::rank() * cfg_.batch);
  if (cfg_.resume) return;
  meta_.model = cfg_.model;
  meta_.model.vocab = corpus.vocab.size();
  meta_.tokenizer = cfg_.tokenizer;
  meta_.symbols = corpus.vocab.symbols();
  meta_.unknown_id = corpus.vocab.unknown_id();
  meta_.corpus = {corpus.name, corpus.sha256, corpus.bytes, int64_t(ids_.size()),
                  int64_t(train_ids_.size), int64_t(val_ids_.size)};
}

void Session::build(const ModelConfig& model) {
  meta_.train_config = train_config_json(cfg_);
  const size_t P = parameter_count(model);
  params_p_.assign(P, 0.f);
  grads_p_.assign(P, 0.f);
  best_p_.assign(P, 0.f);
  adam_ = std::make_unique<Adam>(P, cfg_.adam, weight_ranges(model));
  schedule_ = {cfg_.lr_schedule, cfg_.adam.lr, cfg_.min_lr, cfg_.warmup,
               cfg_.steps > 0 ? cfg_.steps : int64_t(cfg_.epochs * double(batcher_->windows_per_epoch())),
               cfg_.lr_decay, cfg_.lr_decay_every};
  train_net_ = std::make_unique<Net>(model, cfg_.seq, cfg_.batch, Net::Mode::train,
                                     params_p_.data(), grads_p_.data());
  train_net_->set_dropout_rng(&rng_);
  x_tn_.assign(size_t(cfg_.seq) * cfg_.batch, 0);
  y_tn_ = x_tn_;
  state_all_.assign(size_t(2 * model.layers), std::vector<float>(size_t(comm::size()) * cfg_.batch * model.hidden));
  if (val_ids_.size > 1 && comm::rank() == 0) {  // rank 0 alone evaluates
    eval_windows_ = std::make_unique<EvalWindows>(val_ids_, cfg_.seq, cfg_.eval_batch);
    eval_net_ = std::make_unique<Net>(model, cfg_.seq, cfg_.eval_batch, Net::Mode::infer,
                                      params_p_.data(), nullptr);
    ex_tn_.assign(size_t(cfg_.seq) * cfg_.eval_batch, 0);
    ey_tn_ = ex_tn_;
  }
}

void Session::restore(const LoadedCheckpoint& last) {
  params_p_ = last.params;
  best_p_ = load_checkpoint(cfg_.model_dir, WhichWeights::best).params;
  adam_->m() = last.adam_m;
  adam_->v() = last.adam_v;
  adam_->set_steps(last.adam_steps);
  // The LSTM state carried into the next window: (K*N, H) saved, this rank's N rows taken.
  const size_t NH = train_net_->initial_h(0).size(), K = size_t(comm::size()), r = size_t(comm::rank());
  for (int l = 0; l < meta_.model.layers; ++l) {
    auto h = last.state.find("state.h_l" + std::to_string(l));
    auto c = last.state.find("state.c_l" + std::to_string(l));
    if (h == last.state.end() || c == last.state.end() || h->second.size() != K * NH || c->second.size() != K * NH)
      fail(cfg_.model_dir + "/optimizer.safetensors lacks the carried LSTM state", "train a new model");
    std::copy_n(h->second.begin() + long(r * NH), NH, train_net_->initial_h(l).begin());
    std::copy_n(c->second.begin() + long(r * NH), NH, train_net_->initial_c(l).begin());
  }
  train_net_->sync_weights();
  batcher_->seek(meta_.state.epoch, meta_.state.window);
  if (meta_.state.rank_rng.size() != K - 1)
    fail(cfg_.model_dir + "/model.json has " + std::to_string(meta_.state.rank_rng.size() + 1) +
             " dropout generators for " + std::to_string(K) + " ranks", "resume with the run's mpirun -np");
  rng_.set_state(r == 0 ? meta_.state.rng : meta_.state.rank_rng[r - 1]);
  seconds_before_ = meta_.state.seconds;
  if (!meta_.history.empty()) {
    last_eval_step_ = meta_.history.back().step;
    last_val_ = meta_.history.back().val_loss;
  }
  for (const HistoryPoint& h : meta_.history) evals_since_best_ = h.step > meta_.best_step ? evals_since_best_ + 1 : 0;
  progress_.line("resuming " + cfg_.model_dir + " at step " + std::to_string(meta_.state.step));
}

// Every rank must run the same binary on the same configuration and corpus: rank 0 compares
// digests and stops the job naming the rank that differs (the others wait to be ended).
void Session::check_ranks_agree() const {
  if (comm::size() == 1) return;
  const uint64_t binary = digest64(read_file("/proc/self/exe", "charrnn binary"));
  const uint64_t setup = digest64(train_config_json(cfg_).dump() + meta_.corpus.sha256 + "@" +
                                  std::to_string(meta_.state.step));
  const std::vector<uint64_t> binaries = comm::allgather(binary), setups = comm::allgather(setup);
  for (int r = 1; r < comm::size(); ++r) {
    if (binaries[size_t(r)] != binaries[0]) {
      if (comm::rank() != 0) comm::barrier();  // never returns: rank 0 ends the job
      fail("rank " + std::to_string(r) + " runs a different charrnn binary than rank 0",
           "install the same charrnn build on every machine");
    }
    if (setups[size_t(r)] != setups[0]) {
      if (comm::rank() != 0) comm::barrier();
      fail("rank " + std::to_string(r) + " has a different configuration, corpus or checkpoint than rank 0",
           "give every rank the same flags and the same corpus files (and the same checkpoint to resume)");
    }
  }
}

void Session::print_config() {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "corpus: %s, %llu bytes, %lld symbols (train %lld, val %lld), vocabulary %d%s",
                meta_.corpus.name.c_str(), (unsigned long long)meta_.corpus.bytes, (long long)ids_.size(),
                (long long)train_ids_.size, (long long)val_ids_.size, meta_.model.vocab,
                meta_.unknown_id >= 0 ? " (with <unk>)" : "");
  progress_.line(buf);
  std::snprintf(buf, sizeof buf,
                "model: %s, %d layers x %d hidden, embedding %d, dropout %.2f, %zu parameters (oneDNN %s)",
                cell_name(meta_.model.cell).c_str(), meta_.model.layers, meta_.model.hidden, meta_.model.embed, meta_.model.dropout,
                parameter_count(meta_.model), train_net_->lstm_implementation().c_str());
  progress_.line(buf);
  progress_.line("config: " + meta_.train_config.dump());
}

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
  const double rate = double(std::max<int64_t>(1, meta_.state.step)) / std::max(1e-9, total_seconds());  // steps/s
  double left = 1e300;
  if (cfg_.steps > 0) left = std::min(left, double(cfg_.steps - meta_.state.step) / rate);
  if (cfg_.epochs > 0)
    left = std::min(left, (cfg_.epochs - batcher_->epoch_progress()) * double(batcher_->windows_per_epoch()) / rate);
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
  if (r.applied) {
    bad_steps_ = 0;
    return r.loss;
  }
  if (++bad_steps_ >= kMaxBadStepsInARow)
    fail(std::to_string(bad_steps_) + " steps in a row had a non-finite loss or gradient; stopping",
         "lower --lr or --clip; the last good checkpoint in " + cfg_.model_dir + " is intact");
  // A warning, not progress: shown even with --quiet (by rank 0; the ranks agree).
  if (comm::rank() == 0)
    std::fprintf(stderr, "charrnn: warning: non-finite loss or gradient at step %lld; step skipped\n",
               (long long)(meta_.state.step + 1));
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
  meta_.history.push_back({s.step, s.tokens, total_seconds(), batcher_->epoch_progress(), train_loss, val});
  s.loss_sum = 0.0;
  s.loss_steps = 0;
  last_val_ = val;
  last_eval_step_ = s.step;
  const bool improved = std::isnan(val) || meta_.best_step < 0 || val < meta_.best_val_loss;
  if (improved) {
    meta_.best_val_loss = val;
    meta_.best_step = s.step;
    best_p_ = params_p_;  // same size: an in-place copy
    evals_since_best_ = 0;
  } else if (cfg_.patience > 0 && ++evals_since_best_ >= cfg_.patience) {
    early_stopped_ = true;
  }
  save();
  char buf[200];
  std::snprintf(buf, sizeof buf, "step %lld | train %.4f | val %.4f nats (%.3f bits/char)%s | %s",
                (long long)s.step, train_loss, val, val / std::log(2.0),
                improved ? " | best, saved" : " | saved", format_duration(total_seconds()).c_str());
  progress_.line(buf);
  if (early_stopped_)
    progress_.line("no improvement in " + std::to_string(cfg_.patience) + " evaluations: stopping (--patience)");
}

void Session::save() {
  meta_.state.epoch = batcher_->epoch();
  meta_.state.window = batcher_->window();
  meta_.state.seconds = total_seconds();
  // Collective: every rank's carried state and dropout generator go to rank 0.
  const int K = comm::size();
  const int64_t N = cfg_.batch, H = meta_.model.hidden;
  for (int l = 0; l < meta_.model.layers; ++l) {
    comm::gather(train_net_->initial_h(l).data(), size_t(N * H), state_all_[size_t(2 * l)].data());
    comm::gather(train_net_->initial_c(l).data(), size_t(N * H), state_all_[size_t(2 * l + 1)].data());
  }
  std::array<std::vector<uint64_t>, 4> rng_words;
  for (size_t i = 0; i < 4; ++i) rng_words[i] = comm::allgather(rng_.state()[i]);
  if (comm::rank() != 0) return;
  meta_.state.rng = rng_.state();
  meta_.state.rank_rng.assign(size_t(K - 1), {});
  for (int r = 1; r < K; ++r)
    for (size_t i = 0; i < 4; ++i) meta_.state.rank_rng[size_t(r - 1)][i] = rng_words[i][size_t(r)];
  CheckpointTensors t{best_p_.data(), params_p_.data(), adam_->m().data(), adam_->v().data(),
                      adam_->steps(), {}, {}};
  for (int l = 0; l < meta_.model.layers; ++l) {
    t.state.push_back({"state.h_l" + std::to_string(l), {K * N, H}, state_all_[size_t(2 * l)].data()});
    t.state.push_back({"state.c_l" + std::to_string(l), {K * N, H}, state_all_[size_t(2 * l + 1)].data()});
  }
  t.extra_files["loss.svg"] = loss_svg(meta_.history, "charrnn: " + meta_.corpus.name);
  save_checkpoint(cfg_.model_dir, meta_, t);
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
    progress_.step({s.step, cfg_.steps, batcher_->epoch_progress(),
                    s.loss_steps ? s.loss_sum / double(s.loss_steps) : std::nan(""),
                    double(s.step * tokens_per_step) / std::max(1e-9, total_seconds()), total_seconds(),
                    eta(secs), last_val_});
    if (cfg_.eval_every > 0 && s.step % cfg_.eval_every == 0) eval_and_save();
  }
  const bool interrupted = comm::any(stop_ && stop_->load());
  if (interrupted) save();  // the state only: no evaluation, so a resumed run's history is unchanged
  else if (last_eval_step_ != s.step) eval_and_save();
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

}  // namespace

TrainResult train(const TrainConfig& config, const std::atomic<bool>* stop) {
  TrainConfig c = config;
  resolve_train_config(c);
  Session session(c, stop);
  return session.run();
}

}  // namespace charrnn
