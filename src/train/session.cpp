// session.cpp — building a training Session: a fresh run (corpus, vocabulary, initial weights,
// a checkpoint before the first step, so the directory always holds a loadable model) or an
// exact resume (weights, moments, data position, carried LSTM state, generators, loss
// accumulator), and saving it (see session.h).
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include "base/fsutil.h"
#include "base/hash.h"
#include "charrnn/error.h"
#include "text/corpus_cache.h"
#include "train/comm.h"
#include "train/plot.h"
#include "train/session.h"

namespace charrnn::training {
namespace {

void check_model_dir(const TrainConfig& c) {
  if (c.model_dir.empty()) fail_field("model", "is not given", "name the checkpoint directory");
  if (c.resume || c.force) return;
  // A save that died between its two renames left the checkpoint aside: it is still the
  // checkpoint (loaders read it, the next save puts it back), not a free directory.
  if (!path_exists(c.model_dir) && is_checkpoint_dir(checkpoint_aside_dir(c.model_dir)))
    fail_usage(c.model_dir + " already holds a checkpoint (at " +
                   checkpoint_aside_dir(c.model_dir) +
                   ", left by an interrupted save); training would replace it",
               "resume it to continue it, set {force} to replace it, or choose another {model}");
  if (!path_exists(c.model_dir)) return;
  if (!is_directory(c.model_dir))
    fail_usage(c.model_dir + " exists and is not a directory", "choose another {model} path");
  if (is_checkpoint_dir(c.model_dir))
    fail_usage(c.model_dir + " already holds a checkpoint; training would replace it",
               "resume it to continue it, set {force} to replace it, or choose another {model}");
  if (!directory_is_empty(c.model_dir))  // never replace files charrnn did not write
    fail_usage(c.model_dir + " is not empty and is not a charrnn checkpoint",
               "choose an empty or new directory, or set {force} to replace it");
}

// Fault injection for tests: the hidden setting fault_nan_steps "A-B" puts a NaN into the
// gradient of steps A..B (1-based), as an overflow in backward would.
void read_fault_injection(const std::string& spec, int64_t* first, int64_t* last) {
  if (spec.empty() || std::sscanf(spec.c_str(), "%ld-%ld", first, last) != 2) *first = *last = -1;
}

// Each rank draws its own dropout masks; rank 0's generator is the single-process one.
uint64_t dropout_seed(uint64_t seed) {
  return (seed ^ 0x5eed) + 0x9e3779b97f4a7c15ull * uint64_t(comm::rank());
}

// A 64-bit digest of bytes (the first 8 bytes of their SHA-256).
uint64_t digest64(const std::string& bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return std::stoull(h.hex_digest().substr(0, 16), nullptr, 16);
}

}  // namespace

std::vector<Range> weight_ranges(const ModelConfig& c) {
  std::vector<Range> out;
  for (const TensorInfo& t : parameter_tensors(c))
    if (t.shape.size() == 2 && t.name != "embedding.weight")
      out.push_back({t.offset, t.offset + t.size});
  return out;
}

Session::Session(const TrainConfig& c, const std::atomic<bool>* stop, const TrainCallback& report)
    : cfg_(c),
      stop_(stop),
      report_(is_lead() ? report : TrainCallback()),
      rng_(dropout_seed(c.seed)) {
  read_fault_injection(cfg_.fault_nan_steps, &fault_first_, &fault_last_);
  if (is_lead()) check_model_dir(cfg_);
  if (cfg_.resume && cfg_.ranks != comm::size()) share_global_batch();
  cfg_.ranks = comm::size();
  if (cfg_.model.dtype == Dtype::bf16 && !cpu_has_bf16()) {
    info_warning("this CPU has no bf16 instructions (AVX512-BF16 or AMX); using f32");
    cfg_.model.dtype = Dtype::f32;
  }
  if (cfg_.resume)
    start_resumed();
  else
    start_new();
}

// Resumed on K' ranks after K: the K*N streams (the global batch) stay the same and are
// dealt out N' = K*N/K' per rank, so the run goes on as it would have, exactly as far as the
// sums allow (the gradient mean is summed in another order). K' must divide K*N.
void Session::share_global_batch() {
  const int64_t streams = int64_t(cfg_.ranks) * cfg_.batch, K = comm::size();
  if (streams % K != 0)
    fail_usage(cfg_.model_dir + " was trained on " + std::to_string(cfg_.ranks) +
                   " process(es) of " + std::to_string(cfg_.batch) + " streams ({batch}); its " +
                   std::to_string(streams) + " streams cannot be shared equally by " +
                   std::to_string(K) + " process(es)",
               "resume it with a process count that divides " + std::to_string(streams));
  info_warning(
      "resuming a run of " + std::to_string(cfg_.ranks) + " process(es) on " + std::to_string(K) +
      ": the same " + std::to_string(streams) + " streams, " + std::to_string(streams / K) +
      " per process" +
      (cfg_.model.dropout > 0 || cfg_.model.output_dropout > 0 || cfg_.model.weight_drop > 0
           ? "; dropout masks are drawn per process, so they differ from here on"
           : ""));
  cfg_.batch = int(streams / K);
}

void Session::start_new() {
  LoadedCheckpoint parent;
  if (!cfg_.init_from.empty()) parent = load_parent();
  load_data(Tokenizer(cfg_.tokenizer), cfg_.init_from.empty() ? nullptr : &parent.meta);
  check_ranks_agree();  // before the automatic preset, whose ranks take rank 0's choice
  if (cfg_.preset == Preset::automatic) size_automatically();
  // Said, because 30 minutes given only 3 layers would otherwise quietly train 3 x 128 with no
  // dropout.
  if (!cfg_.auto_off_by.empty())
    info("preset none: {" + cfg_.auto_off_by +
         "} was given, so the settings not given keep their plain defaults; give {preset} auto "
         "as well to size them by the budget, the corpus and this CPU");
  meta_.model = ModelConfig(cfg_.model);
  meta_.model.vocab = int(meta_.symbols.size());
  if (meta_.model.dtype == Dtype::automatic) meta_.model.dtype = Dtype::f32;  // until probed
  build(meta_.model);
  init_parameters(meta_.model, params_p_.data(), cfg_.seed);
  if (!cfg_.init_from.empty())  // the parent's tensors; rows of new symbols stay fresh
    copy_parent_parameters(parent.meta.model, parent.params.data(), meta_.model, params_p_.data());
  if (!ema_p_.empty()) ema_p_ = params_p_;  // same sizes: in-place copies
  if (is_lead()) best_p_ = params_p_;
  train_net_->sync_weights();
  meta_.state.rng = rng_.state();
  print_config();
  const auto t0 = std::chrono::steady_clock::now();
  save();  // from now on the directory always holds a loadable checkpoint
  save_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Session::start_resumed() {
  LoadedCheckpoint last = load_checkpoint(cfg_.model_dir, WhichWeights::last, true);
  if (last.adam_m.empty())
    fail(cfg_.model_dir + " has no optimizer state",
         "it cannot be resumed exactly; train a new model");
  meta_ = last.meta;
  load_data(Tokenizer(meta_.tokenizer));
  // The precision may change on resume (weights are f32); without bf16 on this CPU, f32.
  meta_.model.dtype = cfg_.model.dtype == Dtype::automatic ? Dtype::f32 : cfg_.model.dtype;
  if (meta_.model.dtype == Dtype::bf16 && !cpu_has_bf16()) meta_.model.dtype = Dtype::f32;
  build(meta_.model);
  check_ranks_agree();
  restore(last);
  print_config();
}

// init_from: the parent's architecture and tokenizer (the settings that would change them are
// refused by resolve_train_config); its weights are copied after the vocabulary is known.
LoadedCheckpoint Session::load_parent() {
  LoadedCheckpoint p = load_checkpoint(cfg_.init_from, WhichWeights::best);
  cfg_.model.cell = p.meta.model.cell;
  cfg_.model.layers = p.meta.model.layers;
  cfg_.model.hidden = p.meta.model.hidden;
  cfg_.model.embed = p.meta.model.embed;
  cfg_.tokenizer = p.meta.tokenizer;
  cfg_.preset = Preset::none;
  meta_.parent = {{"path", p.dir},
                  {"weights_sha256", p.json["files"]["weights"]["sha256"]},
                  {"vocab", p.meta.model.vocab}};
  return p;
}

void Session::load_data(const Tokenizer& tokenizer, const CheckpointMeta* parent) {
  std::unique_ptr<Vocabulary> vocab;  // resuming keeps the model's vocabulary
  if (cfg_.resume) vocab = std::make_unique<Vocabulary>(meta_.symbols, meta_.unknown_id);
  CorpusCache cache{cfg_.cache_dir.empty() ? default_corpus_cache_dir() : cfg_.cache_dir};
  const CorpusCache* use_cache = cfg_.cache_dir == "none" ? nullptr : &cache;
  auto warn = [this](const std::string& text) {
    if (report_) report_({TrainEvent::Kind::warning, text});
  };
  const auto t0 = std::chrono::steady_clock::now();
  Corpus corpus;
  if (parent) {  // every symbol of the corpus, then the union with the parent's vocabulary
    TokenizerConfig all = tokenizer.config();
    all.min_count = 1;
    all.max_vocab = 0;
    corpus = load_corpus(cfg_.corpus, Tokenizer(all), nullptr, "", use_cache, warn);
    const Vocabulary parents(parent->symbols, parent->unknown_id);
    const Vocabulary joined = Tokenizer::extend_vocabulary(parents, corpus.vocab);
    std::vector<int32_t> to_joined(size_t(corpus.vocab.size()));
    for (int id = 0; id < corpus.vocab.size(); ++id)
      to_joined[size_t(id)] = joined.find(corpus.vocab.symbol(id));
    corpus.ids.remap(to_joined, joined.size());
    corpus.vocab = joined;
  } else {
    corpus = load_corpus(cfg_.corpus, tokenizer, vocab.get(),
                         cfg_.resume ? meta_.corpus.sha256 : "", use_cache, warn);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char line[160];
  std::snprintf(line, sizeof line, "corpus %s in %.1f s (%d-bit ids%s)",
                corpus.from_cache ? "mapped from the cache" : "prepared and encoded", seconds,
                8 * corpus.ids.width(), use_cache ? "" : ", no cache");
  info(line);
  ids_ = std::move(corpus.ids);
  split_ids(ids_.span(), cfg_.val_frac, &train_ids_, &val_ids_);
  if (cfg_.resume) return;
  meta_.tokenizer = cfg_.tokenizer;
  meta_.symbols = corpus.vocab.symbols();
  meta_.unknown_id = corpus.vocab.unknown_id();
  meta_.corpus = {corpus.name,
                  corpus.sha256,
                  corpus.bytes,
                  int64_t(ids_.size()),
                  int64_t(train_ids_.size),
                  int64_t(val_ids_.size)};
}

void Session::build(const ModelConfig& model) {
  const int64_t K = comm::size();  // rank r takes streams [r*N, r*N + N) of K*N
  batcher_ = std::make_unique<Batcher>(train_ids_, cfg_.seq, cfg_.batch, K * cfg_.batch,
                                       comm::rank() * cfg_.batch, cfg_.seed);
  meta_.train_config = train_config_json(cfg_);
  const size_t P = parameter_count(model);
  params_p_.assign(P, 0.f);
  grads_p_.assign(P, 0.f);
  if (is_lead()) best_p_.assign(P, 0.f);
  if (is_lead() && cfg_.ema > 0) ema_p_.assign(P, 0.f);
  adam_ = std::make_unique<Adam>(P, cfg_.adam, weight_ranges(model));
  schedule_ = {cfg_.lr_schedule, cfg_.adam.lr,  cfg_.min_lr,
               cfg_.warmup,      cfg_.lr_decay, cfg_.lr_decay_every};
  train_net_ = std::make_unique<Net>(model, cfg_.seq, cfg_.batch, Net::Mode::train,
                                     params_p_.data(), grads_p_.data());
  train_net_->set_dropout_rng(&rng_);
  reducer_ =
      std::make_unique<comm::GradientReducer>(grads_p_.data(), P, !cfg_.allreduce_after_backward);
  train_net_->set_gradient_ready(
      [r = reducer_.get()](size_t offset, size_t count) { r->ready(offset, count); });
  x_tn_.assign(size_t(cfg_.seq) * cfg_.batch, 0);
  y_tn_ = x_tn_;
  state_all_.assign(size_t(2 * model.layers),
                    std::vector<float>(size_t(comm::size()) * cfg_.batch * model.hidden));
  if (val_ids_.size > 1 && is_lead()) {
    eval_whole_ = std::make_unique<EvalWindows>(val_ids_, cfg_.seq, cfg_.eval_batch);
    eval_net_ = std::make_unique<Net>(model, cfg_.seq, cfg_.eval_batch, Net::Mode::infer,
                                      validated().data(), nullptr);
    ex_tn_.assign(size_t(cfg_.seq) * cfg_.eval_batch, 0);
    ey_tn_ = ex_tn_;
  }
}

void Session::restore(const LoadedCheckpoint& last) {
  params_p_ = last.params;
  if (is_lead()) best_p_ = load_checkpoint(cfg_.model_dir, WhichWeights::best).params;
  adam_->m() = last.adam_m;
  adam_->v() = last.adam_v;
  adam_->set_steps(last.adam_steps);
  // The LSTM state carried into the next window: (K*N, H) saved, this rank's N rows taken.
  const size_t NH = train_net_->initial_h(0).size(), K = size_t(comm::size()),
               r = size_t(comm::rank());
  for (int l = 0; l < meta_.model.layers; ++l) {
    auto h = last.state.find("state.h_l" + std::to_string(l));
    auto c = last.state.find("state.c_l" + std::to_string(l));
    if (h == last.state.end() || c == last.state.end() || h->second.size() != K * NH ||
        c->second.size() != K * NH)
      fail(cfg_.model_dir + "/optimizer.safetensors lacks the carried LSTM state",
           "train a new model");
    std::copy_n(h->second.begin() + long(r * NH), NH, train_net_->initial_h(l).begin());
    std::copy_n(c->second.begin() + long(r * NH), NH, train_net_->initial_c(l).begin());
  }
  if (!ema_p_.empty()) {
    auto ema = last.state.find("state.ema");
    if (ema == last.state.end() || ema->second.size() != ema_p_.size())
      fail(cfg_.model_dir + "/optimizer.safetensors lacks the averaged weights ({ema})",
           "train a new model");
    std::copy(ema->second.begin(), ema->second.end(), ema_p_.begin());
  }
  train_net_->sync_weights();
  batcher_->seek(meta_.state.epoch, meta_.state.window);
  // Each rank's dropout generator; a rank the saved run did not have keeps its fresh one.
  if (r == 0)
    rng_.set_state(meta_.state.rng);
  else if (r - 1 < meta_.state.rank_rng.size())
    rng_.set_state(meta_.state.rank_rng[r - 1]);
  seconds_before_ = meta_.state.seconds;
  plans_ = plans_from_json(meta_.state.plans);
  if (!meta_.history.empty()) {
    last_eval_step_ = meta_.history.back().step;
    last_val_ = meta_.history.back().val_loss;
  }
  for (const HistoryPoint& h : meta_.history)
    evals_since_best_ = h.step > meta_.best_step ? evals_since_best_ + 1 : 0;
  info("resuming " + cfg_.model_dir + " at step " + std::to_string(meta_.state.step));
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
      fail("rank " + std::to_string(r) +
               " has a different configuration, corpus or checkpoint than rank 0",
           "give every rank the same flags and the same corpus files (and the same checkpoint to "
           "resume)");
    }
  }
}

void Session::info(const std::string& text) const {
  if (report_) report_({TrainEvent::Kind::info, text});
}

void Session::info_warning(const std::string& text) const {
  if (report_) report_({TrainEvent::Kind::warning, text});
}

void Session::print_config() {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "corpus: %s, %llu bytes, %lld symbols (train %lld, val %lld), vocabulary %d%s",
                meta_.corpus.name.c_str(), (unsigned long long)meta_.corpus.bytes,
                (long long)ids_.size(), (long long)train_ids_.size, (long long)val_ids_.size,
                meta_.model.vocab, meta_.unknown_id >= 0 ? " (with <unk>)" : "");
  info(buf);
  std::snprintf(buf, sizeof buf,
                "model: %s, %d layers x %d hidden, embedding %d, dropout %.2f (output %.2f, weight "
                "drop %.2f), %zu parameters (oneDNN %s)",
                cell_name(meta_.model.cell).c_str(), meta_.model.layers, meta_.model.hidden,
                meta_.model.embed, meta_.model.dropout, meta_.model.output_dropout,
                meta_.model.weight_drop, parameter_count(meta_.model),
                train_net_->lstm_implementation().c_str());
  info(buf);
  info("config: " + meta_.train_config.dump());
}

