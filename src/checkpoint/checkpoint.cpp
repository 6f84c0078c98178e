// checkpoint.cpp — model.json + safetensors checkpoints, written atomically (see checkpoint.h).
#include "checkpoint/checkpoint.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <cmath>
#include <ctime>

#include "charrnn/error.h"
#include "base/fsutil.h"
#include "checkpoint/safetensors.h"
#include "base/hash.h"

namespace charrnn {
namespace {

using json = nlohmann::ordered_json;

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

std::string hex64(uint64_t x) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

// Views of PyTorch state_dict tensors, for the writer.
std::vector<TensorRef> refs_of(const std::vector<StateTensor>& tensors) {
  std::vector<TensorRef> refs;
  for (const StateTensor& t : tensors) refs.push_back({t.name, t.shape, t.values.data()});
  return refs;
}

json history_json(const std::vector<HistoryPoint>& history) {
  json out = json::array();
  for (const HistoryPoint& h : history)
    out.push_back({{"step", h.step}, {"tokens", h.tokens}, {"seconds", h.seconds},
                   {"epoch", h.epoch}, {"train_loss", h.train_loss}, {"val_loss", h.val_loss}});
  return out;
}

json meta_json(const CheckpointMeta& m) {
  auto words = [](const std::array<uint64_t, 4>& s) {
    json out = json::array();
    for (uint64_t w : s) out.push_back(hex64(w));
    return out;
  };
  const json rng = words(m.state.rng);
  json rank_rng = json::array();
  for (const auto& s : m.state.rank_rng) rank_rng.push_back(words(s));
  const bool has_best = m.best_step >= 0;
  return {
      {"format", kCheckpointFormat},
      {"version", kCheckpointVersion},
      {"created", utc_now()},
      {"tool", {{"name", "charrnn"}, {"version", CHARRNN_VERSION}, {"onednn", onednn_version()}}},
      {"architecture",
       {{"cell", cell_name(m.model.cell)}, {"layers", m.model.layers}, {"hidden", m.model.hidden},
        {"embedding", m.model.embed}, {"vocab_size", m.model.vocab}, {"dropout", m.model.dropout},
        {"output_dropout", m.model.output_dropout}, {"weight_drop", m.model.weight_drop},
        {"gate_order", m.model.cell == Cell::lstm ? "ifgo" : m.model.cell == Cell::gru ? "rzn" : "h"},
        {"parameters", parameter_count(m.model)}}},
      {"tokenizer",
       {{"unit", m.tokenizer.unit}, {"normalize", m.tokenizer.normalize},
        {"on_invalid", m.tokenizer.on_invalid}, {"min_count", m.tokenizer.min_count},
        {"max_vocab", m.tokenizer.max_vocab},
        {"unknown", m.unknown_id >= 0 ? "map" : "error"}, {"unknown_id", m.unknown_id},
        {"symbols", m.symbols}}},
      {"training",
       {{"config", m.train_config},
        {"state",
         {{"step", m.state.step}, {"tokens", m.state.tokens}, {"seconds", m.state.seconds},
          {"epoch", m.state.epoch}, {"window", m.state.window}, {"lr", m.state.lr},
          {"rng", rng}, {"rank_rng", rank_rng}, {"loss_sum", m.state.loss_sum},
          {"loss_steps", m.state.loss_steps}}}}},
      {"history", history_json(m.history)},
      {"best",
       {{"step", m.best_step},
        {"val_loss", has_best ? json(m.best_val_loss) : json(nullptr)},
        {"val_bits_per_char", has_best ? json(m.best_val_loss / std::log(2.0)) : json(nullptr)}}},
      {"corpus",
       {{"name", m.corpus.name}, {"bytes", m.corpus.bytes}, {"sha256", m.corpus.sha256},
        {"symbols", m.corpus.symbols}, {"train_symbols", m.corpus.train_symbols},
        {"val_symbols", m.corpus.val_symbols}}},
  };
}

// Staging directories of processes that died mid-save (kill -9): never read, safe to delete.
void remove_stale_staging(const std::string& parent, const std::string& base) {
  const std::string prefix = "." + base + ".staging-";
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) stale.push_back(parent + "/" + name);
  }
  ::closedir(d);
  for (const std::string& path : stale) remove_tree(path);
}

}  // namespace

void save_checkpoint(const std::string& dir, const CheckpointMeta& meta,
                     const CheckpointTensors& t) {
  const std::string parent = parent_dir(dir), base = base_name(dir);
  make_dirs(parent);
  const std::string staged = parent + "/." + base + ".staging-" + std::to_string(::getpid());
  const std::string old = parent + "/." + base + ".old";
  remove_stale_staging(parent, base);
  remove_tree(staged);
  make_dirs(staged);

  const std::map<std::string, std::string> st_meta{{"format", "pt"}, {"producer", "charrnn"}};
  json files = json::object();
  auto write = [&](const std::string& key, const std::string& file, std::vector<TensorRef> refs,
                   int64_t step) {
    write_safetensors(staged + "/" + file, refs, st_meta);
    files[key] = {{"path", file}, {"sha256", sha256_file(staged + "/" + file)}, {"step", step}};
  };
  write("weights", "weights.safetensors", refs_of(to_state_dict(meta.model, t.best)), meta.best_step);
  if (t.last)
    write("last", "last.safetensors", refs_of(to_state_dict(meta.model, t.last)), meta.state.step);
  if (t.adam_m && t.adam_v) {
    const int64_t P = int64_t(parameter_count(meta.model));
    std::vector<TensorRef> refs = {{"adam.m", {P}, t.adam_m}, {"adam.v", {P}, t.adam_v}};
    refs.insert(refs.end(), t.state.begin(), t.state.end());
    write("optimizer", "optimizer.safetensors", refs, meta.state.step);
    files["optimizer"]["adam_steps"] = t.adam_steps;
  }
  for (const auto& [name, text] : t.extra_files)
    write_file_synced(staged + "/" + name, text.data(), text.size());
  json doc = meta_json(meta);
  doc["files"] = files;
  const std::string text = doc.dump(1) + "\n";
  write_file_synced(staged + "/model.json", text.data(), text.size());
  fsync_dir(staged);

  remove_tree(old);
  replace_directory(staged, dir, old);
  fsync_dir(parent);
  remove_tree(old);
}

bool is_checkpoint_dir(const std::string& dir) { return path_exists(dir + "/model.json"); }

}  // namespace charrnn
