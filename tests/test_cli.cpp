// test_cli.cpp — the real charrnn binary end to end: train a tiny model on a repetitive text
// until its loss is far below the unigram entropy, then generate, inspect and eval it; and
// the exit codes and messages of bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

#include "base/fsutil.h"
#include "test_util.h"

namespace charrnn {
namespace {

using testing::Result;
using testing::slurp;

class Cli : public ::testing::Test {
 protected:
  static std::string dir_, corpus_, model_;

  static Result run(const std::string& args) { return testing::run_charrnn(args, dir_); }

  static void SetUpTestSuite() {
    dir_ = testing::fresh_dir("charrnn_cli");
    remove_tree(dir_);
    make_dirs(dir_);
    corpus_ = dir_ + "/fox.txt";
    std::ofstream f(corpus_);
    for (int i = 0; i < 300; ++i) f << "the quick brown fox jumps over the lazy dog.\n";
    f.close();
    model_ = dir_ + "/fox";
    Result r = run("train --corpus " + corpus_ + " --model " + model_ +
                   " --layers 1 --hidden 48 --embed 16 --seq 32 --batch 8 --lr 0.01 --steps 300"
                   " --eval-every 100 --threads 1 --seed 5");
    ASSERT_EQ(r.code, 0) << r.out << r.err;
  }
  static void TearDownTestSuite() { remove_tree(dir_); }

  static nlohmann::json model_json() {
    return nlohmann::json::parse(slurp(model_ + "/model.json"));
  }
};
std::string Cli::dir_, Cli::corpus_, Cli::model_;

double unigram_entropy(const std::string& text) {
  std::map<char, double> counts;
  for (char c : text) counts[c] += 1;
  double h = 0;
  for (auto& [c, n] : counts) h -= n / double(text.size()) * std::log(n / double(text.size()));
  return h;
}

TEST_F(Cli, TrainingLearnsFarBelowUnigramEntropy) {
  const double best = model_json()["best"]["val_loss"].get<double>();
  const double unigram = unigram_entropy(slurp(corpus_));
  EXPECT_LT(best, 0.2 * unigram) << "best " << best << " unigram " << unigram;
}

TEST_F(Cli, CheckpointHasTheDocumentedFiles) {
  for (const char* f :
       {"model.json", "weights.safetensors", "last.safetensors", "optimizer.safetensors"})
    EXPECT_TRUE(path_exists(model_ + "/" + f)) << f;
  auto j = model_json();
  EXPECT_EQ(j["format"], "charrnn-checkpoint");
  EXPECT_EQ(j["history"].size(), 3u);
}

TEST_F(Cli, GreedyGenerationContinuesThePattern) {
  Result r =
      run("generate --model " + model_ + " --prompt 'the quick' --length 30 --temperature 0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("the quick brown fox jumps over", 0), 0u) << r.out;
}

TEST_F(Cli, SameSeedSameText) {
  Result a = run("generate --model " + model_ + " --length 200 --seed 7 --temperature 1.5");
  Result b = run("generate --model " + model_ + " --length 200 --seed 7 --temperature 1.5");
  Result c = run("generate --model " + model_ + " --length 200 --seed 8 --temperature 1.5");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  EXPECT_EQ(a.out.size(), 200u);  // ASCII corpus: one byte per symbol, no prompt given
}

TEST_F(Cli, InspectSummarizesTheCheckpoint) {
  Result r = run("inspect " + model_);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* s : {"1 layer x 48 hidden", "vocabulary     29 symbols", "step 300", "bits/char",
                        "fox.txt", "history"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  Result j = run("inspect " + model_ + " --json");
  EXPECT_EQ(nlohmann::json::parse(j.out)["architecture"]["hidden"], 48);
}

TEST_F(Cli, EvalReportsNatsBitsAndPerplexity) {
  Result r = run("eval --model " + model_ + " --text " + corpus_ + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  const double nats = j["nats_per_char"];
  EXPECT_LT(nats, 0.5);
  EXPECT_NEAR(j["bits_per_char"].get<double>(), nats / std::log(2.0), 1e-9);
  EXPECT_NEAR(j["perplexity"].get<double>(), std::exp(nats), 1e-9);
  EXPECT_EQ(j["predicted"], 300 * 45 - 1);
}

TEST_F(Cli, UnknownPromptSymbolIsNamed) {
  Result r = run("generate --model " + model_ + " --prompt 'the Zebra'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("'Z'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
}

TEST_F(Cli, UnknownFlagExits2) {
  Result r = run("train --corpus " + corpus_ + " --model " + dir_ + "/x --no-such-flag");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no-such-flag"), std::string::npos) << r.err;
}

TEST_F(Cli, BadValuesExit2) {
  for (const char* bad :
       {"--hidden 0", "--lr -1", "--lr nan", "--seq 0", "--val-frac 1", "--layers x"}) {
    Result r = run("train --corpus " + corpus_ + " --model " + dir_ + "/bad " + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n') >= 1, true);
  }
  EXPECT_EQ(run("generate --model " + model_ + " --top-p 0").code, 2);
  EXPECT_EQ(run("generate --model " + model_ + " --length -5").code, 2);
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("frobnicate").code, 2);
}

TEST_F(Cli, MissingCorpusExits1WithItsPath) {
  Result r = run("train --corpus " + dir_ + "/nope.txt --model " + dir_ + "/m");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nope.txt"), std::string::npos) << r.err;
}

TEST_F(Cli, ExistingCheckpointIsNotOverwrittenWithoutForce) {
  const std::string before = slurp(model_ + "/weights.safetensors");
  Result r = run("train --corpus " + corpus_ + " --model " + model_ + " --steps 1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(model_ + "/weights.safetensors"), before);
}

TEST_F(Cli, HelpListsGroupedOptions) {
  Result r = run("train --help");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"Data:", "Model:", "Optimization:", "Output:", "--corpus", "--minutes"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

}  // namespace
}  // namespace charrnn
