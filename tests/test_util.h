// test_util.h — running the real charrnn binary from tests: exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "base/fsutil.h"

namespace charrnn::testing {

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

// A fresh, empty scratch directory named after the running test (removed first if present).
inline std::string scratch_dir(const std::string& prefix) {
  const std::string dir = "/tmp/" + prefix + "_" + std::to_string(::getpid()) + "_" +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name();
  remove_tree(dir);
  make_dirs(dir);
  return dir;
}

// Runs a shell command (a pipeline may feed it) with stdin otherwise closed; `scratch` holds
// the captured output files.
inline Result run_charrnn_cmd(const std::string& command, const std::string& scratch) {
  const std::string out = scratch + "/stdout", err = scratch + "/stderr";
  const std::string cmd = "{ " + command + " ; } >" + out + " 2>" + err + " </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

// Runs `charrnn ARGS`.
inline Result run_charrnn(const std::string& args, const std::string& scratch) {
  return run_charrnn_cmd(std::string(CHARRNN_BIN) + " " + args, scratch);
}

}  // namespace charrnn::testing
