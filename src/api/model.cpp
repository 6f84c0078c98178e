// model.cpp — the public Model (charrnn.h): a loaded checkpoint that generates and scores.
//
// Letters: K samples generated together, T window, N streams.
#include <cmath>

#include "api/model_impl.h"
#include "base/fsutil.h"
#include "charrnn/charrnn.h"
#include "checkpoint/checkpoint.h"
#include "generate/beam.h"
#include "generate/decoder.h"
#include "generate/form.h"
#include "generate/generator.h"
#include "generate/sampler.h"
#include "generate/stop_matcher.h"
#include "generate/warmer.h"
#include "text/dataset.h"
#include "text/tokenizer.h"
#include "train/dynamic_eval.h"

namespace charrnn {

Model::Impl::Impl(LoadedCheckpoint loaded)
    : ck(std::move(loaded)),
      tokenizer(ck.meta.tokenizer),
      vocab(ck.meta.symbols, ck.meta.unknown_id) {}

std::vector<int32_t> Model::Impl::encode_prompt(const std::string& prompt,
                                                int64_t* from_prompt) const {
  const std::string text = tokenizer.prepare(prompt, "prompt");
  std::vector<int32_t> ids;
  // No symbols (nothing, or only a byte-order mark): start where training's samples start.
  if (text.empty())
    ids = prompt_start(ck.meta.symbols);
  else
    ids = tokenizer.encode(vocab, text, "prompt");
  if (from_prompt) *from_prompt = text.empty() ? 0 : int64_t(ids.size());
  return ids;
}

namespace {

ModelCard card_of(const LoadedCheckpoint& ck) {
  const CheckpointMeta& m = ck.meta;
  ModelCard c;
  c.dir = ck.dir;
  c.name = ck.dir.substr(
      ck.dir.find_last_of('/') == std::string::npos ? 0 : ck.dir.find_last_of('/') + 1);
  c.cell = cell_name(m.model.cell);
  c.layers = m.model.layers;
  c.hidden = m.model.hidden;
  c.embed = m.model.embed;
  c.vocab = m.model.vocab;
  c.parameters = int64_t(parameter_count(m.model));
  c.unit = unit_name(m.tokenizer.unit);
  c.normalize = normalize_name(m.tokenizer.normalize);
  c.symbols = m.symbols;
  c.steps = m.state.step;
  c.tokens = m.state.tokens;
  c.seconds = m.state.seconds;
  c.best_val_loss = m.best_val_loss;
  c.best_step = m.best_step;
  c.corpus = m.corpus.name;
  c.corpus_bytes = m.corpus.bytes;
  for (const HistoryPoint& h : m.history)
    c.history.push_back({h.step, h.tokens, h.seconds, h.epoch, h.train_loss, h.val_loss});
  c.json = ck.json.dump(2);
  return c;
}

}  // namespace

Model::Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

std::shared_ptr<const Model::Impl> impl_of(const Model& m) {
  return m.impl_;
}

Model Model::open(const std::string& model, const OpenOptions& options) {
  if (options.weights != "best" && options.weights != "last")
    fail_field("weights", "must be best or last, got '" + options.weights + "'");
  Dtype dtype = parse_dtype(options.dtype);
  if (dtype == Dtype::bf16 && !cpu_has_bf16()) dtype = Dtype::f32;
  LoadedCheckpoint ck = load_checkpoint(
      locate_model(model), options.weights == "last" ? WhichWeights::last : WhichWeights::best);
  ck.meta.model.dtype = dtype;
  auto impl = std::make_shared<Impl>(std::move(ck));
  impl->card = card_of(impl->ck);
  return Model(std::move(impl));
}

const ModelCard& Model::card() const {
  return impl_->card;
}

Generation Model::generate(const std::string& prompt, int64_t length, const SampleOptions& options,
                           const std::function<bool(const std::string&)>& on_symbol) const {
  return generate_n(prompt, length, 1, options,
                    on_symbol ? [&](int, const std::string& s) { return on_symbol(s); }
                              : std::function<bool(int, const std::string&)>())[0];
}

std::vector<Generation> Model::generate_n(
    const std::string& prompt, int64_t length, int n, const SampleOptions& options,
    const std::function<bool(int, const std::string&)>& on_symbol) const {
  take_threads();
  if (n < 1 || n > 4096) fail_field("n", "must be between 1 and 4096, got " + std::to_string(n));
  validate_sample_config(options);
  const Impl& m = *impl_;
  const std::vector<int32_t> ids = m.encode_prompt(prompt);
  std::vector<RowDecoder> rows;  // sample k draws with seed + k; <unk> is never emitted
  for (int k = 0; k < n; ++k) {
    SampleOptions sk = options;
    sk.seed = options.seed + uint64_t(k);
    rows.emplace_back(sk, m.ck.meta.symbols, m.ck.meta.unknown_id, length, ids);
  }
  std::vector<Generation> out(static_cast<size_t>(n));
  Generator gen(m.ck.meta.model, m.ck.params.data(), n);
  gen.generate(ids, rows, [&](int k, const std::string& piece) {
    out[size_t(k)].text += piece;
    return !on_symbol || on_symbol(k, piece);
  });
  for (int k = 0; k < n; ++k) {
    Generation& g = out[size_t(k)];
    RowDecoder& row = rows[size_t(k)];
    g.symbols = row.symbols();
    g.finish_reason = finish_name(row.finished());
    g.nats_per_char = row.mean_nll();
    const std::string rest = row.flush();  // held back for a stop string that never came
    g.text += rest;
    if (!rest.empty() && on_symbol && row.finished() == Finish::length) on_symbol(k, rest);
  }
  return out;
}

struct Model::Cursor::State {
  std::shared_ptr<const Impl> model;
  Net net;  // T = 1, N = 1
  State(std::shared_ptr<const Impl> m)
      : model(std::move(m)),
        net(model->ck.meta.model, 1, 1, Net::Mode::infer, model->ck.params.data(), nullptr) {}

