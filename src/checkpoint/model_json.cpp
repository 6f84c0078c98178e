// model_json.cpp — model.json's sections, each writer beside its reader (see model_json.h).
#include "checkpoint/model_json.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>

#include "nn/recurrent_layer.h"

namespace charrnn {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

// --- architecture

// A table's values read from a file: a bad value is a damaged file, named as such.
template <class S>
void read_settings(const OptionTable<S>& table, const json& j, const Fields& f, const char* section,
                   std::initializer_list<const char*> required, S& s) {
  for (const char* key : required) f.at(j, key);
  try {
    table.from_json(j, s);
  } catch (const Error& e) {
    f.bad(std::string(section) + "." + e.what());
  }
}

// The architecture is the model table's rows but the precision (not part of it), with
// "embed" spelled "embedding" as the format has always had it.
ojson architecture_to_json(const ModelConfig& m) {
  ojson a = ojson::object();
  for (const auto& row : model_options().rows())
    if (row.spec.name != "dtype")
      a[row.spec.name == "embed" ? "embedding" : row.spec.name] = ojson::parse(row.get(m).dump());
  a["vocab_size"] = m.vocab;
  a["gate_order"] = m.cell == Cell::lstm ? "ifgo" : m.cell == Cell::gru ? "rzn" : "h";
  a["parameters"] = parameter_count(m);
  return a;
}

ModelConfig architecture_from_json(const json& arch, const Fields& f) {
  ModelConfig m;
  json settings = arch;
  if (settings.is_object()) {
    settings.erase("dtype");
    if (settings.contains("embedding")) settings["embed"] = settings["embedding"];
  }
  read_settings(model_options(), settings, f, "architecture",
                {"cell", "layers", "hidden", "embedding", "vocab_size", "dropout"}, m);
  m.vocab = int(f.integer(arch, "vocab_size", 1, 1 << 21));
  return m;
}

// --- tokenizer (the settings, the vocabulary and <unk>)

ojson tokenizer_to_json(const CheckpointMeta& m) {
  ojson t = tokenizer_options().to_json(m.tokenizer);
  t["unknown"] = m.unknown_id >= 0 ? "map" : "error";
  t["unknown_id"] = m.unknown_id;
  t["symbols"] = m.symbols;
  return t;
}

void tokenizer_from_json(const json& tok, const Fields& f, CheckpointMeta& m) {
  read_settings(tokenizer_options(), tok, f, "tokenizer", {"unit", "normalize"}, m.tokenizer);
  const json& symbols = f.at(tok, "symbols");
  if (!symbols.is_array() || int64_t(symbols.size()) != m.model.vocab)
    f.bad("tokenizer.symbols must list vocab_size (" + std::to_string(m.model.vocab) + ") symbols");
  m.symbols.clear();
  for (const json& s : symbols) {
    if (!s.is_string() || s.get<std::string>().empty())
      f.bad("tokenizer.symbols holds a non-string or empty entry");
    m.symbols.push_back(s.get<std::string>());
  }
  m.unknown_id = int(f.integer_or(tok, "unknown_id", -1, m.model.vocab - 1, -1));
  if (m.unknown_id >= 0 && m.symbols[size_t(m.unknown_id)] != kUnknownSymbol)
    f.bad("tokenizer.unknown_id does not point at the <unk> symbol");
}

// --- training.state (generator words as 16 hex digits: JSON numbers lose 64-bit precision)

ojson rng_to_json(const std::array<uint64_t, 4>& s) {
  ojson out = ojson::array();
  for (uint64_t w : s) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(w));
    out.push_back(buf);
  }
  return out;
}

std::array<uint64_t, 4> rng_from_json(const json& rng, const Fields& f) {
  if (!rng.is_array() || rng.size() != 4) f.bad("training.state.rng must hold 4 words");
  std::array<uint64_t, 4> s{};
  for (size_t i = 0; i < 4; ++i) {
    if (!rng[i].is_string()) f.bad("training.state.rng must hold hex strings");
    s[i] = std::stoull(rng[i].get<std::string>(), nullptr, 16);
  }
  return s;
}

ojson state_to_json(const TrainState& s) {
  ojson rank_rng = ojson::array();
  for (const auto& r : s.rank_rng) rank_rng.push_back(rng_to_json(r));
  return {{"step", s.step},
          {"tokens", s.tokens},
          {"seconds", s.seconds},
          {"epoch", s.epoch},
          {"window", s.window},
          {"lr", s.lr},
          {"rng", rng_to_json(s.rng)},
          {"rank_rng", rank_rng},
          {"loss_sum", s.loss_sum},
          {"loss_steps", s.loss_steps},
          {"plans", ojson::parse(s.plans.dump())}};
}

TrainState state_from_json(const json& st, const Fields& f) {
  TrainState s;
  s.step = f.integer(st, "step", 0, INT64_MAX);
  s.tokens = f.integer(st, "tokens", 0, INT64_MAX);
  s.seconds = f.number(st, "seconds");
  s.epoch = f.integer(st, "epoch", 0, INT64_MAX);
  s.window = f.integer(st, "window", 0, INT64_MAX);
  s.lr = f.number(st, "lr");
  s.rng = rng_from_json(f.at(st, "rng"), f);
  if (st.contains("rank_rng")) {  // MPI runs: the other ranks' dropout generators
    const json& ranks = st["rank_rng"];
    if (!ranks.is_array() || ranks.size() > 65536)
      f.bad("training.state.rank_rng must be an array");
    for (const json& r : ranks) s.rank_rng.push_back(rng_from_json(r, f));
  }
  s.loss_sum = st.contains("loss_sum") ? f.number(st, "loss_sum") : 0.0;
  s.loss_steps = f.integer_or(st, "loss_steps", 0, INT64_MAX, 0);
  if (st.contains("plans")) {  // absent before time budgets were planned
    if (!st["plans"].is_array()) f.bad("training.state.plans must be an array");
    s.plans = st["plans"];
  }
  return s;
}

