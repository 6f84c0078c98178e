// test_bad_inputs.cpp — the bad-input matrix: each row runs the real binary on one bad input
// and asserts the exit code (1 runtime, 2 usage), a message naming the problem, a hint line,
// and that no checkpoint already saved was touched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/fsutil.h"
#include "test_util.h"

namespace charrnn {
namespace {

using testing::Result;
using testing::slurp;
using testing::write_text;

struct Row {
  const char* what;
  std::string args;  // $D is the scratch directory, $M a trained checkpoint
  int code;
  const char* message;
};

class BadInputs : public ::testing::Test {
 protected:
  static std::string dir_;
  static void SetUpTestSuite() {
    dir_ = testing::fresh_dir("charrnn_bad");
    remove_tree(dir_);
    make_dirs(dir_ + "/emptydir");
    make_dirs(dir_ + "/notackpt");
    write_text(dir_ + "/notackpt/notes.txt", "mine");
    std::string text;
    for (int i = 0; i < 200; ++i) text += "a small corpus for bad inputs\n";
    write_text(dir_ + "/ok.txt", text);
    write_text(dir_ + "/empty.txt", "");
    std::string short_text;
    for (int i = 0; i < 20; ++i) short_text += "a short corpus\n";  // 300 symbols
    write_text(dir_ + "/short.txt", short_text);
    write_text(dir_ + "/binary.bin", std::string("\x7f"
                                                 "ELF\x02\x01\x01\0\0\0\xff\xfe\x80",
                                                 14));
    Result r = testing::run_charrnn("train --corpus " + dir_ + "/ok.txt --model " + dir_ +
                                        "/m --preset tiny --steps 3 --threads 1 --quiet",
                                    dir_);
    ASSERT_EQ(r.code, 0) << r.err;
    // A checkpoint that a save interrupted between its two renames left aside only.
    std::filesystem::copy(dir_ + "/m", dir_ + "/.aside.old");
    damage("truncated", [](const std::string& d) {
      const std::string w = slurp(d + "/weights.safetensors");
      write_text(d + "/weights.safetensors", w.substr(0, w.size() - 100));
    });
    damage("flipped", [](const std::string& d) {
      std::string w = slurp(d + "/weights.safetensors");
      w[w.size() - 7] ^= 0x10;
      write_text(d + "/weights.safetensors", w);
    });
    damage("version", [](const std::string& d) {
      std::string j = slurp(d + "/model.json");
      j.replace(j.find("\"version\": 1"), 12, "\"version\": 7");
      write_text(d + "/model.json", j);
    });
    damage("edited", [](const std::string& d) {
      std::string j = slurp(d + "/model.json");
      j.replace(j.find("\"hidden\": 64"), 12, "\"hidden\": 65");
      write_text(d + "/model.json", j);
    });
  }
  // A copy of the trained checkpoint at $D/bad-NAME, damaged by `f`.
  template <class F>
  static void damage(const std::string& name, F f) {
    const std::string d = dir_ + "/bad-" + name;
    std::filesystem::copy(dir_ + "/m", d);
    f(d);
  }
  static void TearDownTestSuite() { remove_tree(dir_); }
};
std::string BadInputs::dir_;

std::string expand(std::string s, const std::string& dir) {
  for (size_t at; (at = s.find("$D")) != std::string::npos;) s.replace(at, 2, dir);
  for (size_t at; (at = s.find("$M")) != std::string::npos;) s.replace(at, 2, dir + "/m");
  return s;
}

TEST_F(BadInputs, EachGetsOneClearErrorAndTheDocumentedExitCode) {
  const std::string train = "train --quiet --threads 1 --steps 2 ";
  const std::vector<Row> rows = {
      {"missing corpus", train + "--corpus $D/nope.txt --model $D/x", 1, "nope.txt: No such file"},
      {"empty corpus directory", train + "--corpus $D/emptydir --model $D/x", 1, "holds no files"},
      {"empty corpus", train + "--corpus $D/empty.txt --model $D/x", 1, "empty or only whitespace"},
      {"binary file", train + "--corpus $D/binary.bin --model $D/x", 1,
       "invalid UTF-8 at byte offset 10"},
      {"too short for one window", train + "--corpus $D/ok.txt --model $D/x --seq 5000", 1,
       "fewer than one window"},
      {"too short for any automatic size", train + "--corpus $D/short.txt --model $D/x --minutes 1",
       1, "fewer than one window"},
      {"unwritable model directory", train + "--corpus $D/ok.txt --model /proc/charrnn/m", 1,
       "cannot create directory /proc/charrnn"},
      {"model path is a file", train + "--corpus $D/ok.txt --model $D/ok.txt", 2,
       "is not a directory"},
      {"non-checkpoint directory", train + "--corpus $D/ok.txt --model $D/notackpt", 2,
       "not a charrnn checkpoint"},
      {"existing checkpoint", train + "--corpus $D/ok.txt --model $M", 2,
       "already holds a checkpoint"},
      {"checkpoint left aside by an interrupted save",
       train + "--corpus $D/ok.txt --model $D/aside", 2,
       "/.aside.old, left by an interrupted save); training would replace it"},
      {"unknown flag", train + "--corpus $D/ok.txt --model $D/x --colour", 2,
       "unrecognised option '--colour'"},
      {"prefix of a flag, not guessed", train + "--corpus $D/ok.txt --out $D/x", 2,
       "unrecognised option '--out'"},
      {"negative hidden", train + "--corpus $D/ok.txt --model $D/x --hidden -3", 2,
       "--hidden must be between"},
      {"zero batch", train + "--corpus $D/ok.txt --model $D/x --batch 0", 2,
       "--batch must be between"},
      {"NaN learning rate", train + "--corpus $D/ok.txt --model $D/x --lr nan", 2,
       "--lr must be a number in (0, 10)"},
      {"huge learning rate", train + "--corpus $D/ok.txt --model $D/x --lr 1e9", 2,
       "--lr must be a number in (0, 10)"},
      {"huge hidden", train + "--corpus $D/ok.txt --model $D/x --hidden 100000", 2,
       "--hidden must be between"},
      {"dropout of one", train + "--corpus $D/ok.txt --model $D/x --dropout 1", 2,
       "--dropout must be a number in [0, 1)"},
      {"negative weight drop", train + "--corpus $D/ok.txt --model $D/x --weight-drop -0.1", 2,
       "--weight-drop must be a number in [0, 1)"},
      {"not a number", train + "--corpus $D/ok.txt --model $D/x --layers many", 2, "got 'many'"},
      {"negative minutes", train + "--corpus $D/ok.txt --model $D/x --minutes -1", 2,
       "--minutes must be a number >= 0"},
      {"unknown cell", train + "--corpus $D/ok.txt --model $D/x --cell transformer", 2,
       "--cell must be lstm, gru or rnn"},
      {"resume of nothing", "train --resume $D/nothing", 1, "does not exist"},
      {"generate without model", "generate --model $D/nothing", 1, "does not exist"},
      {"generate from a non-checkpoint", "generate --model $D/notackpt", 1, "no model.json"},
      {"negative length", "generate --model $M --length -1", 2, "--length must be >= 0"},
      {"negative temperature", "generate --model $M --temperature -0.5", 2,
       "--temperature must be between"},
      {"top-p above one", "generate --model $M --top-p 1.5", 2,
       "--top-p must be a number in (0, 1]"},
      {"negative top-k", "generate --model $M --top-k -2", 2, "--top-k must be an integer >= 0"},
      {"unknown prompt symbol", "generate --model $M --prompt 'xyz Q'", 1,
       "not in the model's vocabulary"},
      {"empty prompt", "generate --model $M --prompt ''", 2, "--prompt is empty"},
      {"eval of a missing text", "eval --model $M --text $D/nope.txt", 1, "nope.txt: No such file"},
      {"eval of invalid UTF-8", "eval --model $M --text $D/binary.bin", 1, "invalid UTF-8"},
      {"inspect without a directory", "inspect", 2, "the option '--dir' is required"},
      {"unknown command", "fit --corpus x", 2, "unknown command 'fit'"},
      {"truncated checkpoint", "generate --model $D/bad-truncated", 1, "SHA-256 does not match"},
      {"bit-flipped checkpoint", "eval --model $D/bad-flipped --text $D/ok.txt", 1,
       "SHA-256 does not match"},
      {"wrong-version checkpoint", "inspect $D/bad-version", 1,
       "checkpoint version 7 is not supported"},
      {"hand-edited checkpoint", "generate --model $D/bad-edited", 1, "smaller than"},
      {"resume of a damaged checkpoint", "train --resume $D/bad-flipped", 1,
       "SHA-256 does not match"},
  };
  const std::string weights_before = slurp(dir_ + "/m/weights.safetensors");
  for (const Row& row : rows) {
    Result r = testing::run_charrnn(expand(row.args, dir_), dir_);
    EXPECT_EQ(r.code, row.code) << row.what << ": " << r.err;
    EXPECT_NE(r.err.find(row.message), std::string::npos) << row.what << ": " << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 2)
        << row.what << ": one line and a hint\n"
        << r.err;
    EXPECT_EQ(r.err.rfind("charrnn", 0), 0u) << row.what << ": " << r.err;
  }
  EXPECT_EQ(slurp(dir_ + "/m/weights.safetensors"), weights_before);  // nothing saved was touched
  RecordProperty("bad_inputs", int(rows.size()));
}

TEST_F(BadInputs, LengthZeroPrintsOnlyThePrompt) {
  Result r =
      testing::run_charrnn("generate --model " + dir_ + "/m --prompt 'a small' --length 0", dir_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "a small");
}

}  // namespace
}  // namespace charrnn
