// test_beam.cpp — beam search against exhaustive search at a tiny vocabulary and length (when
// the beam holds every sequence they must agree), against greedy decoding at width 1, and the
// CLI's --beam.
#include <gtest/gtest.h>

#include <cmath>

#include "generate/beam.h"
#include "generate/generator.h"
#include "test_util.h"

namespace charrnn {
namespace {

ModelConfig tiny(int V) {
  ModelConfig c;
  c.layers = 2;
  c.hidden = 7;
  c.embed = 5;
  c.vocab = V;
  return c;
}

// log p of `seq` after `prompt`, step by step (the naive reference).
double log_prob(const ModelConfig& c, const std::vector<float>& params,
                const std::vector<int32_t>& prompt, const std::vector<int32_t>& seq) {
  Net net(c, 1, 1, Net::Mode::infer, params.data(), nullptr);
  net.reset_state();
  std::vector<int32_t> all = prompt;
  all.insert(all.end(), seq.begin(), seq.end());
  double lp = 0;
  for (size_t t = 0; t + 1 < all.size(); ++t) {
    net.forward(&all[t], nullptr, nullptr);
    net.carry_state();
    if (t + 1 < prompt.size()) continue;
    const float* row = net.logits();
    double mx = row[0], sum = 0;
    for (int v = 1; v < c.vocab; ++v) mx = std::max(mx, double(row[v]));
    for (int v = 0; v < c.vocab; ++v) sum += std::exp(double(row[v]) - mx);
    lp += double(row[all[t + 1]]) - mx - std::log(sum);
  }
  return lp;
}

TEST(Beam, AWideEnoughBeamFindsWhatExhaustiveSearchFinds) {
  for (uint64_t seed : {1, 2, 3}) {
    const ModelConfig c = tiny(3);
    std::vector<float> params(parameter_count(c));
    init_parameters(c, params.data(), seed);
    for (auto& p : params) p *= 4;  // sharper distributions: a real search problem
    const std::vector<int32_t> prompt = {1, 0};
    const int length = 4;
    double best = -INFINITY;
    std::vector<int32_t> best_seq;
    for (int code = 0; code < 81; ++code) {  // all 3^4 sequences
      std::vector<int32_t> seq;
      for (int t = 0, x = code; t < length; ++t, x /= 3) seq.insert(seq.begin(), x % 3);
      const double lp = log_prob(c, params, prompt, seq);
      if (lp > best) best = lp, best_seq = seq;
    }
    const BeamResult r = beam_search_ids(c, params.data(), prompt, length, 81);
    EXPECT_EQ(r.ids, best_seq) << "seed " << seed;
    EXPECT_NEAR(r.log_prob, best, 1e-5);
  }
}

TEST(Beam, WidthOneIsGreedy) {
  const ModelConfig c = tiny(11);
  std::vector<float> params(parameter_count(c));
  init_parameters(c, params.data(), 9);
  const std::vector<int32_t> prompt = {3, 4, 5};
  Generator gen(c, params.data(), 1);
  SampleOptions greedy;
  greedy.temperature = 0;
  std::vector<std::string> symbols;  // one letter per id: the text spells the ids
  for (int v = 0; v < c.vocab; ++v) symbols.push_back(std::string(1, char('a' + v)));
  std::vector<RowDecoder> rows;
  rows.emplace_back(greedy, symbols, -1, 30, prompt);
  std::string text;
  gen.generate(prompt, rows, [&](int, const std::string& piece) {
    text += piece;
    return true;
  });
  std::vector<int32_t> ids;
  for (char ch : text) ids.push_back(ch - 'a');
  EXPECT_EQ(beam_search_ids(c, params.data(), prompt, 30, 1).ids, ids);
}

TEST(Beam, TheCommandIsDeterministicAndRefusesSamplingFlags) {
  const std::string dir = testing::scratch_dir("charrnn_beam");
  const std::string args = "generate --model " + std::string(CHARRNN_MODELS_DIR) +
                           "/kjv-small --prompt 'And God' --length 60 --beam 4";
  testing::Result a = testing::run_charrnn(args, dir), b = testing::run_charrnn(args, dir);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out.size(), 7u + 60u);  // ASCII vocabulary
  const std::string model = "generate --model " + std::string(CHARRNN_MODELS_DIR) +
                            "/kjv-small --prompt 'And God' --length 60";
  EXPECT_EQ(testing::run_charrnn(model + " --beam 1", dir).out,
            testing::run_charrnn(model + " --temperature 0", dir).out);
  // A wider beam finds text at least as likely as greedy's: score both with eval.
  testing::write_text(dir + "/beam.txt", a.out);
  testing::write_text(dir + "/greedy.txt",
                      testing::run_charrnn(model + " --temperature 0", dir).out);
  auto nats = [&](const std::string& file) {
    const std::string out =
        testing::run_charrnn("eval --model " + std::string(CHARRNN_MODELS_DIR) +
                                 "/kjv-small --batch 1 --seq 1000 --json --text " + dir + "/" +
                                 file,
                             dir)
            .out;
    return std::stod(out.substr(out.find("\"nats_per_char\":") + 16));
  };
  EXPECT_LE(nats("beam.txt"), nats("greedy.txt") + 1e-9);
  testing::Result t = testing::run_charrnn(args + " --temperature 0.5", dir);
  EXPECT_EQ(t.code, 2);
  EXPECT_NE(t.err.find("--beam is deterministic; --temperature does not apply"), std::string::npos)
      << t.err;
  remove_tree(dir);
}

}  // namespace
}  // namespace charrnn