// --- history

ojson history_to_json(const std::vector<HistoryPoint>& history) {
  ojson out = ojson::array();
  for (const HistoryPoint& h : history) {
    ojson point = {{"step", h.step},   {"tokens", h.tokens},         {"seconds", h.seconds},
                   {"epoch", h.epoch}, {"train_loss", h.train_loss}, {"val_loss", h.val_loss}};
    if (h.val_symbols > 0) point["val_symbols"] = h.val_symbols;  // a sample of the split
    out.push_back(point);
  }
  return out;
}

std::vector<HistoryPoint> history_from_json(const json& history, const Fields& f) {
  if (!history.is_array()) f.bad("history must be an array");
  std::vector<HistoryPoint> out;
  for (const json& h : history)
    out.push_back({f.integer(h, "step", 0, INT64_MAX), f.integer(h, "tokens", 0, INT64_MAX),
                   f.number(h, "seconds"), f.number(h, "epoch"), f.number(h, "train_loss"),
                   f.number(h, "val_loss"), f.integer_or(h, "val_symbols", 0, INT64_MAX, 0)});
  return out;
}

// --- best (null losses before the first evaluation)

ojson best_to_json(const CheckpointMeta& m) {
  const bool has_best = m.best_step >= 0;
  return {
      {"step", m.best_step},
      {"val_loss", has_best ? ojson(m.best_val_loss) : ojson(nullptr)},
      {"val_bits_per_char", has_best ? ojson(m.best_val_loss / std::log(2.0)) : ojson(nullptr)}};
}

void best_from_json(const json& best, const Fields& f, CheckpointMeta& m) {
  m.best_step = f.integer(best, "step", -1, INT64_MAX);
  m.best_val_loss = f.number(best, "val_loss");
}

// --- corpus

ojson corpus_to_json(const CorpusInfo& c) {
  return {{"name", c.name},
          {"bytes", c.bytes},
          {"sha256", c.sha256},
          {"symbols", c.symbols},
          {"train_symbols", c.train_symbols},
          {"val_symbols", c.val_symbols}};
}

CorpusInfo corpus_from_json(const json& corpus, const Fields& f) {
  CorpusInfo c;
  c.name = f.string(corpus, "name");
  c.sha256 = f.string(corpus, "sha256");
  c.bytes = uint64_t(f.integer(corpus, "bytes", 0, INT64_MAX));
  c.symbols = f.integer(corpus, "symbols", 0, INT64_MAX);
  c.train_symbols = f.integer(corpus, "train_symbols", 0, INT64_MAX);
  c.val_symbols = f.integer(corpus, "val_symbols", 0, INT64_MAX);
  return c;
}

}  // namespace

// --- the whole document

ojson meta_to_json(const CheckpointMeta& m) {
  return {
      {"format", kCheckpointFormat},
      {"version", kCheckpointVersion},
      {"created", utc_now()},
      {"tool", {{"name", "charrnn"}, {"version", CHARRNN_VERSION}, {"onednn", onednn_version()}}},
      {"architecture", architecture_to_json(m.model)},
      {"tokenizer", tokenizer_to_json(m)},
      {"training",
       {{"config", m.train_config},
        {"state", state_to_json(m.state)},
        {"setup", m.setup.is_null() ? ojson(nullptr) : ojson::parse(m.setup.dump())}}},
      {"history", history_to_json(m.history)},
      {"best", best_to_json(m)},
      {"corpus", corpus_to_json(m.corpus)},
      {"parent", m.parent.is_null() ? ojson(nullptr) : ojson::parse(m.parent.dump())},
  };
}

CheckpointMeta meta_from_json(const json& j, const Fields& f) {
  if (f.string(j, "format") != kCheckpointFormat) f.bad("not a charrnn checkpoint (format field)");
  const int64_t version = f.integer(j, "version", 0, 1 << 20);
  if (version != kCheckpointVersion)
    f.bad("checkpoint version " + std::to_string(version) +
          " is not supported (this charrnn reads version " + std::to_string(kCheckpointVersion) +
          ")");
  CheckpointMeta m;
  m.model = architecture_from_json(f.at(j, "architecture"), f);
  tokenizer_from_json(f.at(j, "tokenizer"), f, m);
  const json& training = f.at(j, "training");
  m.train_config = f.at(training, "config");
  m.state = state_from_json(f.at(training, "state"), f);
  if (training.contains("setup") && !training["setup"].is_null()) m.setup = training["setup"];
  m.history = history_from_json(f.at(j, "history"), f);
  best_from_json(f.at(j, "best"), f, m);
  m.corpus = corpus_from_json(f.at(j, "corpus"), f);
  if (j.contains("parent") && !j["parent"].is_null()) {  // fine-tuned (absent in older files)
    const json& p = j["parent"];
    f.string(p, "path");
    f.string(p, "weights_sha256");
    m.parent = p;
  }
  return m;
}

}  // namespace charrnn
