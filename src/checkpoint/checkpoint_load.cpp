// checkpoint_load.cpp — reads and validates a checkpoint directory (see checkpoint.h).
//
// Every field is checked for type and range before use, every tensor file against its SHA-256
// and its shapes against the architecture, so a damaged checkpoint gives one clear error that
// names the file, never a crash or a silent wrong model.
#include <sys/stat.h>

#include <cmath>

#include "base/fsutil.h"
#include "base/hash.h"
#include "charrnn/error.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/model_json.h"
#include "checkpoint/safetensors.h"
#include "nn/recurrent_layer.h"

namespace charrnn {
namespace {

using json = nlohmann::json;

// Checks the file entry `key` (name and SHA-256) and returns its path inside `dir`.
std::string verified_file(const std::string& dir, const json& files, const char* key,
                          const Fields& f) {
  const json& entry = f.at(files, key);
  const std::string name = f.string(entry, "path");
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    f.bad(std::string("files.") + key + ".path must be a plain file name");
  const std::string path = dir + "/" + name;
  if (!path_exists(path))
    fail(path + " is missing", "the checkpoint is incomplete; retrain or restore it");
  if (sha256_file(path) != f.string(entry, "sha256"))
    fail(path + ": SHA-256 does not match model.json",
         "the file is damaged; retrain or restore it");
  return path;
}

void read_params(const std::string& path, const ModelConfig& c, std::vector<float>& params) {
  // The file must hold at least the parameters: checked before anything is allocated, so a
  // hand-edited architecture cannot make the loader ask for gigabytes.
  struct stat st;
  const uint64_t needed = uint64_t(parameter_count(c)) * sizeof(float);
  if (::stat(path.c_str(), &st) != 0 || uint64_t(st.st_size) < needed)
    fail(path + " is smaller than the " + std::to_string(needed) +
             " bytes the architecture in model.json needs",
         "model.json and the weights do not belong together; retrain or restore the checkpoint");
  SafetensorsReader reader(path);
  params.assign(parameter_count(c), 0.f);
  try {
    from_state_dict(
        c,
        [&](const std::string& name, const std::vector<int64_t>& shape, float* dst) {
          if (!reader.has(name)) return false;
          reader.read(name, shape, dst);
          return true;
        },
        params.data());
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
    meta = meta_from_json(j, f);
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

std::string checkpoint_files_dir(const std::string& dir) {
  if (is_checkpoint_dir(dir)) return dir;
  const std::string old = checkpoint_aside_dir(dir);  // an interrupted swap left it there
  if (is_checkpoint_dir(old)) return old;
  if (!is_directory(dir))
    fail("model directory " + dir + " does not exist",
         "train one first, with {corpus} and {model} " + dir);
  fail(dir + " is not a charrnn checkpoint (no model.json)", "name the directory training wrote");
}

CheckpointMeta read_checkpoint_meta(const std::string& dir_in) {
  const std::string file = checkpoint_files_dir(dir_in) + "/model.json";
  return parse_model_json(read_file(file, "checkpoint description"), file);
}

LoadedCheckpoint load_checkpoint(const std::string& dir_in, WhichWeights which,
                                 bool with_optimizer) {
  const std::string dir = checkpoint_files_dir(dir_in);
  LoadedCheckpoint out;
  out.dir = dir;
  const std::string file = dir + "/model.json";
  const Fields f(file);
  out.meta = parse_model_json(read_file(file, "checkpoint description"), file, &out.json);
  const json& files = f.at(out.json, "files");
  const bool last = which == WhichWeights::last && files.contains("last");
  read_params(verified_file(dir, files, last ? "last" : "weights", f), out.meta.model, out.params);
  if (with_optimizer) {
    OptimizerTensors o;
    load_optimizer(out, o);
    out.adam_m = std::move(o.adam_m);
    out.adam_v = std::move(o.adam_v);
    out.adam_steps = o.adam_steps;
    out.state = std::move(o.state);
  }
  return out;
}

bool load_optimizer(const LoadedCheckpoint& ck, OptimizerTensors& out) {
  const std::string file = ck.dir + "/model.json";
  const Fields f(file);
  const json& files = f.at(ck.json, "files");
  if (!files.contains("optimizer")) return false;
  SafetensorsReader reader(verified_file(ck.dir, files, "optimizer", f));
  const int64_t P = int64_t(parameter_count(ck.meta.model));
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
  return true;
}

}  // namespace charrnn
