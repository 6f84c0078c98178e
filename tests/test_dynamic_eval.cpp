// test_dynamic_eval.cpp — dynamic evaluation (train/dynamic_eval.h) against a naive reference at
// tiny odd sizes: the double-precision model of reference.h, gradients by central finite
// differences, the same update rule written out in full. Both score the same text; their nats
// per symbol must agree to 1e-5. The CLI's --dynamic runs the real binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/rng.h"
#include "charrnn/charrnn.h"
#include "charrnn/error.h"
#include "reference.h"
#include "test_util.h"
#include "train/dynamic_eval.h"

namespace charrnn {
namespace {

struct Tiny {
  ModelConfig c;
  std::vector<float> params_p, ms_p;
  std::vector<int32_t> ids;
  Tiny() {
    c.vocab = 7;
    c.embed = 5;
    c.hidden = 6;
    c.layers = 2;
    params_p.resize(parameter_count(c));
    init_parameters(c, params_p.data(), 11);
    Rng rng(5);
    for (float& p : params_p) p += float(rng.uniform(-0.2, 0.2));
    for (size_t p = 0; p < params_p.size(); ++p) ms_p.push_back(float(rng.uniform(1e-4, 4e-2)));
    // A text with structure to adapt to: a repeated phrase with some noise, 40 symbols.
    for (int i = 0; i < 40; ++i)
      ids.push_back(i % 9 == 4 ? int32_t(rng.next_u64() % 7) : int32_t((i % 9) % 7));
  }
};

// The mean loss of one segment (N = 1) from state (h, c) under parameters p.
double segment_mean_loss(const ModelConfig& c, const std::vector<double>& p, const int32_t* x,
                         const int32_t* y, int S, const std::vector<double>& h,
                         const std::vector<double>& cs, int count) {
  return testing::reference_forward(c, p, S, 1, x, y, h, cs).loss / count;
}

// Dynamic evaluation written out naively in double; `ms` empty: the running mean of the squared
// gradients. Returns nats per scored symbol.
double reference_dynamic(const Tiny& k, const std::vector<double>& ms, const DynamicEvalConfig& d) {
  const int S = d.segment, L = k.c.layers, H = k.c.hidden;
  const size_t P = k.params_p.size(), n = k.ids.size();
  const std::vector<double> theta0(k.params_p.begin(), k.params_p.end());
  std::vector<double> theta = theta0, run(P, 0.0), g(P);
  std::vector<double> h(size_t(L) * H, 0.0), cs(h);
  double nats = 0;
  int64_t count = 0, seen = 0;
  for (size_t at = 0; at + 1 < n; at += size_t(S)) {
    const int len = int(std::min(size_t(S), n - 1 - at));
    std::vector<int32_t> x(size_t(S), 0), y(size_t(S), -1);
    for (int t = 0; t < len; ++t) {
      x[size_t(t)] = k.ids[at + size_t(t)];
      y[size_t(t)] = k.ids[at + size_t(t) + 1];
    }
    const auto out = testing::reference_forward(k.c, theta, S, 1, x.data(), y.data(), h, cs);
    nats += out.loss;
    count += len;
    if (at + size_t(len) + 1 >= n) break;
    for (size_t p = 0; p < P; ++p) {  // central differences of the segment's mean loss
      const double e = 1e-5, keep = theta[p];
      theta[p] = keep + e;
      const double up = segment_mean_loss(k.c, theta, x.data(), y.data(), S, h, cs, len);
      theta[p] = keep - e;
      const double down = segment_mean_loss(k.c, theta, x.data(), y.data(), S, h, cs, len);
      theta[p] = keep;
      g[p] = (up - down) / (2 * e);
    }
    ++seen;
    std::vector<double> rms(P);
    double mean = 0;
    for (size_t p = 0; p < P; ++p) {
      if (ms.empty()) run[p] = (run[p] * double(seen - 1) + g[p] * g[p]) / double(seen);
      rms[p] = std::sqrt(ms.empty() ? run[p] : ms[p]);
      mean += rms[p] / double(P);
    }
    for (size_t p = 0; p < P; ++p) {
      const double rate = std::min(1.0, d.decay * rms[p] / mean);
      theta[p] += -d.step * g[p] / (rms[p] + d.eps) + rate * (theta0[p] - theta[p]);
    }
    h = out.hT_lnh;
    cs = out.cT_lnh;
  }
  return nats / double(count);
}

double static_nats(const Tiny& k) {
  const std::vector<double> p(k.params_p.begin(), k.params_p.end());
  const int T = int(k.ids.size()) - 1;
  return testing::reference_forward(k.c, p, T, 1, k.ids.data(), k.ids.data() + 1).loss / T;
}

TEST(DynamicEval, WithAdamsMeanSquaresItMatchesTheReferenceTo1e5) {
  const Tiny k;
  const DynamicEvalConfig d{7, 3e-2, 0.05, 1e-8};
  const auto r = dynamic_evaluate(k.c, k.params_p, k.ms_p, k.ids.data(), k.ids.size(), d);
  const double ref = reference_dynamic(k, {k.ms_p.begin(), k.ms_p.end()}, d);
  EXPECT_TRUE(r.adam_ms);
  EXPECT_EQ(r.count, int64_t(k.ids.size()) - 1);
  EXPECT_NEAR(r.nats / double(r.count), ref, 1e-5);
  EXPECT_GT(std::abs(ref - static_nats(k)), 1e-2) << "the updates must change the score";
}

TEST(DynamicEval, WithoutMomentsTheTextsOwnMeanSquaresMatchTheReferenceTo1e5) {
  const Tiny k;
  const DynamicEvalConfig d{5, 2e-2, 0.02, 1e-8};
  const auto r = dynamic_evaluate(k.c, k.params_p, {}, k.ids.data(), k.ids.size(), d);
  const double ref = reference_dynamic(k, {}, d);
  EXPECT_FALSE(r.adam_ms);
  EXPECT_NEAR(r.nats / double(r.count), ref, 1e-5);
  EXPECT_GT(std::abs(ref - static_nats(k)), 1e-2) << "the updates must change the score";
}

TEST(DynamicEval, AStepOfZeroScoresLikeStaticEvaluationInOneStream) {
  const Tiny k;
  const auto r =
      dynamic_evaluate(k.c, k.params_p, k.ms_p, k.ids.data(), k.ids.size(), {6, 0.0, 0.0, 1e-8});
  EXPECT_NEAR(r.nats / double(r.count), static_nats(k), 1e-5);
}

TEST(DynamicEval, AdamsSecondMomentsAreBiasCorrected) {
  const auto ms = adam_mean_squares({0.5f, 2.0f}, 1, 0.999);
  EXPECT_NEAR(ms[0], 500.0, 1e-3);
  EXPECT_NEAR(ms[1], 2000.0, 1e-2);
}

TEST(DynamicEval, ASegmentOfZeroIsAnErrorNamingTheField) {
  const Tiny k;
  try {
    dynamic_evaluate(k.c, k.params_p, {}, k.ids.data(), k.ids.size(), {0, 1e-3, 0, 1e-8});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "segment");
  }
}

// DIR/corpus.txt (a repeated pair of sentences) and DIR/m, a tiny model trained 30 steps on it
// with its Adam moments.
testing::Result train_tiny(const std::string& dir) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "the cat sat on the mat. the dog sat on the log.\n";
  testing::write_text(dir + "/corpus.txt", text);
  return testing::run_charrnn("train --corpus " + dir + "/corpus.txt --model " + dir +
                                  "/m --layers 1 --hidden 16 --embed 8 --seq 20 --batch 4 "
                                  "--steps 30 --threads 1 --quiet",
                              dir);
}

