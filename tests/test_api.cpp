// test_api.cpp — the public API (include/charrnn/charrnn.h) on its own, against the charrnn
// binary where both can do the same thing, and its error cases.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "base/openmp.h"
#include "charrnn/charrnn.h"
#include "test_util.h"

namespace charrnn {
namespace {

using testing::error_of;
using testing::Result;

using testing::kKjv;

class Api : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::scratch_dir("charrnn_api"); }
  void TearDown() override { remove_tree(dir_); }
  Result run(const std::string& args) { return testing::run_charrnn(args, dir_); }
  std::string dir_;
};

TEST_F(Api, TheRuntimeVersionIsTheHeadersVersion) {
  EXPECT_STREQ(version(), CHARRNN_VERSION_STRING);
  EXPECT_EQ(std::string(version()), std::to_string(CHARRNN_VERSION_MAJOR) + "." +
                                        std::to_string(CHARRNN_VERSION_MINOR) + "." +
                                        std::to_string(CHARRNN_VERSION_PATCH));
}

TEST_F(Api, AModelIsFoundByNameOnTheSearchPath) {
  ::setenv("CHARRNN_MODEL_PATH", (dir_ + "/nowhere:" + CHARRNN_MODELS_DIR).c_str(), 1);
  EXPECT_EQ(locate_model("kjv-small"), std::string(CHARRNN_MODELS_DIR) + "/kjv-small");
  const Model m = Model::open("kjv-small");
  ::unsetenv("CHARRNN_MODEL_PATH");
  EXPECT_EQ(m.card().name, "kjv-small");
  EXPECT_EQ(m.card().cell, "lstm");
  EXPECT_EQ(m.card().vocab, int(m.card().symbols.size()));
  EXPECT_FALSE(m.card().history.empty());
  EXPECT_EQ(nlohmann::json::parse(m.card().json)["format"], "charrnn-checkpoint");
}

