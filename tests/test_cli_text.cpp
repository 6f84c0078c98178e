// test_cli_text.cpp — the real binary on awkward text: empty, whitespace-only and too-short
// corpora, a BOM, invalid bytes, corpus directories, grapheme units and a Chinese model.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "base/fsutil.h"
#include "test_util.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

using testing::Result;
using testing::slurp;
using testing::write_text;

class CliText : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::scratch_dir("charrnn_clitext"); }
  void TearDown() override { remove_tree(dir_); }
  Result run(const std::string& args) { return testing::run_charrnn(args, dir_); }
  Result train(const std::string& corpus, const std::string& extra = "") {
    return run("train --corpus " + corpus + " --model " + dir_ + "/m --threads 1 --quiet " + extra);
  }
  std::string dir_;
};

TEST_F(CliText, EmptyCorpusIsAClearError) {
  write_text(dir_ + "/empty.txt", "");
  Result r = train(dir_ + "/empty.txt");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("empty.txt is empty or only whitespace"), std::string::npos) << r.err;
  EXPECT_FALSE(path_exists(dir_ + "/m/model.json"));
}

TEST_F(CliText, WhitespaceOnlyCorpusIsAClearError) {
  write_text(dir_ + "/ws.txt", " \n\t\r\n   \n");
  Result r = train(dir_ + "/ws.txt");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("only whitespace"), std::string::npos) << r.err;
}

TEST_F(CliText, TooShortCorpusGivesTheNumbersAndAHint) {
  write_text(dir_ + "/short.txt", "just a few words\n");
  Result r = train(dir_ + "/short.txt", "--seq 50 --batch 50");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("50 x 50"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: use a longer corpus, or a smaller --seq or --batch"),
            std::string::npos)
      << r.err;
}

TEST_F(CliText, InvalidBytesNameTheirPlaceOrAreReplaced) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "line of text\n";
  text += "bad \xFF byte\n";
  write_text(dir_ + "/bad.txt", text);
  Result r = train(dir_ + "/bad.txt", "--seq 8 --batch 4 --steps 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("byte offset 654 (line 51, column 5)"), std::string::npos) << r.err;
  Result ok = train(dir_ + "/bad.txt", "--seq 8 --batch 4 --steps 2 --on-invalid replace");
  EXPECT_EQ(ok.code, 0) << ok.err;
  auto j = nlohmann::json::parse(slurp(dir_ + "/m/model.json"));
  const auto symbols = j["tokenizer"]["symbols"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(symbols.begin(), symbols.end(), "\xEF\xBF\xBD"), symbols.end());
}

TEST_F(CliText, ByteOrderMarkIsNotASymbol) {
  std::string text = "\xEF\xBB\xBF";
  for (int i = 0; i < 40; ++i) text += "abc abc\n";
  write_text(dir_ + "/bom.txt", text);
  ASSERT_EQ(train(dir_ + "/bom.txt", "--seq 8 --batch 4 --steps 2").code, 0);
  auto j = nlohmann::json::parse(slurp(dir_ + "/m/model.json"));
  EXPECT_EQ(j["architecture"]["vocab_size"], 5);  // a b c space newline
}

TEST_F(CliText, CorpusDirectoryIsReadInNameOrder) {
  make_dirs(dir_ + "/texts/sub");
  std::string a, b;
  for (int i = 0; i < 30; ++i) a += "aaaa\n", b += "bbbb\n";
  write_text(dir_ + "/texts/1.txt", a);
  write_text(dir_ + "/texts/sub/2.txt", b);
  write_text(dir_ + "/texts/.hidden", "zzzz");
  ASSERT_EQ(train(dir_ + "/texts", "--seq 8 --batch 4 --steps 2").code, 0);
  auto j = nlohmann::json::parse(slurp(dir_ + "/m/model.json"));
  EXPECT_EQ(j["corpus"]["bytes"], 300);
  EXPECT_EQ(j["architecture"]["vocab_size"], 3);  // a b newline: the hidden file is skipped
}

