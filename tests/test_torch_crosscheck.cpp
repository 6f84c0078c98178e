// test_torch_crosscheck.cpp — PyTorch reads what charrnn saves: a checkpoint of each cell,
// loaded by tests/torch_crosscheck.py into nn.LSTM / nn.GRU / nn.RNN, scores a text to the loss
// `charrnn eval` gives.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "base/fsutil.h"
#include "test_util.h"

namespace charrnn {
namespace {

using testing::Result;
using testing::write_text;

// Skips unless Debian's python3-torch is installed (make bench installs it), except where
// CHARRNN_REQUIRE_TORCH is set (CI installs it and sets it, so that the check cannot skip there).
class TorchCrossCheck : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchCrossCheck, PyTorchReadsTheCheckpointToTheSameLoss) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    if (std::getenv("CHARRNN_REQUIRE_TORCH"))
      FAIL() << "CHARRNN_REQUIRE_TORCH is set but python3 cannot import torch";
    GTEST_SKIP()
        << "python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)";
  }
  const std::string dir = testing::fresh_dir(std::string("charrnn_torch_") + GetParam());
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "To be, or not to be: that is the question " + std::to_string(i % 7) + ".\n";
  write_text(dir + "/c.txt", text);
  write_text(dir + "/probe.txt",
             "To be, or not to be: 3 is the question.\nThat is 5 the question.\n");
  Result t = testing::run_charrnn(
      std::string("train --corpus ") + dir + "/c.txt --model " + dir + "/m --cell " + GetParam() +
          " --layers 2 --hidden 16 --embed 8 --seq 16 --batch 4 --steps 40 --threads 1 --quiet",
      dir);
  ASSERT_EQ(t.code, 0) << t.err;
  Result e = testing::run_charrnn(
      "eval --model " + dir + "/m --text " + dir + "/probe.txt --batch 1 --seq 4096 --json", dir);
  ASSERT_EQ(e.code, 0) << e.err;
  Result p =
      testing::run_charrnn_cmd("/usr/bin/python3 " + std::string(CHARRNN_SOURCE_DIR) +
                                   "/tests/torch_crosscheck.py " + dir + "/m " + dir + "/probe.txt",
                               dir);
  ASSERT_EQ(p.code, 0) << p.err;
  const double ours = nlohmann::json::parse(e.out)["nats_per_char"];
  const double torch = nlohmann::json::parse(p.out)["nats_per_char"];
  EXPECT_NEAR(ours, torch, 1e-4) << GetParam();
  remove_tree(dir);
}

INSTANTIATE_TEST_SUITE_P(Cells, TorchCrossCheck, ::testing::Values("lstm", "gru", "rnn"));

}  // namespace
}  // namespace charrnn
