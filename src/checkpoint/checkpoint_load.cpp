// checkpoint_load.cpp — reads and validates a checkpoint directory (see checkpoint.h).
//
// Every field is checked for type and range before use, every tensor file against its SHA-256
// and its shapes against the architecture, so a damaged checkpoint gives one clear error that
// names the file, never a crash or a silent wrong model.
#include <sys/stat.h>

#include <cmath>

#include "checkpoint/checkpoint.h"
#include "nn/recurrent_layer.h"
#include "charrnn/error.h"
#include "base/fsutil.h"
#include "checkpoint/safetensors.h"
#include "base/hash.h"

namespace charrnn {
namespace {

using json = nlohmann::json;

class Fields {  // typed access to model.json with errors naming the field
 public:
  explicit Fields(std::string file) : file_(std::move(file)) {}

  const json& at(const json& j, const char* key) const {
    if (!j.is_object() || !j.contains(key)) bad(std::string("missing field '") + key + "'");
    return j[key];
  }
  int64_t integer(const json& j, const char* key, int64_t lo, int64_t hi) const {
    const json& v = at(j, key);
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      bad(std::string("field '") + key + "' must be an integer in [" + std::to_string(lo) + ", " +
          std::to_string(hi) + "]");
    return v.get<int64_t>();
  }
  double number(const json& j, const char* key) const {
    const json& v = at(j, key);
    if (v.is_null()) return std::nan("");
    if (!v.is_number()) bad(std::string("field '") + key + "' must be a number");
    return v.get<double>();
  }
  // Fields added after a checkpoint may have been written: absent means `fallback`.
  int64_t integer_or(const json& j, const char* key, int64_t lo, int64_t hi, int64_t fallback) const {
    return j.is_object() && j.contains(key) ? integer(j, key, lo, hi) : fallback;
  }
  std::string string_or(const json& j, const char* key, const std::string& fallback) const {
    return j.is_object() && j.contains(key) ? string(j, key) : fallback;
  }
  std::string string(const json& j, const char* key) const {
    const json& v = at(j, key);
    if (!v.is_string()) bad(std::string("field '") + key + "' must be a string");
    return v.get<std::string>();
  }
  [[noreturn]] void bad(const std::string& what) const {
    fail(file_ + ": " + what, "the checkpoint is damaged or was written by another tool; retrain or restore it");
  }

