// test_xent.cpp — the softmax cross-entropy kernels (nn/xent.h): the plain kernel against a
// double-precision naive reference, the AVX-512 kernel against the plain one, at odd sizes
// (tails of 16-float vectors) with unscored rows, wide logits and a bias that accumulates.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "base/rng.h"
#include "nn/recurrent_layer.h"
#include "nn/xent.h"

namespace charrnn {
namespace {

// M rows of V logits in [-12, 12), but for row 3, which spans -150 .. 60 (exp's clamps at
// +-87), and targets with every fifth row unscored (-1).
struct Batch {
  int M, V;
  std::vector<float> logits_mv, lse_m;
  std::vector<int32_t> y_m;
  Batch(int m, int v, uint64_t seed) : M(m), V(v), logits_mv(size_t(m) * v), lse_m(m), y_m(m) {
    Rng rng(seed);
    for (float& x : logits_mv) x = float(rng.uniform(-12, 12));
    if (M > 3) {
      logits_mv[size_t(3) * V] = 60.f;
      logits_mv[size_t(3) * V + V - 1] = -150.f;
    }
    for (int i = 0; i < M; ++i) y_m[i] = i % 5 == 4 ? -1 : int32_t(rng.next_u64() % uint64_t(V));
  }
  xent::Rows rows() {
    xent::Rows r;
    r.M = M;
    r.V = V;
    r.logits_mv = logits_mv.data();
    r.y_m = y_m.data();
    r.lse_m = lse_m.data();
    return r;
  }
};

// One forward and backward; dlogits in f32 (over the logits) or bf16 (the buffer filled with
// 1.0 first), the bias from 0.5 everywhere, P rows of partial sums.
struct Result {
  double loss;
  int64_t count;
  std::vector<float> lse_m, dlogits_mv, dbias_v;
  std::vector<uint16_t> dlogits_bf16_mv;
};

Result run(xent::Kernel k, Batch b, bool bf16, int P = xent::partial_rows()) {  // b: a copy
  Result out;
  out.loss = xent::forward(k, b.rows(), &out.count);
  out.lse_m = b.lse_m;
  out.dbias_v.assign(size_t(b.V), 0.5f);
  std::vector<float> partial(size_t(P) * b.V, 7.f);  // garbage: must be reset
  if (bf16) out.dlogits_bf16_mv.assign(b.logits_mv.size(), 0x3f80);
  xent::Grads g;
  g.dlogits_bf16_mv = bf16 ? out.dlogits_bf16_mv.data() : nullptr;
  g.dbias_v = out.dbias_v.data();
  g.partial_pv = partial.data();
  g.P = P;
  xent::backward(k, b.rows(), 1.0f / float(out.count), g);
  out.dlogits_mv = b.logits_mv;
  return out;
}

float from_bf16(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

TEST(Xent, ThePlainKernelMatchesANaiveDoublePrecisionReference) {
  Batch b(23, 37, 1);
  const Result r = run(xent::Kernel::plain, b, false);
  double loss = 0;
  int64_t count = 0;
  std::vector<double> dbias(size_t(b.V), 0.5);
  for (int m = 0; m < b.M; ++m) {
    const float* row = &b.logits_mv[size_t(m) * b.V];
    double sum = 0;
    for (int v = 0; v < b.V; ++v) sum += std::exp(double(row[v]));
    EXPECT_NEAR(r.lse_m[m], std::log(sum), 1e-5);
    if (b.y_m[m] < 0) {
      for (int v = 0; v < b.V; ++v) EXPECT_EQ(r.dlogits_mv[size_t(m) * b.V + v], 0.f);
      continue;
    }
    loss += std::log(sum) - row[b.y_m[m]];
    ++count;
  }
  ASSERT_EQ(r.count, count);
  EXPECT_NEAR(r.loss, loss, 1e-4);
  for (int m = 0; m < b.M; ++m) {
    if (b.y_m[m] < 0) continue;
    const float* row = &b.logits_mv[size_t(m) * b.V];
    for (int v = 0; v < b.V; ++v) {
      const double d = (std::exp(row[v] - double(r.lse_m[m])) - (v == b.y_m[m])) / double(count);
      EXPECT_NEAR(r.dlogits_mv[size_t(m) * b.V + v], d, 1e-6);
      dbias[size_t(v)] += d;
    }
  }
  for (int v = 0; v < b.V; ++v) EXPECT_NEAR(r.dbias_v[size_t(v)], dbias[size_t(v)], 1e-5);
}

TEST(Xent, ThePlainKernelWritesBf16DlogitsRoundedFromItsF32Ones) {
  Batch b(9, 37, 4);
  const Result f = run(xent::Kernel::plain, b, false), h = run(xent::Kernel::plain, b, true);
  for (size_t i = 0; i < f.dlogits_mv.size(); ++i) {
    const float got = from_bf16(h.dlogits_bf16_mv[i]);
    if (b.y_m[i / size_t(b.V)] < 0)
      ASSERT_EQ(got, 0.f) << "element " << i << " of an unscored row";
    else
      ASSERT_NEAR(got, f.dlogits_mv[i], std::abs(f.dlogits_mv[i]) / 256 + 1e-30) << i;
  }
}

TEST(Xent, OnePartialRowForAllThreadsStillSumsEveryRow) {
  Batch b(31, 37, 5);
  const Result many = run(xent::Kernel::plain, b, false),
               one = run(xent::Kernel::plain, b, false, 1);
  for (size_t v = 0; v < many.dbias_v.size(); ++v)
    EXPECT_NEAR(one.dbias_v[v], many.dbias_v[v], 1e-6);
  EXPECT_EQ(one.dlogits_mv, many.dlogits_mv);
}

class XentAvx512 : public ::testing::TestWithParam<int> {  // the parameter: V
 protected:
  void SetUp() override {
    if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  }
};

TEST_P(XentAvx512, MatchesThePlainKernel) {
  Batch b(29, GetParam(), 2);
  const Result p = run(xent::Kernel::plain, b, false), a = run(xent::Kernel::avx512, b, false);
  ASSERT_EQ(a.count, p.count);
  EXPECT_NEAR(a.loss, p.loss, 1e-6 * std::abs(p.loss));
  for (size_t m = 0; m < p.lse_m.size(); ++m) EXPECT_NEAR(a.lse_m[m], p.lse_m[m], 1e-5);
  double worst = 0;
  for (size_t i = 0; i < p.dlogits_mv.size(); ++i)
    worst = std::max(worst, double(std::abs(a.dlogits_mv[i] - p.dlogits_mv[i])));
  EXPECT_LT(worst, 1e-7);
  for (size_t v = 0; v < p.dbias_v.size(); ++v) EXPECT_NEAR(a.dbias_v[v], p.dbias_v[v], 1e-6);
}

TEST_P(XentAvx512, Bf16DlogitsAreTheF32OnesToBf16Precision) {
  Batch b(29, GetParam(), 3);
  const Result f = run(xent::Kernel::avx512, b, false), h = run(xent::Kernel::avx512, b, true);
  for (size_t i = 0; i < f.dlogits_mv.size(); ++i) {
    const float want = f.dlogits_mv[i], got = from_bf16(h.dlogits_bf16_mv[i]);
    if (b.y_m[i / size_t(b.V)] < 0)
      ASSERT_EQ(got, 0.f) << "element " << i << " of an unscored row";
    else
      ASSERT_NEAR(got, want, std::abs(want) / 256 + 1e-30) << "element " << i;
  }
  // The bias sums the f32 values, not the rounded ones.
  for (size_t v = 0; v < f.dbias_v.size(); ++v) EXPECT_EQ(h.dbias_v[v], f.dbias_v[v]);
}

INSTANTIATE_TEST_SUITE_P(OddVocabularies, XentAvx512, ::testing::Values(1, 15, 37, 1001));

}  // namespace
}  // namespace charrnn
