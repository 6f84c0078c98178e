// test_sampler.cpp — determinism, greedy decoding, top-k, top-p and the sampled distribution.
#include <gtest/gtest.h>

#include <cmath>

#include "charrnn/error.h"
#include "generate/sampler.h"

namespace charrnn {
namespace {

const std::vector<float> kLogits = {0.1f, 2.0f, -1.0f, 1.5f, 0.7f, -0.3f, 1.9f};

std::vector<int> draw(SampleConfig cfg, int n) {
  Sampler s(int(kLogits.size()), cfg);
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(s.sample(kLogits.data()));
  return out;
}

TEST(Sampler, SameSeedSameSequence) {
  SampleConfig cfg;
  cfg.seed = 9;
  EXPECT_EQ(draw(cfg, 200), draw(cfg, 200));
  SampleConfig other = cfg;
  other.seed = 10;
  EXPECT_NE(draw(cfg, 200), draw(other, 200));
}

TEST(Sampler, TopKOneIsGreedy) {
  SampleConfig cfg;
  cfg.top_k = 1;
  for (int id : draw(cfg, 50)) EXPECT_EQ(id, 1);
}

TEST(Sampler, TemperatureZeroIsGreedy) {
  SampleConfig cfg;
  cfg.temperature = 0;
  for (int id : draw(cfg, 50)) EXPECT_EQ(id, 1);
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikely) {
  SampleConfig cfg;
  cfg.top_k = 3;  // ids 1 (2.0), 6 (1.9), 3 (1.5)
  for (int id : draw(cfg, 500)) EXPECT_TRUE(id == 1 || id == 6 || id == 3) << id;
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
  SampleConfig cfg;
  cfg.top_p = 0.05f;  // the single most likely symbol already holds more than 5%
  for (int id : draw(cfg, 100)) EXPECT_EQ(id, 1);
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  SampleConfig cfg;
  cfg.seed = 1;
  const int n = 40000;
  std::vector<int> counts(kLogits.size(), 0);
  for (int id : draw(cfg, n)) ++counts[size_t(id)];
  double z = 0;
  for (float l : kLogits) z += std::exp(double(l));
  for (size_t v = 0; v < kLogits.size(); ++v) {
    const double p = std::exp(double(kLogits[v])) / z;
    const double sd = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(double(counts[v]) / n, p, 5 * sd) << "id " << v;
  }
}

TEST(Sampler, BadSettingsAreUsageErrors) {
  SampleConfig cfg;
  cfg.top_p = 0;
  EXPECT_THROW(validate_sample_config(cfg), Error);
  cfg = {};
  cfg.temperature = -1;
  EXPECT_THROW(validate_sample_config(cfg), Error);
  cfg = {};
  cfg.temperature = std::nanf("");
  EXPECT_THROW(validate_sample_config(cfg), Error);
}

}  // namespace
}  // namespace charrnn