  // One symbol through the net, its state carried on; logits_v receives the next symbol's
  // scores. The caller has checked the id and taken the thread count (once per public call,
  // not per symbol).
  void forward(int32_t id, std::vector<float>& logits_v) {
    net.forward(&id, nullptr, nullptr);
    net.carry_state();
    logits_v.assign(net.logits(), net.logits() + model->ck.meta.model.vocab);
  }
};

Model::Cursor::Cursor(std::shared_ptr<State> state) : state_(std::move(state)) {}

void Model::Cursor::feed(int id) {
  const int V = state_->model->ck.meta.model.vocab;
  if (id < 0 || id >= V)
    fail_field("id",
               "must be between 0 and " + std::to_string(V - 1) + ", got " + std::to_string(id));
  take_threads();
  state_->forward(int32_t(id), logits_);
  ++position_;
}

void Model::Cursor::feed(const std::string& text) {
  const Impl& m = *state_->model;
  if (text.empty()) return;
  const std::vector<int32_t> ids =
      m.tokenizer.encode(m.vocab, m.tokenizer.prepare(text, "text"), "text");
  take_threads();
  for (int32_t id : ids) {  // the tokenizer's ids are the model's: no range check needed
    state_->forward(id, logits_);
    ++position_;
  }
}

Model::Cursor Model::start(const std::string& prompt) const {
  take_threads();
  const std::vector<int32_t> ids = impl_->encode_prompt(prompt);
  auto state = std::make_shared<Cursor::State>(impl_);
  std::vector<float> h_lh, c_lh;  // all but the last symbol, warmed as generate() warms them
  PromptWarmer(impl_->ck.meta.model, impl_->ck.params.data()).warm(ids, h_lh, c_lh);
  const int L = impl_->ck.meta.model.layers, H = impl_->ck.meta.model.hidden;
  for (int l = 0; l < L; ++l) {
    std::copy_n(h_lh.data() + size_t(l) * H, H, state->net.initial_h(l).data());
    if (!state->net.initial_c(l).empty())
      std::copy_n(c_lh.data() + size_t(l) * H, H, state->net.initial_c(l).data());
  }
  Cursor c(std::move(state));
  c.state_->forward(ids.back(), c.logits_);
  c.position_ = int64_t(ids.size());
  return c;
}

Generation Model::beam_search(const std::string& prompt, int64_t length, int width,
                              const std::vector<std::string>& stop) const {
  take_threads();
  if (length < 0) fail_field("length", "must be >= 0, got " + std::to_string(length));
  const Impl& m = *impl_;
  const BeamResult r = beam_search_ids(m.ck.meta.model, m.ck.params.data(), m.encode_prompt(prompt),
                                       length, width, m.ck.meta.unknown_id);
  Generation g;
  g.symbols = int64_t(r.ids.size());
  g.finish_reason = "length";
  g.nats_per_char = g.symbols > 0 ? -r.log_prob / double(g.symbols) : 0.0;
  StopMatcher matcher(stop);
  for (int32_t id : r.ids) {
    g.text += matcher.push(m.ck.meta.symbols[size_t(id)]);
    if (matcher.stopped()) {
      g.finish_reason = "stop";
      return g;
    }
  }
  g.text += matcher.flush();
  return g;
}

namespace {

Score score_of(int64_t symbols, int64_t predicted, double nats) {
  Score s;
  s.symbols = symbols;
  s.predicted = predicted;
  s.nats_per_char = nats / double(predicted);
  s.bits_per_char = s.nats_per_char / std::log(2.0);
  s.perplexity = std::exp(s.nats_per_char);
  return s;
}

// The mean squared gradients (the checkpoint's Adam moments, or none: the text's) and the
// configuration, with the step that suits them when none is given.
DynamicEvalConfig dynamic_config(const Model::Impl& m, const DynamicEvalOptions& o,
                                 std::vector<float>& ms_p) {
  // Shipped and installed models keep only their weights (model.json still lists the rest).
  OptimizerTensors moments;
  if (path_exists(m.ck.dir + "/optimizer.safetensors") && load_optimizer(m.ck, moments))
    ms_p = adam_mean_squares(moments.adam_v, moments.adam_steps,
                             m.ck.meta.train_config.value("beta2", 0.999));
  DynamicEvalConfig d;
  d.segment = o.segment;
  d.step = o.step >= 0 ? o.step : ms_p.empty() ? 3e-4 : 3e-5;
  d.decay = o.decay;
  validate_dynamic_eval_config(d);
  return d;
}

Score score_dynamic(const Model::Impl& m, const std::vector<int32_t>& ids,
                    const DynamicEvalOptions& o) {
  std::vector<float> ms_p;
  const DynamicEvalConfig d = dynamic_config(m, o, ms_p);
  const DynamicEvalResult r =
      dynamic_evaluate(m.ck.meta.model, m.ck.params, ms_p, ids.data(), ids.size(), d);
  Score s = score_of(int64_t(ids.size()), r.count, r.nats);
  s.statistics = r.adam_ms ? "adam" : "text";
  s.step = d.step;
  return s;
}

}  // namespace

Model Model::adapted(const std::string& text, const DynamicEvalOptions& options) const {
  take_threads();
  const Impl& m = *impl_;
  const std::vector<int32_t> ids = m.encode_prompt(text);
  if (ids.size() < 2) fail_field("prompt", "has fewer than 2 symbols; nothing to adapt to");
  std::vector<float> ms_p;
  const DynamicEvalConfig d = dynamic_config(m, options, ms_p);
  auto impl = std::make_shared<Impl>(m);
  dynamic_evaluate(m.ck.meta.model, m.ck.params, ms_p, ids.data(), ids.size(), d, &impl->ck.params);
  return Model(std::move(impl));
}

Score Model::score(const std::string& text, const ScoreOptions& options) const {
  take_threads();
  if (options.batch < 1 || options.batch > 100000)
    fail_field("batch", "must be between 1 and 100000, got " + std::to_string(options.batch));
  if (options.seq < 1 || options.seq > 100000)
    fail_field("seq", "must be between 1 and 100000, got " + std::to_string(options.seq));
  const Impl& m = *impl_;
  const std::vector<int32_t> ids =
      m.tokenizer.encode(m.vocab, m.tokenizer.prepare(text, options.name), options.name);
  if (ids.size() < 2) fail(options.name + " has fewer than 2 symbols; nothing to score");
  if (options.dynamic.enabled) return score_dynamic(m, ids, options.dynamic);
  EvalWindows windows(IdSpan{ids.data(), ids.size()}, options.seq, options.batch);
  Net net(m.ck.meta.model, options.seq, options.batch, Net::Mode::infer, m.ck.params.data(),
          nullptr);
  std::vector<int32_t> x_tn(size_t(options.seq) * options.batch), y_tn(x_tn.size());
  double total = 0.0;
  int64_t count = 0;
  for (int64_t k = 0; k < windows.count(); ++k) {
    windows.fill(k, x_tn.data(), y_tn.data());
    int64_t scored = 0;
    total += net.forward(x_tn.data(), y_tn.data(), &scored);
    net.carry_state();
    count += scored;
  }
  return score_of(int64_t(ids.size()), count, total);
}

}  // namespace charrnn