 private:
  std::string file_;
};

void read_meta(const json& j, const Fields& f, CheckpointMeta& m) {
  if (f.string(j, "format") != kCheckpointFormat) f.bad("not a charrnn checkpoint (format field)");
  int64_t version = f.integer(j, "version", 0, 1 << 20);
  if (version != kCheckpointVersion)
    f.bad("checkpoint version " + std::to_string(version) + " is not supported (this charrnn reads version " +
          std::to_string(kCheckpointVersion) + ")");
  const json& arch = f.at(j, "architecture");
  const std::string cell = f.string(arch, "cell");
  if (cell != "lstm" && cell != "gru" && cell != "rnn") f.bad("unsupported cell '" + cell + "'");
  m.model.cell = parse_cell(cell);
  m.model.layers = int(f.integer(arch, "layers", 1, 16));
  m.model.hidden = int(f.integer(arch, "hidden", 1, 8192));
  m.model.embed = int(f.integer(arch, "embedding", 1, 8192));
  m.model.vocab = int(f.integer(arch, "vocab_size", 1, 1 << 21));
  m.model.dropout = f.number(arch, "dropout");
  if (!(m.model.dropout >= 0 && m.model.dropout < 1)) f.bad("architecture.dropout must be in [0, 1)");
  m.model.output_dropout = arch.contains("output_dropout") ? f.number(arch, "output_dropout") : 0.0;
  if (!(m.model.output_dropout >= 0 && m.model.output_dropout < 1))
    f.bad("architecture.output_dropout must be in [0, 1)");
  m.model.weight_drop = arch.contains("weight_drop") ? f.number(arch, "weight_drop") : 0.0;
  if (!(m.model.weight_drop >= 0 && m.model.weight_drop < 1))
    f.bad("architecture.weight_drop must be in [0, 1)");

  const json& tok = f.at(j, "tokenizer");
  m.tokenizer.unit = f.string(tok, "unit");
  m.tokenizer.normalize = f.string(tok, "normalize");
  m.tokenizer.on_invalid = f.string_or(tok, "on_invalid", "error");
  m.tokenizer.min_count = f.integer_or(tok, "min_count", 1, INT64_MAX, 1);
  m.tokenizer.max_vocab = f.integer_or(tok, "max_vocab", 0, INT64_MAX, 0);
  if (m.tokenizer.unit != "codepoint" && m.tokenizer.unit != "grapheme") f.bad("unknown tokenizer.unit");
  if (m.tokenizer.normalize != "nfc" && m.tokenizer.normalize != "nfkc" && m.tokenizer.normalize != "none")
    f.bad("unknown tokenizer.normalize");
  if (m.tokenizer.on_invalid != "error" && m.tokenizer.on_invalid != "replace") f.bad("unknown tokenizer.on_invalid");
  const json& symbols = f.at(tok, "symbols");
  if (!symbols.is_array() || int64_t(symbols.size()) != m.model.vocab)
    f.bad("tokenizer.symbols must list vocab_size (" + std::to_string(m.model.vocab) + ") symbols");
  m.symbols.clear();
  for (const json& s : symbols) {
    if (!s.is_string() || s.get<std::string>().empty()) f.bad("tokenizer.symbols holds a non-string or empty entry");
    m.symbols.push_back(s.get<std::string>());
  }
  m.unknown_id = int(f.integer_or(tok, "unknown_id", -1, m.model.vocab - 1, -1));
  if (m.unknown_id >= 0 && m.symbols[size_t(m.unknown_id)] != kUnknownSymbol)
    f.bad("tokenizer.unknown_id does not point at the <unk> symbol");

  const json& training = f.at(j, "training");
  m.train_config = f.at(training, "config");
  const json& st = f.at(training, "state");
  m.state.step = f.integer(st, "step", 0, INT64_MAX);
  m.state.tokens = f.integer(st, "tokens", 0, INT64_MAX);
  m.state.seconds = f.number(st, "seconds");
  m.state.epoch = f.integer(st, "epoch", 0, INT64_MAX);
  m.state.window = f.integer(st, "window", 0, INT64_MAX);
  m.state.lr = f.number(st, "lr");
  auto words = [&f](const json& rng) {
    if (!rng.is_array() || rng.size() != 4) f.bad("training.state.rng must hold 4 words");
    std::array<uint64_t, 4> s{};
    for (size_t i = 0; i < 4; ++i) {
      if (!rng[i].is_string()) f.bad("training.state.rng must hold hex strings");
      s[i] = std::stoull(rng[i].get<std::string>(), nullptr, 16);
    }
    return s;
  };
  m.state.rng = words(f.at(st, "rng"));
  if (st.contains("rank_rng")) {  // MPI runs: the other ranks' dropout generators
    const json& ranks = st["rank_rng"];
    if (!ranks.is_array() || ranks.size() > 65536) f.bad("training.state.rank_rng must be an array");
    for (const json& r : ranks) m.state.rank_rng.push_back(words(r));
  }

  m.state.loss_sum = st.contains("loss_sum") ? f.number(st, "loss_sum") : 0.0;
  m.state.loss_steps = f.integer_or(st, "loss_steps", 0, INT64_MAX, 0);
  const json& history = f.at(j, "history");
  if (!history.is_array()) f.bad("history must be an array");
  for (const json& h : history)
    m.history.push_back({f.integer(h, "step", 0, INT64_MAX), f.integer(h, "tokens", 0, INT64_MAX),
                         f.number(h, "seconds"), f.number(h, "epoch"), f.number(h, "train_loss"),
                         f.number(h, "val_loss")});
  const json& best = f.at(j, "best");
  m.best_step = f.integer(best, "step", -1, INT64_MAX);
  m.best_val_loss = f.number(best, "val_loss");

  const json& corpus = f.at(j, "corpus");
  m.corpus.name = f.string(corpus, "name");
  m.corpus.sha256 = f.string(corpus, "sha256");
  m.corpus.bytes = uint64_t(f.integer(corpus, "bytes", 0, INT64_MAX));
  m.corpus.symbols = f.integer(corpus, "symbols", 0, INT64_MAX);
  m.corpus.train_symbols = f.integer(corpus, "train_symbols", 0, INT64_MAX);
  m.corpus.val_symbols = f.integer(corpus, "val_symbols", 0, INT64_MAX);
}

// Checks the file entry `key` (name and SHA-256) and returns its path inside `dir`.
std::string verified_file(const std::string& dir, const json& files, const char* key, const Fields& f) {
  const json& entry = f.at(files, key);
  const std::string name = f.string(entry, "path");
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    f.bad(std::string("files.") + key + ".path must be a plain file name");
  const std::string path = dir + "/" + name;
  if (!path_exists(path)) fail(path + " is missing", "the checkpoint is incomplete; retrain or restore it");
  if (sha256_file(path) != f.string(entry, "sha256"))
    fail(path + ": SHA-256 does not match model.json", "the file is damaged; retrain or restore it");
  return path;
}

void read_params(const std::string& path, const ModelConfig& c, std::vector<float>& params) {
  // The file must hold at least the parameters: checked before anything is allocated, so a
  // hand-edited architecture cannot make the loader ask for gigabytes.
  struct stat st;
  const uint64_t needed = uint64_t(parameter_count(c)) * sizeof(float);
  if (::stat(path.c_str(), &st) != 0 || uint64_t(st.st_size) < needed)
    fail(path + " is smaller than the " + std::to_string(needed) + " bytes the architecture in model.json needs",
         "model.json and the weights do not belong together; retrain or restore the checkpoint");
  SafetensorsReader reader(path);
  params.assign(parameter_count(c), 0.f);
  try {
    from_state_dict(c, [&](const std::string& name, const std::vector<int64_t>& shape, float* dst) {
      if (!reader.has(name)) return false;
      reader.read(name, shape, dst);
      return true;
    }, params.data());
  } catch (const Error& e) {
    if (std::string(e.what()).rfind(path, 0) == 0) throw;
    fail(path + ": " + e.what(), "the file does not match model.json; retrain or restore it");
  }
}

}  // namespace

CheckpointMeta parse_model_json(const std::string& text, const std::string& file, json* doc) {
  const Fields f(file);
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) f.bad("not valid JSON");
  CheckpointMeta meta;
  try {
    read_meta(j, f, meta);
    if (!f.at(j, "files").is_object()) f.bad("files must be an object");
  } catch (const json::exception& e) {  // a type the checks above did not foresee
    f.bad(std::string("malformed field: ") + e.what());
  } catch (const std::invalid_argument&) {  // std::stoull on a non-hex rng word
    f.bad("training.state.rng must hold hex strings");
  } catch (const std::out_of_range&) {
    f.bad("training.state.rng holds a number out of range");
  }
  if (doc) *doc = std::move(j);
  return meta;
}

