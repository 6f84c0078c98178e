// checkpoint.cpp — model.json + safetensors checkpoints, written atomically (see checkpoint.h).
#include "checkpoint/checkpoint.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <cmath>
#include <ctime>

#include "base/fsutil.h"
#include "base/hash.h"
#include "charrnn/error.h"
#include "checkpoint/model_json.h"
#include "checkpoint/safetensors.h"

namespace charrnn {
namespace {

// Views of PyTorch state_dict tensors, for the writer.
std::vector<TensorRef> refs_of(const std::vector<StateTensor>& tensors) {
  std::vector<TensorRef> refs;
  for (const StateTensor& t : tensors) refs.push_back({t.name, t.shape, t.values.data()});
  return refs;
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
    if (pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
      stale.push_back(parent + "/" + name);
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
  const std::string old = checkpoint_aside_dir(dir);
  // A save that died between its two renames left the checkpoint only at `old`: it goes back
  // in place before this save deletes `old`.
  restore_interrupted_replace(dir, old);
  remove_stale_staging(parent, base);
  remove_tree(staged);
  make_dirs(staged);

  const std::map<std::string, std::string> st_meta{{"format", "pt"}, {"producer", "charrnn"}};
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  auto write = [&](const std::string& key, const std::string& file, std::vector<TensorRef> refs,
                   int64_t step) {
    write_safetensors(staged + "/" + file, refs, st_meta);
    files[key] = {{"path", file}, {"sha256", sha256_file(staged + "/" + file)}, {"step", step}};
  };
  write("weights", "weights.safetensors", refs_of(to_state_dict(meta.model, t.best)),
        meta.best_step);
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
  nlohmann::ordered_json doc = meta_to_json(meta);
  doc["files"] = files;
  const std::string text = doc.dump(1) + "\n";
  write_file_synced(staged + "/model.json", text.data(), text.size());
  fsync_dir(staged);

  remove_tree(old);
  replace_directory(staged, dir, old);
  fsync_dir(parent);
  remove_tree(old);
}

std::string checkpoint_aside_dir(const std::string& dir) {
  return parent_dir(dir) + "/." + base_name(dir) + ".old";
}

bool is_checkpoint_dir(const std::string& dir) {
  return path_exists(dir + "/model.json");
}

}  // namespace charrnn
