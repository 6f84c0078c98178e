// test_dataset.cpp — split, training windows (contiguous streams, epoch wrap) and the
// evaluation windows that score every symbol but the first exactly once.
#include <gtest/gtest.h>

#include <numeric>

#include "charrnn/error.h"
#include "text/dataset.h"

namespace charrnn {
namespace {

std::vector<int32_t> iota_ids(int n) {
  std::vector<int32_t> ids(size_t(n), 0);
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

TEST(Dataset, SplitKeepsTheLastFractionForValidation) {
  auto ids = iota_ids(100);
  IdSpan train, val;
  split_ids(ids, 0.1, &train, &val);
  EXPECT_EQ(train.size, 90u);
  EXPECT_EQ(val.size, 10u);
  EXPECT_EQ(val[0], 90);
}

TEST(Batcher, StreamsContinueAcrossWindows) {
  auto ids = iota_ids(61);  // 60 predictions, N = 3 streams of 20, T = 4: 5 windows
  Batcher b(IdSpan{ids.data(), ids.size()}, 4, 3);
  EXPECT_EQ(b.windows_per_epoch(), 5);
  std::vector<int32_t> x(12), y(12);
  EXPECT_TRUE(b.next(x.data(), y.data()));
  EXPECT_EQ(x[0 * 3 + 1], 20);  // t = 0, stream 1 starts at 20
  EXPECT_EQ(y[3 * 3 + 2], 44);  // t = 3, stream 2: input 43, target 44
  EXPECT_FALSE(b.next(x.data(), y.data()));
  EXPECT_EQ(x[0 * 3 + 0], 4);  // stream 0 continues where window 0 ended
}

// MPI: rank r of K takes streams [r*N, r*N + N) of the K*N streams one process would have.
TEST(Batcher, RankSlicesTogetherAreTheCombinedBatch) {
  auto ids = iota_ids(97);
  Batcher whole(IdSpan{ids.data(), ids.size()}, 3, 4);  // T = 3, 4 streams
  Batcher rank0(IdSpan{ids.data(), ids.size()}, 3, 2, 4, 0),
      rank1(IdSpan{ids.data(), ids.size()}, 3, 2, 4, 2);
  EXPECT_EQ(rank1.windows_per_epoch(), whole.windows_per_epoch());
  std::vector<int32_t> x(12), y(12), x0(6), y0(6), x1(6), y1(6);
  for (int w = 0; w < 2 * whole.windows_per_epoch() + 1; ++w) {  // across an epoch wrap
    whole.next(x.data(), y.data());
    rank0.next(x0.data(), y0.data());
    rank1.next(x1.data(), y1.data());
    for (int t = 0; t < 3; ++t)
      for (int n = 0; n < 4; ++n) {
        const auto& xs = n < 2 ? x0 : x1;
        const auto& ys = n < 2 ? y0 : y1;
        ASSERT_EQ(x[size_t(t * 4 + n)], xs[size_t(t * 2 + n % 2)])
            << "window " << w << " t " << t << " n " << n;
        ASSERT_EQ(y[size_t(t * 4 + n)], ys[size_t(t * 2 + n % 2)]);
      }
  }
}

TEST(Batcher, WrapsToANewEpoch) {
  auto ids = iota_ids(25);
  Batcher b(IdSpan{ids.data(), ids.size()}, 4, 2);  // stream length 12: 3 windows
  std::vector<int32_t> x(8), y(8);
  for (int i = 0; i < 3; ++i) b.next(x.data(), y.data());
  EXPECT_EQ(b.epoch(), 0);
  EXPECT_TRUE(b.next(x.data(), y.data()));
  EXPECT_EQ(b.epoch(), 1);
  EXPECT_EQ(x[0], b.rotation(1));  // stream 0 starts at the epoch's rotation
  EXPECT_EQ(y[0], b.rotation(1) + 1);
}

// From epoch 1 on, the streams start at new places, and each epoch still reads distinct
// (x, y) pairs of the ring, every y the symbol after its x.
TEST(Batcher, EachEpochRotatesTheStreamStarts) {
  auto ids = iota_ids(101);  // 100 pairs, 3 streams of 33, T = 5: 6 windows
  Batcher b(IdSpan{ids.data(), ids.size()}, 5, 3, 0, 0, 7);
  std::vector<int32_t> x(15), y(15);
  std::vector<int64_t> starts;
  for (int e = 0; e < 4; ++e) {
    std::vector<int> seen(100, 0);
    for (int w = 0; w < b.windows_per_epoch(); ++w) {
      EXPECT_EQ(b.next(x.data(), y.data()), w == 0);
      if (w == 0) starts.push_back(x[0]);
      for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_EQ(y[i], x[i] + 1);
        ASSERT_EQ(++seen[size_t(x[i])], 1) << "epoch " << e << " reads pair " << x[i] << " twice";
      }
    }
  }
  EXPECT_EQ(starts[0], 0);
  EXPECT_EQ(starts[2], b.rotation(2));
  EXPECT_TRUE(starts[1] != starts[2] || starts[2] != starts[3]) << "the rotation does not move";
  Batcher other(IdSpan{ids.data(), ids.size()}, 5, 3, 0, 0, 8);
  EXPECT_NE(other.rotation(1) * 1000 + other.rotation(2), b.rotation(1) * 1000 + b.rotation(2));
}

TEST(Batcher, TooShortCorpusGivesTheNumbers) {
  auto ids = iota_ids(50);
  try {
    Batcher b(IdSpan{ids.data(), ids.size()}, 10, 8);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("10 x 8"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("seq"), std::string::npos);
    EXPECT_NE(e.hint_as([](const std::string& s) { return "--" + s; }).find("--seq"),
              std::string::npos);
  }
}

TEST(EvalWindows, ScoreEverySymbolButTheFirstExactlyOnce) {
  auto ids = iota_ids(47);
  EvalWindows w(IdSpan{ids.data(), ids.size()}, 5, 4);
  std::vector<int> seen(47, 0);
  std::vector<int32_t> x(20), y(20);
  for (int64_t k = 0; k < w.count(); ++k) {
    w.fill(k, x.data(), y.data());
    for (int m = 0; m < 20; ++m)
      if (y[size_t(m)] >= 0) {
        EXPECT_EQ(y[size_t(m)], x[size_t(m)] + 1);
        ++seen[size_t(y[size_t(m)])];
      }
  }
  EXPECT_EQ(seen[0], 0);
  for (int i = 1; i < 47; ++i) EXPECT_EQ(seen[size_t(i)], 1) << i;
}

}  // namespace
}  // namespace charrnn