LoadedCheckpoint load_checkpoint(const std::string& dir_in, WhichWeights which, bool with_optimizer) {
  std::string dir = dir_in;
  if (!is_checkpoint_dir(dir)) {
    const std::string old = parent_dir(dir) + "/." + base_name(dir) + ".old";  // interrupted swap
    if (is_checkpoint_dir(old)) dir = old;
    else if (!is_directory(dir))
      fail("model directory " + dir_in + " does not exist", "train one first: charrnn train --corpus FILE --model " + dir_in);
    else
      fail(dir_in + " is not a charrnn checkpoint (no model.json)", "pass the directory charrnn train wrote");
  }
  LoadedCheckpoint out;
  out.dir = dir;
  const std::string file = dir + "/model.json";
  const Fields f(file);
  out.meta = parse_model_json(read_file(file, "checkpoint description"), file, &out.json);
  const json& files = f.at(out.json, "files");
  const bool last = which == WhichWeights::last && files.contains("last");
  read_params(verified_file(dir, files, last ? "last" : "weights", f), out.meta.model, out.params);
  if (with_optimizer && files.contains("optimizer")) {
    SafetensorsReader reader(verified_file(dir, files, "optimizer", f));
    const int64_t P = int64_t(out.params.size());
    out.adam_m.resize(size_t(P));
    out.adam_v.resize(size_t(P));
    reader.read("adam.m", {P}, out.adam_m.data());
    reader.read("adam.v", {P}, out.adam_v.data());
    out.adam_steps = f.integer(files["optimizer"], "adam_steps", 0, INT64_MAX);
    for (const std::string& name : reader.names()) {
      if (name.rfind("state.", 0) != 0) continue;
      const std::vector<int64_t> shape = reader.shape(name);
      size_t n = 1;
      for (int64_t d : shape) n *= size_t(d);
      if (n > (size_t(1) << 28)) f.bad("optimizer tensor '" + name + "' is implausibly large");
      out.state[name].assign(n, 0.f);
      reader.read(name, shape, out.state[name].data());
    }
  }
  return out;
}

}  // namespace charrnn
