// test_optimizer.cpp — Adam against its formula written out, and global-norm clipping.
#include <gtest/gtest.h>

#include <cmath>

#include "charrnn/optimizer.h"

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