void Session::save() {
  meta_.state.epoch = batcher_->epoch();
  meta_.state.window = batcher_->window();
  meta_.state.seconds = total_seconds();
  meta_.state.plans = plans_to_json(plans_);
  // Collective: every rank's carried state and dropout generator go to rank 0.
  const int K = comm::size();
  const int64_t N = cfg_.batch, H = meta_.model.hidden;
  for (int l = 0; l < meta_.model.layers; ++l) {
    comm::gather(train_net_->initial_h(l).data(), size_t(N * H), state_all_[size_t(2 * l)].data());
    comm::gather(train_net_->initial_c(l).data(), size_t(N * H),
                 state_all_[size_t(2 * l + 1)].data());
  }
  std::array<std::vector<uint64_t>, 4> rng_words;
  for (size_t i = 0; i < 4; ++i) rng_words[i] = comm::allgather(rng_.state()[i]);
  if (!is_lead()) return;
  meta_.state.rng = rng_.state();
  meta_.state.rank_rng.assign(size_t(K - 1), {});
  for (int r = 1; r < K; ++r)
    for (size_t i = 0; i < 4; ++i) meta_.state.rank_rng[size_t(r - 1)][i] = rng_words[i][size_t(r)];
  CheckpointTensors t{best_p_.data(),
                      params_p_.data(),
                      adam_->m().data(),
                      adam_->v().data(),
                      adam_->steps(),
                      {},
                      {}};
  for (int l = 0; l < meta_.model.layers; ++l) {
    t.state.push_back(
        {"state.h_l" + std::to_string(l), {K * N, H}, state_all_[size_t(2 * l)].data()});
    t.state.push_back(
        {"state.c_l" + std::to_string(l), {K * N, H}, state_all_[size_t(2 * l + 1)].data()});
  }
  if (!ema_p_.empty()) t.state.push_back({"state.ema", {int64_t(ema_p_.size())}, ema_p_.data()});
  t.extra_files["loss.svg"] = loss_svg(meta_.history, "charrnn: " + meta_.corpus.name);
  save_checkpoint(cfg_.model_dir, meta_, t);
}

}  // namespace charrnn::training
