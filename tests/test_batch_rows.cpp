// test_batch_rows.cpp — a row of the generation step does not depend on the batch it shares:
// the server batches every active request into one step, and promises each the same text as
// `charrnn generate` alone (N = 1). Measured bitwise, for f32 (and bf16 where the CPU has it).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "nn/model.h"

namespace charrnn {
namespace {

struct Shape {
  int layers, hidden, embed, vocab;
  Dtype dtype;
};

// Logits of the row at `pos` after feeding `steps` symbols one step at a time, in a batch of N
// rows whose other rows read other symbols.
std::vector<float> row_logits(const ModelConfig& c, const std::vector<float>& params, int N,
                              int pos, int steps) {
  Net net(c, 1, N, Net::Mode::infer, params.data(), nullptr);
  net.reset_state();
  std::vector<int32_t> x_n(static_cast<size_t>(N));
  std::vector<float> out;
  for (int t = 0; t < steps; ++t) {
    for (int n = 0; n < N; ++n) x_n[size_t(n)] = (t * 7 + n * 13) % c.vocab;
    x_n[size_t(pos)] = (t * 5 + 1) % c.vocab;
    net.forward(x_n.data(), nullptr, nullptr);
    net.carry_state();
    out.insert(out.end(), net.logits() + size_t(pos) * c.vocab,
               net.logits() + size_t(pos + 1) * c.vocab);
  }
  return out;
}

class BatchRows : public ::testing::TestWithParam<Shape> {};

TEST_P(BatchRows, ARowsLogitsAreBitIdenticalWhateverTheBatch) {
  const Shape s = GetParam();
  if (s.dtype == Dtype::bf16 && !cpu_has_bf16()) GTEST_SKIP() << "no bf16 on this CPU";
  ModelConfig c;
  c.layers = s.layers;
  c.hidden = s.hidden;
  c.embed = s.embed;
  c.vocab = s.vocab;
  c.dtype = s.dtype;
  std::vector<float> params(parameter_count(c));
  init_parameters(c, params.data(), 5);
  const std::vector<float> alone = row_logits(c, params, 1, 0, 12);
  for (int N : {2, 3, 16, 32, 33})
    for (int pos : {0, N / 2, N - 1}) {  // the engine packs rows: any position
      const std::vector<float> shared = row_logits(c, params, N, pos, 12);
      ASSERT_EQ(alone.size(), shared.size());
      EXPECT_EQ(std::memcmp(alone.data(), shared.data(), alone.size() * sizeof(float)), 0)
          << "row " << pos << " of N = " << N << " differs from N = 1";
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchRows,
                         ::testing::Values(Shape{2, 128, 64, 65, Dtype::f32},
                                           Shape{2, 512, 64, 97, Dtype::f32},
                                           Shape{1, 37, 11, 23, Dtype::f32},
                                           Shape{2, 512, 64, 97, Dtype::bf16}));

}  // namespace
}  // namespace charrnn