TEST_F(Api, AnUnknownModelNameSaysWhereItLooked) {
  ::setenv("CHARRNN_MODEL_PATH", (dir_ + "/a:" + dir_ + "/b").c_str(), 1);
  const Error e = error_of([] { Model::open("no-such-model"); });
  ::unsetenv("CHARRNN_MODEL_PATH");
  EXPECT_EQ(e.kind(), Error::Kind::runtime);
  EXPECT_NE(std::string(e.what()).find("no model 'no-such-model'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(dir_ + "/a, " + dir_ + "/b"), std::string::npos) << e.what();
}

TEST_F(Api, GenerateStreamsTheSameTextAsTheCommand) {
  const Model m = Model::open(kKjv);
  SampleOptions o;
  o.temperature = 0.8;
  o.top_k = 20;
  o.seed = 7;
  std::string streamed;
  const Generation g = m.generate("And God said", 150, o, [&](const std::string& s) {
    streamed += s;
    return true;
  });
  EXPECT_EQ(g.text, streamed);
  EXPECT_EQ(g.symbols, 150);
  EXPECT_EQ(g.finish_reason, "length");
  Result r = run("generate --model " + kKjv +
                 " --prompt 'And God said' --length 150 --temperature 0.8 --top-k 20 --seed 7");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "And God said" + g.text);
}

TEST_F(Api, ACallbackReturningFalseStopsAfterThatSymbol) {
  const Model m = Model::open(kKjv);
  int calls = 0;
  const Generation g =
      m.generate("In the beginning", 100, {}, [&](const std::string&) { return ++calls < 5; });
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(g.symbols, 5);
  EXPECT_EQ(g.finish_reason, "stopped");
}

// OpenMP keeps a team size per thread: a count set on one thread must still reach a call made
// on another (a server's worker, a Python thread), where OpenMP would start at its default.
TEST_F(Api, SetThreadsReachesCallsMadeOnOtherThreads) {
  const Model m = Model::open(kKjv);
  const int before = omp_get_max_threads();
  int fresh = 0;  // what a new thread starts with: the count must differ from it
  std::thread([&] { fresh = omp_get_max_threads(); }).join();
  const int wanted = fresh + 1;
  set_threads(wanted);
  int seen = -1;
  std::thread caller([&] {
    m.generate("And", 2, {}, [&](const std::string&) {
      seen = omp_get_max_threads();  // the callback runs on the calling thread
      return true;
    });
  });
  caller.join();
  EXPECT_EQ(seen, wanted);
  set_threads(before);
}

TEST_F(Api, SampleKOfABatchEqualsASingleGenerationWithSeedPlusK) {
  const Model m = Model::open(kKjv);
  SampleOptions o;
  o.seed = 3;
  const std::vector<Generation> batch = m.generate_n("And", 80, 3, o);
  ASSERT_EQ(batch.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    SampleOptions ok = o;
    ok.seed = o.seed + uint64_t(k);
    EXPECT_EQ(batch[size_t(k)].text, m.generate("And", 80, ok).text) << "sample " << k;
  }
  EXPECT_NE(batch[0].text, batch[1].text);  // independent samples
}

TEST_F(Api, ScoreEqualsTheEvalCommand) {
  const std::string text = "And God said, Let there be light: and there was light.\n";
  testing::write_text(dir_ + "/t.txt", text);
  const Score s = Model::open(kKjv).score(text, {4, 16});
  Result r = run("eval --model " + kKjv + " --text " + dir_ + "/t.txt --batch 4 --seq 16 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(s.nats_per_char, j["nats_per_char"].get<double>(), 1e-9);
  EXPECT_EQ(s.predicted, j["predicted"].get<int64_t>());
  EXPECT_NEAR(s.bits_per_char, s.nats_per_char / std::log(2.0), 1e-12);
  EXPECT_NEAR(s.perplexity, std::exp(s.nats_per_char), 1e-9);
}

// The id of each symbol of an ASCII text, by the model's vocabulary.
std::vector<int> ids_of(const Model& m, const std::string& text) {
  const std::vector<std::string>& symbols = m.card().symbols;
  std::vector<int> ids;
  for (char ch : text) {
    const auto it = std::find(symbols.begin(), symbols.end(), std::string(1, ch));
    EXPECT_NE(it, symbols.end()) << "the model has no symbol '" << ch << "'";
    ids.push_back(it == symbols.end() ? 0 : int(it - symbols.begin()));
  }
  return ids;
}

TEST_F(Api, ACursorFedTextEqualsOneFedItsIdsOneByOne) {
  const Model m = Model::open(kKjv);
  const std::string text = "nd God said";
  Model::Cursor by_text = m.start("A");
  by_text.feed(text);
  Model::Cursor by_id = m.start("A");
  for (int id : ids_of(m, text)) by_id.feed(id);
  EXPECT_EQ(by_text.position(), 1 + int64_t(text.size()));
  EXPECT_EQ(by_id.position(), by_text.position());
  EXPECT_EQ(by_id.logits(), by_text.logits());
}

TEST_F(Api, ACursorsLogitsScoreATextAsScoreDoes) {
  const Model m = Model::open(kKjv);
  const std::string text = "And God said, Let there be light.";
  const std::vector<int> ids = ids_of(m, text);
  Model::Cursor cursor = m.start(text.substr(0, 1));
  double nats = 0;
  for (size_t i = 1; i < ids.size(); ++i) {
    const std::vector<float>& z = cursor.logits();
    const double top = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (float v : z) sum += std::exp(double(v) - top);
    nats += top + std::log(sum) - double(z[size_t(ids[i])]);
    cursor.feed(ids[i]);
  }
  const Score s = m.score(text, {1, int(text.size())});
  EXPECT_EQ(s.predicted, int64_t(text.size()) - 1);
  EXPECT_NEAR(nats / double(ids.size() - 1), s.nats_per_char, 1e-4);
}

TEST_F(Api, ABadSettingIsAUsageErrorNamingTheField) {
  const Model m = Model::open(kKjv);
  SampleOptions hot;
  hot.temperature = -1;
  Error e = error_of([&] { m.generate("And", 10, hot); });
  EXPECT_EQ(e.kind(), Error::Kind::usage);
  EXPECT_EQ(e.field(), "temperature");
  EXPECT_EQ(std::string(e.what()).rfind("temperature must be between 0 and 100", 0), 0u)
      << e.what();
  SampleOptions wide;
  wide.top_p = 2;
  EXPECT_EQ(error_of([&] { m.generate("And", 10, wide); }).field(), "top_p");
  EXPECT_EQ(error_of([&] { m.generate("And", -1); }).field(), "length");
  EXPECT_EQ(error_of([&] { m.score("And God", {0, 10}); }).field(), "batch");
  EXPECT_EQ(error_of([&] { Model::open(kKjv, {"newest", "f32"}); }).field(), "weights");
}

TEST_F(Api, APromptSymbolMissingFromTheVocabularyIsNamed) {
  const Error e = error_of([] { Model::open(kKjv).generate("And \xE6\x98\xA5", 10); });  // 春
  EXPECT_EQ(e.kind(), Error::Kind::runtime);
  EXPECT_NE(std::string(e.what()).find("not in the model's vocabulary"), std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("\xE6\x98\xA5"), std::string::npos) << e.what();
}

TEST_F(Api, TrainFromCodeReportsProgressAndSavesAModelThatGenerates) {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "the quick brown fox jumps over the lazy dog " + std::to_string(i % 9) + "\n";
  testing::write_text(dir_ + "/c.txt", text);
  TrainOptions o;
  o.corpus = {dir_ + "/c.txt"};
  o.model_dir = dir_ + "/m";
  o.layers = 1;
  o.hidden = 32;
  o.embed = 16;
  o.seq = 16;
  o.batch = 8;
  o.steps = 30;
  o.eval_every = 15;
  int steps = 0, evals = 0;
  const TrainSummary s = train(o, [&](const TrainProgress& p) {
    steps += p.kind == TrainProgress::Kind::step;
    evals += p.kind == TrainProgress::Kind::eval;
  });
  EXPECT_EQ(s.steps, 30);
  EXPECT_EQ(evals, 2);
  EXPECT_GT(steps, 0);
  EXPECT_FALSE(std::isnan(s.best_val_loss));
  const Model m = Model::open(o.model_dir);
  EXPECT_EQ(m.card().steps, 30);
  EXPECT_EQ(m.generate("the", 20).symbols, 20);
  o.resume = true;  // resume from code: the checkpoint's settings, a new step limit
  o.steps = 40;
  EXPECT_EQ(train(o).steps, 40);
}

TEST_F(Api, TrainingRefusesBadSettingsByField) {
  TrainOptions o;
  o.corpus = {dir_ + "/c.txt"};
  o.model_dir = dir_ + "/m";
  o.seq = -1;  // 0 leaves it to the preset
  const Error e = error_of([&] { train(o); });
  EXPECT_EQ(e.kind(), Error::Kind::usage);
  EXPECT_EQ(e.field(), "seq");
}

}  // namespace
}  // namespace charrnn
