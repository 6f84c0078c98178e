// test_optimizer.cpp — Adam against its formula written out, and global-norm clipping.
#include <gtest/gtest.h>

#include <cmath>

#include "train/optimizer.h"

namespace charrnn {
namespace {

TEST(Adam, MatchesTheFormulaOverTwoSteps) {
  AdamConfig cfg;
  Adam adam(2, cfg);
  std::vector<float> p = {1.0f, -2.0f};
  const std::vector<float> g1 = {0.5f, -0.25f}, g2 = {-1.0f, 2.0f};
  adam.step(p.data(), g1.data(), 0.1f);
  adam.step(p.data(), g2.data(), 0.1f);
  for (int i = 0; i < 2; ++i) {
    double m = 0, v = 0, w = i == 0 ? 1.0 : -2.0;
    for (int t = 1; t <= 2; ++t) {
      const double g = t == 1 ? g1[size_t(i)] : g2[size_t(i)];
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      w -= 0.1 * (m / (1 - std::pow(0.9, t))) / (std::sqrt(v / (1 - std::pow(0.999, t))) + 1e-8);
    }
    EXPECT_NEAR(p[size_t(i)], w, 1e-6);
  }
  EXPECT_EQ(adam.steps(), 2);
}

TEST(Adam, WeightDecayShrinksOnlyTheGivenRanges) {
  AdamConfig cfg;
  cfg.weight_decay = 0.5;
  Adam adam(4, cfg, {{0, 2}});
  std::vector<float> p = {1, 1, 1, 1}, g = {0, 0, 0, 0};  // zero gradient: only decay moves
  adam.step(p.data(), g.data(), 0.1f);
  EXPECT_FLOAT_EQ(p[0], 0.95f);
  EXPECT_FLOAT_EQ(p[1], 0.95f);
  EXPECT_FLOAT_EQ(p[2], 1.0f);
  EXPECT_FLOAT_EQ(p[3], 1.0f);
}

TEST(LrSchedule, WarmupThenCosineToTheFloorByProgress) {
  LrSchedule s{Schedule::cosine, 1.0, 0.1, 10, 0.5, 1000};
  EXPECT_NEAR(s.at(0, 0.0), 0.1, 1e-12);  // warmup: (step + 1) / warmup
  EXPECT_NEAR(s.at(9, 0.09), 1.0, 1e-12);
  EXPECT_NEAR(s.at(10, 0.0), 1.0, 1e-12);   // progress 0: the peak
  EXPECT_NEAR(s.at(60, 0.5), 0.55, 1e-12);  // halfway: the mean of peak and floor
  EXPECT_NEAR(s.at(110, 1.0), 0.1, 1e-12);
  EXPECT_NEAR(s.at(500, 1.7), 0.1, 1e-12);  // past the end: the floor
}

TEST(LrSchedule, StepDecayAndConstantIgnoreProgress) {
  LrSchedule step{Schedule::step, 1.0, 0, 0, 0.5, 100};
  EXPECT_DOUBLE_EQ(step.at(99, 0.9), 1.0);
  EXPECT_DOUBLE_EQ(step.at(100, 0.1), 0.5);
  EXPECT_DOUBLE_EQ(step.at(250, 0.0), 0.25);
  LrSchedule constant;
  EXPECT_DOUBLE_EQ(constant.at(12345, 0.7), constant.lr);
}

TEST(Ema, AveragesWithTheRampedDecay) {
  std::vector<float> ema = {1.0f, -2.0f}, p = {3.0f, 0.5f};
  double ref0 = 1.0, ref1 = -2.0;
  for (int64_t t = 0; t < 12; ++t) {
    const double d = ema_decay_at(0.95, t);
    EXPECT_DOUBLE_EQ(d, std::min(0.95, (1.0 + double(t)) / (10.0 + double(t))));
    ema_update(ema.data(), p.data(), ema.size(), d);
    ref0 = d * ref0 + (1 - d) * double(p[0]);
    ref1 = d * ref1 + (1 - d) * double(p[1]);
    p[0] += 0.25f;  // the weights move; the average trails them
  }
  EXPECT_NEAR(ema[0], ref0, 1e-5);
  EXPECT_NEAR(ema[1], ref1, 1e-5);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.95, 0), 0.1);      // the first update mostly takes the weights
  EXPECT_DOUBLE_EQ(ema_decay_at(0.95, 1000), 0.95);  // then the given decay
}

TEST(Clip, ScalesToTheMaximumNorm) {
  std::vector<float> g = {3.0f, 4.0f};  // norm 5
  EXPECT_NEAR(clip_grad_norm(g.data(), g.size(), 1.0), 5.0, 1e-9);
  EXPECT_NEAR(std::hypot(g[0], g[1]), 1.0, 1e-5);
  EXPECT_NEAR(g[0] / g[1], 0.75, 1e-6);
}

TEST(Clip, LeavesSmallGradientsAlone) {
  std::vector<float> g = {0.3f, 0.4f};
  clip_grad_norm(g.data(), g.size(), 1.0);
  EXPECT_EQ(g[0], 0.3f);
  EXPECT_EQ(g[1], 0.4f);
}

}  // namespace
}  // namespace charrnn