TEST(DynamicEvalCli, EvalDynamicPrintsBothScoresAndWhereTheMeanSquaresCameFrom) {
  using namespace testing;
  const std::string dir = scratch_dir("charrnn_dyneval");
  Result r = train_tiny(dir);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_charrnn("eval --model " + dir + "/m --text " + dir +
                      "/corpus.txt --dynamic --segment 20 --step 1e-3 --json --threads 1",
                  dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dynamic"]["statistics"], "adam");
  EXPECT_EQ(j["dynamic"]["predicted"], j["predicted"]);
  EXPECT_LT(j["dynamic"]["nats_per_char"].get<double>(), j["nats_per_char"].get<double>());
  // A shipped model keeps only its weights: the mean squares then come from the text.
  r = run_charrnn("eval --model " + std::string(CHARRNN_MODELS_DIR) + "/kjv-small --text " + dir +
                      "/corpus.txt --dynamic --json --threads 1",
                  dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["dynamic"]["statistics"], "text");
  EXPECT_EQ(nlohmann::json::parse(r.out)["dynamic"]["step"], 3e-4);
  r = run_charrnn("eval --model " + dir + "/m --text " + dir + "/corpus.txt --dynamic --segment 0",
                  dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("segment"), std::string::npos) << r.err;
}

TEST(DynamicEvalCli, AModelAdaptedToAPromptPredictsItBetterAndGenerateAdaptRuns) {
  using namespace testing;
  const std::string dir = scratch_dir("charrnn_adapt");
  Result r = train_tiny(dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const Model model = Model::open(dir + "/m");
  const std::string prompt = "the dog sat on the mat. the cat sat on the log.\n";
  const Model adapted = model.adapted(prompt, {true, 10, 1e-3, 0});
  EXPECT_LT(adapted.score(prompt).nats_per_char, model.score(prompt).nats_per_char);
  r = run_charrnn("generate --model " + dir + "/m --prompt 'the dog' --adapt --length 20", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("the dog", 0), 0u) << r.out;
  r = run_charrnn("generate --model " + dir + "/m --adapt --interactive", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--adapt"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace charrnn
