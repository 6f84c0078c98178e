// cli_training.h — the fixture of the training tests that run the real binary
// (test_cli_training.cpp, test_cli_resume.cpp): a scratch directory with a small corpus, the
// flags of a small model, a run in the background, and the model.json a run wrote.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/fsutil.h"
#include "test_util.h"

extern char** environ;

namespace charrnn::testing {

class CliTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("charrnn_clitrain");
    std::string text;
    for (int i = 0; i < 400; ++i)
      text += "It is a truth universally acknowledged, line " + std::to_string(i % 37) + ".\n";
    corpus_ = dir_ + "/corpus.txt";
    write_text(corpus_, text);
  }
  void TearDown() override { remove_tree(dir_); }
  Result run(const std::string& args) { return run_charrnn(args, dir_); }
  // A small 2-layer model with dropout and weight drop, so that resuming must restore the
  // generator both draw their masks from, and --ema, so that it must restore the average.
  std::string train_args(const std::string& model) {
    // A constant rate: runs of different lengths take the same steps (a cosine's depend on
    // where the run ends).
    return "train --corpus " + corpus_ + " --model " + dir_ + "/" + model +
           " --layers 2 --hidden 24 --embed 8 --dropout 0.2 --weight-drop 0.3 --ema 0.9 --seq 16 "
           "--batch 8 --lr-schedule constant --dtype f32 --threads 1 --quiet";
  }
  // Starts charrnn in the background; returns its pid.
  pid_t spawn(const std::string& args) {
    std::vector<std::string> words = {CHARRNN_BIN};
    std::string w;
    for (char c : args + " ") {
      if (c == ' ') {
        if (!w.empty()) words.push_back(w);
        w.clear();
      } else
        w += c;
    }
    std::vector<char*> argv;
    for (auto& s : words) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ + "/bg.out").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ + "/bg.err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, CHARRNN_BIN, &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  }
  static int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  nlohmann::json model_json(const std::string& model) {
    return nlohmann::json::parse(slurp(dir_ + "/" + model + "/model.json"));
  }
  // Waits (up to 60 s, however slow the machine) until a save of `model` shows step >= step.
  void wait_for_saved_step(const std::string& model, int64_t step) {
    for (int waited = 0; waited < 600; ++waited) {
      try {
        if (model_json(model)["training"]["state"]["step"].get<int64_t>() >= step) return;
      } catch (const std::exception&) {  // not written yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::string dir_, corpus_;
};

}  // namespace charrnn::testing