TEST_F(CliText, GraphemeUnitIsStoredAndAppliedToPrompts) {
  const std::string flag = "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5";
  std::string text;
  for (int i = 0; i < 60; ++i) text += "go " + flag + " go!\n";
  write_text(dir_ + "/flags.txt", text);
  ASSERT_EQ(
      train(dir_ + "/flags.txt", "--unit grapheme --seq 8 --batch 4 --steps 60 --lr 0.02").code, 0);
  auto j = nlohmann::json::parse(slurp(dir_ + "/m/model.json"));
  EXPECT_EQ(j["tokenizer"]["unit"], "grapheme");
  const auto symbols = j["tokenizer"]["symbols"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(symbols.begin(), symbols.end(), flag), symbols.end());
  Result g = run("generate --model " + dir_ + "/m --prompt 'go " + flag + "' --length 40 --seed 1");
  EXPECT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(find_invalid_utf8(g.out), std::string::npos);  // a flag is never split in half
}

TEST_F(CliText, UnknownSymbolIsNeverGenerated) {
  std::string text;
  for (int i = 0; i < 80; ++i) text += "ab ab ba\n";
  text += "xyz\n";  // once each: below --min-count
  write_text(dir_ + "/rare.txt", text);
  ASSERT_EQ(train(dir_ + "/rare.txt", "--min-count 2 --seq 8 --batch 4 --steps 5").code, 0);
  Result g =
      run("generate --model " + dir_ + "/m --prompt 'ax' --length 3000 --temperature 3 --seed 2");
  ASSERT_EQ(g.code, 0) << g.err;  // 'x' in the prompt maps to <unk>
  EXPECT_EQ(g.out.find(kUnknownSymbol, 2), std::string::npos);
}

TEST_F(CliText, ChineseModelWritesWellFormedPoemLines) {
  const std::string poems = "/usr/share/games/fortunes/tang300";
  if (!path_exists(poems)) GTEST_SKIP() << "fortunes-zh is not installed (make deps installs it)";
  // As corpora/prepare.sh does: drop the ANSI colour escapes and the '%' separator lines.
  const std::string cleaned =
      std::regex_replace(std::regex_replace(slurp(poems), std::regex("\x1b\\[[0-9;]*m"), ""),
                         std::regex("\n%\n"), "\n\n");
  write_text(dir_ + "/tang.txt", cleaned);
  ASSERT_EQ(run("train --corpus " + dir_ + "/tang.txt --model " + dir_ +
                "/tang --layers 1 --hidden 96 --seq 32 --batch 16 --steps 150 --lr 0.01 --threads "
                "1 --quiet")
                .code,
            0);
  Result g = run("generate --model " + dir_ +
                 "/tang --prompt '床前明月光，' --length 120 --seed 4 --temperature 0.7");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(find_invalid_utf8(g.out), std::string::npos);
  EXPECT_EQ(g.out.rfind("床前明月光，", 0), 0u);
  EXPECT_NE(g.out.find("。"), std::string::npos) << g.out;  // the model learned to end lines
  EXPECT_EQ(g.out.find("\x1b"), std::string::npos);
}

}  // namespace
}  // namespace charrnn

namespace charrnn {
namespace {

// --script simplified: a corpus in traditional characters trains a model of simplified ones,
// and a prompt typed in traditional characters works.
TEST(CliScript, ATraditionalCorpusTrainsASimplifiedModelAndTraditionalPromptsWork) {
  const std::string dir = testing::scratch_dir("charrnn_script");
  std::string text;
  for (int i = 0; i < 120; ++i) text += "春眠不覺曉，處處聞啼鳥。\n夜來風雨聲，花落知多少。\n\n";
  testing::write_text(dir + "/poems.txt", text);
  testing::Result t =
      testing::run_charrnn("train --corpus " + dir + "/poems.txt --model " + dir +
                               "/m --script simplified --layers 1 --hidden 32 --embed 16 "
                               "--seq 16 --batch 4 --steps 20 --eval-every 10 --threads 1 --quiet",
                           dir);
  ASSERT_EQ(t.code, 0) << t.err;
  const std::string model = testing::slurp(dir + "/m/model.json");
  EXPECT_NE(model.find("\"script\": \"simplified\""), std::string::npos);
  EXPECT_NE(model.find("\"觉\""), std::string::npos);
  EXPECT_EQ(model.find("\"覺\""), std::string::npos);  // no traditional symbol in the vocabulary
  testing::Result g =
      testing::run_charrnn("generate --model " + dir + "/m --prompt 處處 --length 10", dir);
  ASSERT_EQ(g.code, 0) << g.err;
  remove_tree(dir);
}

}  // namespace
}  // namespace charrnn
