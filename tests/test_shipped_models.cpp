// test_shipped_models.cpp — the models committed under models/ (make models) load, describe
// themselves and generate well-formed text in their corpus's form, straight after the build.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "base/fsutil.h"
#include "checkpoint/checkpoint.h"
#include "test_util.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

class ShippedModels : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::fresh_dir("charrnn_shipped");
    make_dirs(dir_);
  }
  void TearDown() override { remove_tree(dir_); }
  testing::Result run(const std::string& args) { return testing::run_charrnn(args, dir_); }
  std::string dir_;
};

TEST_F(ShippedModels, KjvSmallWritesScripture) {
  const std::string model = std::string(CHARRNN_MODELS_DIR) + "/kjv-small";
  LoadedCheckpoint ck = load_checkpoint(model);
  EXPECT_LT(ck.meta.best_val_loss, 1.6);  // trained, not a placeholder
  testing::Result g = run("generate --model " + model +
                          " --prompt 'And God said' --length 300 --seed 1 --temperature 0.7");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(g.out.size(), 12u + 300u);  // ASCII corpus
  EXPECT_NE(g.out.find(" the "), std::string::npos) << g.out;
  EXPECT_EQ(run("inspect " + model).code, 0);
}

TEST_F(ShippedModels, TangSmallWritesChinesePoemLines) {
  const std::string model = std::string(CHARRNN_MODELS_DIR) + "/tang-small";
  LoadedCheckpoint ck = load_checkpoint(model);
  EXPECT_GT(ck.meta.model.vocab, 1000);
  testing::Result g =
      run("generate --model " + model + " --prompt '《春' --length 150 --seed 1 --temperature 0.7");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(find_invalid_utf8(g.out), std::string::npos);
  EXPECT_NE(g.out.find("。"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("作者"), std::string::npos) << g.out;  // the corpus's author lines
}

// models/tang (make models): 2x448 on every Tang poem, in simplified script. A traditional
// prompt is converted; a title prompt with --form 5 gives 5-character couplets.
TEST_F(ShippedModels, TangWritesSimplifiedPoemsEvenFromATraditionalPrompt) {
  const std::string model = std::string(CHARRNN_MODELS_DIR) + "/tang";
  LoadedCheckpoint ck = load_checkpoint(model);
  EXPECT_EQ(ck.meta.tokenizer.script, Script::simplified);
  EXPECT_EQ(ck.meta.model.vocab, 4000);
  EXPECT_LT(ck.meta.best_val_loss, 5.0);  // trained, not a placeholder (tang-small: 4.98)
  testing::Result g = run("generate --model " + model + " --prompt 春 --length 100 --seed 1");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(find_invalid_utf8(g.out), std::string::npos);
  EXPECT_NE(g.out.find("。"), std::string::npos) << g.out;
  // 《春風》 (traditional 風) is read as 《春风》; the prompt is echoed as typed.
  g = run("generate --model " + model +
          " --prompt '《春風》\n' --form 5 --lines 4 --seed 2 --temperature 0.8");
  ASSERT_EQ(g.code, 0) << g.err;
  ASSERT_EQ(g.out.rfind("《春風》\n", 0), 0u) << g.out;
  const std::string poem = g.out.substr(std::string("《春風》\n").size());
  auto code_points = [](const std::string& s) {
    return size_t(std::count_if(s.begin(), s.end(), [](char b) { return (b & 0xC0) != 0x80; }));
  };
  const std::vector<std::string> lines = {poem.substr(0, poem.find('\n')),
                                          poem.substr(poem.find('\n') + 1)};
  for (const std::string& line : lines) {
    EXPECT_EQ(code_points(line), 12u) << line;  // 5 + ， + 5 + 。
    EXPECT_NE(line.find("，"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace charrnn
