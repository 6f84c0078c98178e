// test_util.h — the helpers tests share: the shipped model, the Error a call throws, scratch
// directories and files, and running the real charrnn binary (exit code, stdout and stderr).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "base/fsutil.h"
#include "charrnn/error.h"

namespace charrnn::testing {

// The small shipped model most API, generation and server tests use.
inline const std::string kKjv = std::string(CHARRNN_MODELS_DIR) + "/kjv-small";

// The Error a call throws (with the kind and field the CLI and the server map); a test
// failure when it throws none.
template <class F>
Error error_of(F&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no charrnn::Error thrown";
  return Error(Error::Kind::runtime, "");
}

struct Result {
  int code;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Where tests write: $TMPDIR, else /tmp.
inline std::string temp_root() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? std::string(t) : std::string("/tmp");
}

// A fresh, empty directory under temp_root() for a suite or a test (removed first if present).
inline std::string fresh_dir(const std::string& name) {
  const std::string dir = temp_root() + "/" + name + "_" + std::to_string(::getpid());
  remove_tree(dir);
  make_dirs(dir);
  return dir;
}

// A fresh, empty scratch directory named after the running test.
inline std::string scratch_dir(const std::string& prefix) {
  return fresh_dir(prefix + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

// Runs a shell command (a pipeline may feed it) with stdin otherwise closed; `scratch` holds
// the captured output files.
inline Result run_charrnn_cmd(const std::string& command, const std::string& scratch) {
  const std::string out = scratch + "/stdout", err = scratch + "/stderr";
  // Encoded corpora are cached under the tests' own directory, not the user's.
  const std::string cmd = "{ export XDG_CACHE_HOME=" + temp_root() + "/charrnn_test_cache; " +
                          command + " ; } >" + out + " 2>" + err + " </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

// Runs `charrnn ARGS`.
inline Result run_charrnn(const std::string& args, const std::string& scratch) {
  return run_charrnn_cmd(std::string(CHARRNN_BIN) + " " + args, scratch);
}

}  // namespace charrnn::testing
