// test_cli_generate.cpp — generate's text options with the real binary: --stop at the boundary
// cases, --prompt-file, --json, --interactive through a pipe; and StopMatcher on its own.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "generate/stop_matcher.h"
#include "test_util.h"

namespace charrnn {
namespace {

using testing::Result;

using testing::kKjv;

class CliGenerate : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::scratch_dir("charrnn_cligen"); }
  void TearDown() override { remove_tree(dir_); }
  std::string gen(const std::string& args) {
    Result r = testing::run_charrnn("generate --model " + kKjv + " " + args, dir_);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
  }
  std::string dir_;
};

TEST(StopMatcher, HoldsBackWhatMayStartAStopStringAndEndsBeforeIt) {
  StopMatcher m({"abc", "xy"});
  EXPECT_EQ(m.push("1"), "1");
  EXPECT_EQ(m.push("a"), "");  // may start "abc"
  EXPECT_EQ(m.push("b"), "");
  EXPECT_EQ(m.push("d"), "abd");  // it did not
  EXPECT_EQ(m.push("x"), "");
  EXPECT_EQ(m.push("y"), "");  // "xy": stop, nothing of it shown
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("z"), "");
  StopMatcher n({"ab"});
  EXPECT_EQ(n.push("a"), "");
  EXPECT_EQ(n.flush(), "a");  // generation ended for another reason: the held text is output
}

TEST_F(CliGenerate, StopEndsTheTextBeforeTheFirstStopString) {
  const std::string base = "--prompt 'And God said' --length 300 --seed 3";
  const std::string full = gen(base);
  const std::string text = full.substr(12);  // after the prompt
  const size_t at = text.find("the");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(gen(base + " --stop the --stop zzzz"), "And God said" + text.substr(0, at));
  EXPECT_EQ(gen(base + " --stop '" + text.substr(0, 1) + "'"), "And God said");  // at the start
  EXPECT_EQ(gen(base + " --stop 'never in a bible'"), full);                     // never found
}

// Stop strings match the generated text only, as OpenAI's stop does: one that would begin in
// the prompt does not end the text.
TEST_F(CliGenerate, AStopStringSpanningThePromptDoesNotEndTheText) {
  const std::string full = gen("--prompt 'And God said' --length 100 --seed 4");
  const std::string spanning = "aid" + full.substr(12, 1);  // the prompt's end + the first symbol
  ASSERT_EQ(full.substr(12).find(spanning), std::string::npos) << "pick another seed";
  EXPECT_EQ(gen("--prompt 'And God said' --length 100 --seed 4 --stop '" + spanning + "'"), full);
}

TEST_F(CliGenerate, APromptFileIsThePrompt) {
  testing::write_text(dir_ + "/p.txt", "And God\nsaid");
  EXPECT_EQ(gen("--prompt-file " + dir_ + "/p.txt --length 60 --seed 2"),
            gen("--prompt 'And God\nsaid' --length 60 --seed 2"));
  Result both = testing::run_charrnn(
      "generate --model " + kKjv + " --prompt x --prompt-file " + dir_ + "/p.txt", dir_);
  EXPECT_EQ(both.code, 2);
}

TEST_F(CliGenerate, JsonGivesOneObjectPerSample) {
  const std::string out =
      gen("--prompt And --length 80 --seed 6 --num-samples 2 --json --stop LORD");
  std::vector<nlohmann::json> lines;
  for (size_t at = 0, end; (end = out.find('\n', at)) != std::string::npos; at = end + 1)
    lines.push_back(nlohmann::json::parse(out.substr(at, end - at)));
  ASSERT_EQ(lines.size(), 2u);
  for (int k = 0; k < 2; ++k) {
    const nlohmann::json& j = lines[size_t(k)];
    EXPECT_EQ(j["seed"], 6 + k);
    EXPECT_EQ("And" + j["text"].get<std::string>(),
              gen("--prompt And --length 80 --stop LORD --seed " + std::to_string(6 + k)));
    EXPECT_TRUE(j["finish_reason"] == "length" || j["finish_reason"] == "stop");
    EXPECT_GT(j["nats_per_char"].get<double>(), 0.2);  // a trained model's surprise at its own text
    EXPECT_LT(j["nats_per_char"].get<double>(), 4.0);
  }
}

TEST_F(CliGenerate, InteractiveAnswersEachLineOfAPipe) {
  Result r = testing::run_charrnn_cmd("printf 'And God said\\nIn the beginning\\n' | " +
                                          std::string(CHARRNN_BIN) + " generate --model " + kKjv +
                                          " --interactive --length 40 --seed 5",
                                      dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string a = gen("--prompt 'And God said' --length 40 --seed 5");
  const std::string b = gen("--prompt 'In the beginning' --length 40 --seed 5");
  EXPECT_EQ(r.out, a + "\n" + b + "\n");  // the same seed gives the same answers
}

}  // namespace
}  // namespace charrnn
