// locate.cpp — where a model name is found (charrnn.h: model_search_path, locate_model).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "charrnn/charrnn.h"

#ifndef CHARRNN_INSTALL_DATADIR
#define CHARRNN_INSTALL_DATADIR "/usr/local/share"
#endif

namespace charrnn {
namespace {

namespace fs = std::filesystem;

bool is_model_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "model.json", ec);
}

// The directory of the running program, for a relocated install (make install PREFIX=...).
std::string program_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

std::vector<std::string> model_search_path() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("CHARRNN_MODEL_PATH")) {
    std::string p = path;
    for (size_t start = 0; start <= p.size();) {
      size_t colon = p.find(':', start);
      if (colon == std::string::npos) colon = p.size();
      if (colon > start) dirs.push_back(p.substr(start, colon - start));
      start = colon + 1;
    }
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    dirs.push_back(std::string(xdg) + "/charrnn/models");
  else if (const char* home = std::getenv("HOME"); home && *home)
    dirs.push_back(std::string(home) + "/.local/share/charrnn/models");
  const std::string exe_dir = program_dir();
  if (!exe_dir.empty())
    dirs.push_back((fs::path(exe_dir).parent_path() / "share/charrnn/models").string());
  const std::string installed = std::string(CHARRNN_INSTALL_DATADIR) + "/charrnn/models";
  if (dirs.empty() ||
      fs::path(dirs.back()).lexically_normal() != fs::path(installed).lexically_normal())
    dirs.push_back(installed);
  return dirs;
}

std::string locate_model(const std::string& model) {
  if (model.empty())
    fail_usage("no model given", "give a checkpoint directory or the name of an installed model");
  std::error_code ec;
  if (fs::is_directory(model, ec) || model.find('/') != std::string::npos) return model;
  const std::vector<std::string> dirs = model_search_path();
  for (const std::string& dir : dirs)
    if (is_model_dir(fs::path(dir) / model)) return (fs::path(dir) / model).string();
  std::string looked;
  for (const std::string& dir : dirs) looked += (looked.empty() ? "" : ", ") + dir;
  fail("no model '" + model + "': it is not a directory here, nor a model in " + looked,
       "give the path of a checkpoint directory, or put the model into one of those directories");
}

}  // namespace charrnn
