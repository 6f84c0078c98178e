// test_model_grad.cpp — the whole model (gather, oneDNN LSTM stack, head, softmax
// cross-entropy) against the double-precision reference: forward values, and every gradient
// against central finite differences of the reference, at tiny odd sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "base/rng.h"
#include "nn/model.h"
#include "reference.h"

namespace charrnn {
namespace {

struct Fixture {
  ModelConfig c;
  int T, N;
  std::vector<float> params, grads;
  std::vector<int32_t> x, y;

  Fixture(int V, int E, int H, int L, int T_, int N_, Cell cell = Cell::lstm) : T(T_), N(N_) {
    c.cell = cell;
    c.vocab = V;
    c.embed = E;
    c.hidden = H;
    c.layers = L;
    params.resize(parameter_count(c));
    init_parameters(c, params.data(), 7);
    Rng rng(3);
    for (float& p : params) p += float(rng.uniform(-0.3, 0.3));  // break init symmetries
    grads.assign(params.size(), 0.f);
    for (int m = 0; m < T * N; ++m) {
      x.push_back(int32_t(rng.next_u64() % uint64_t(V)));
      y.push_back(int32_t(rng.next_u64() % uint64_t(V)));
    }
  }
  std::vector<double> params_d() const { return {params.begin(), params.end()}; }
};

class ModelCells : public ::testing::TestWithParam<Cell> {};

TEST_P(ModelCells, ForwardMatchesReferenceLoss) {
  Fixture f(7, 5, 6, 2, 5, 3, GetParam());
  Net net(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
  int64_t count = 0;
  const double loss = net.forward(f.x.data(), f.y.data(), &count);
  auto ref = testing::reference_forward(f.c, f.params_d(), f.T, f.N, f.x.data(), f.y.data());
  EXPECT_EQ(count, f.T * f.N);
  EXPECT_NEAR(loss, ref.loss, 1e-4 * std::abs(ref.loss));
  for (size_t i = 0; i < ref.logits_mv.size(); ++i)
    ASSERT_NEAR(net.logits()[i], ref.logits_mv[i], 1e-4) << "logit " << i;
}

TEST(ModelForward, InferenceNetMatchesTrainingNet) {
  Fixture f(9, 4, 5, 3, 4, 3);
  Net train(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
  Net infer(f.c, f.T, f.N, Net::Mode::infer, f.params.data(), nullptr);
  train.forward(f.x.data(), nullptr, nullptr);
  infer.forward(f.x.data(), nullptr, nullptr);
  for (int i = 0; i < f.T * f.N * f.c.vocab; ++i)
    ASSERT_NEAR(train.logits()[i], infer.logits()[i], 1e-5);
}

TEST_P(ModelCells, GradientMatchesFiniteDifferencesOfReference) {
  Fixture f(7, 5, 6, 2, 5, 3, GetParam());  // odd sizes everywhere
  f.y[2] = -1;                              // an ignored target must not contribute
  Net net(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
  int64_t count = 0;
  net.forward(f.x.data(), f.y.data(), &count);
  net.backward();
  std::vector<double> p = f.params_d();
  const double h = 1e-5;
  double worst = 0;
  for (const TensorInfo& t : parameter_tensors(f.c)) {
    for (size_t i = 0; i < t.size; ++i) {
      const size_t k = t.offset + i;
      const double keep = p[k];
      p[k] = keep + h;
      const double up = testing::reference_forward(f.c, p, f.T, f.N, f.x.data(), f.y.data()).loss;
      p[k] = keep - h;
      const double down = testing::reference_forward(f.c, p, f.T, f.N, f.x.data(), f.y.data()).loss;
      p[k] = keep;
      const double numeric = (up - down) / (2 * h) / double(count);
      const double err =
          std::abs(numeric - f.grads[k]) / std::max(1e-3, std::abs(numeric) + std::abs(f.grads[k]));
      worst = std::max(worst, err);
      ASSERT_LT(err, 1e-3) << t.name << "[" << i << "]: analytic " << f.grads[k] << " numeric "
                           << numeric;
    }
  }
  EXPECT_LT(worst, 1e-3);
  RecordProperty("worst_relative_error", std::to_string(worst));
}

TEST_P(ModelCells, StateDictRoundTripIsExact) {
  Fixture f(7, 5, 6, 2, 5, 3, GetParam());
  std::vector<StateTensor> sd = to_state_dict(f.c, f.params.data());
  const int64_t G = cell_gates(GetParam()) * 6;
  for (const StateTensor& t : sd)
    if (t.name.find("weight_hh_l") != std::string::npos)
      EXPECT_EQ(t.shape, (std::vector<int64_t>{G, 6}));
  std::vector<float> back(f.params.size(), -1.f);
  from_state_dict(
      f.c,
      [&](const std::string& name, const std::vector<int64_t>& shape, float* dst) {
        for (const StateTensor& t : sd)
          if (t.name == name && t.shape == shape) {
            std::copy(t.values.begin(), t.values.end(), dst);
            return true;
          }
        return false;
      },
      back.data());
  EXPECT_EQ(back, f.params);
}

INSTANTIATE_TEST_SUITE_P(Cells, ModelCells, ::testing::Values(Cell::lstm, Cell::gru, Cell::rnn),
                         [](const ::testing::TestParamInfo<Cell>& info) {
                           return cell_name(info.param);
                         });

// Every `stride`-th gradient against central differences of `ref` (the summed loss) at p.
void expect_gradient_near(const std::vector<float>& grads, std::vector<double> p,
                          const std::function<double(const std::vector<double>&)>& ref,
                          int64_t count, size_t stride) {
  const double h = 1e-5;
  for (size_t k = 0; k < p.size(); k += stride) {
    const double keep = p[k];
    p[k] = keep + h;
    const double up = ref(p);
    p[k] = keep - h;
    const double down = ref(p);
    p[k] = keep;
    const double numeric = (up - down) / (2 * h) / double(count);
    ASSERT_NEAR(grads[k], numeric, 1e-4 + 1e-3 * std::abs(numeric)) << "parameter " << k;
  }
}

// Dropout between layers (p) and on the output before the head (q): the gradient of the net
// equals finite differences of the reference run with the same masks.
void expect_dropout_gradient(double p_between, double q_output, int masks_expected) {
  Fixture f(6, 4, 5, 3, 4, 3);
  f.c.dropout = p_between;
  f.c.output_dropout = q_output;
  Rng rng(17);
  Net net(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
  net.set_dropout_rng(&rng);
  int64_t count = 0;
  const double loss = net.forward(f.x.data(), f.y.data(), &count);
  net.backward();
  std::vector<std::vector<float>> masks;
  for (int l = 0; l < masks_expected; ++l) {
    masks.push_back(net.dropout_mask(l));
    if (l + 1 < f.c.layers && p_between == 0)
      std::fill(masks.back().begin(), masks.back().end(), 1.f);
  }
  int dropped = 0;
  for (auto& m : masks) dropped += int(std::count(m.begin(), m.end(), 0.0f));
  EXPECT_GT(dropped, 0);
  std::vector<double> p = f.params_d();
  auto ref = [&](const std::vector<double>& q) {
    return testing::reference_forward(f.c, q, f.T, f.N, f.x.data(), f.y.data(), {}, {}, &masks)
        .loss;
  };
  EXPECT_NEAR(loss, ref(p), 1e-4 * std::abs(loss));
  expect_gradient_near(f.grads, p, ref, count, 3);  // every third: all tensors, all gates
}

TEST(ModelGradient, DropoutMatchesFiniteDifferencesWithTheSameMasks) {
  expect_dropout_gradient(0.3, 0.0, 2);
}

TEST(ModelGradient, OutputDropoutMatchesFiniteDifferencesWithTheSameMasks) {
  expect_dropout_gradient(0.3, 0.4, 3);
}

// The masks: a fraction keep of 1/keep and the rest 0, a new mask every forward, the same masks
// from the same generator state (what exact resume relies on).
TEST(ModelDropout, MasksKeepTheFractionScaledAndFollowTheGenerator) {
  Fixture f(5, 4, 32, 2, 20, 16);  // layer 0's output mask: T*N*H = 10,240 values
  f.c.dropout = 0.3;
  f.c.weight_drop = 0.5;
  auto masks_after = [&](uint64_t seed, int forwards) {
    Rng rng(seed);
    Net net(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
    net.set_dropout_rng(&rng);
    for (int k = 0; k < forwards; ++k) net.forward(f.x.data(), f.y.data(), nullptr);
    return std::make_pair(net.dropout_mask(0), net.weight_mask(1));
  };
  const auto [once, w_once] = masks_after(5, 1);
  const double kept =
      double(std::count(once.begin(), once.end(), 1.0f / 0.7f)) / double(once.size());
  EXPECT_EQ(std::count(once.begin(), once.end(), 0.0f) +
                std::count(once.begin(), once.end(), 1.0f / 0.7f),
            long(once.size()));
  EXPECT_NEAR(kept, 0.7, 0.02);  // 4.4 standard deviations
  const double w_kept =
      double(std::count(w_once.begin(), w_once.end(), 2.0f)) / double(w_once.size());
  EXPECT_NEAR(w_kept, 0.5, 0.03);  // 4H*H = 4,096 values: 3.8 standard deviations
  EXPECT_EQ(masks_after(5, 1).first, once);
  EXPECT_NE(masks_after(5, 2).first, once);
  EXPECT_NE(masks_after(6, 1).first, once);
}

// Weight drop (DropConnect on w_hh): the net equals the reference run with w_hh * mask, so the
// gradient of the master w_hh is finite differences of the reference through that product.
TEST_P(ModelCells, WeightDropMatchesFiniteDifferencesWithTheSameMasks) {
  Fixture f(6, 4, 5, 2, 4, 3, GetParam());
  f.c.weight_drop = 0.4;
  Rng rng(23);
  Net net(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
  net.set_dropout_rng(&rng);
  int64_t count = 0;
  const double loss = net.forward(f.x.data(), f.y.data(), &count);
  net.backward();
  std::vector<TensorInfo> w_hh;
  for (const TensorInfo& t : parameter_tensors(f.c))
    if (t.name.find("weight_hh_l") != std::string::npos) w_hh.push_back(t);
  ASSERT_EQ(w_hh.size(), 2u);
  int dropped = 0;
  for (int l = 0; l < 2; ++l) {
    ASSERT_EQ(net.weight_mask(l).size(), w_hh[size_t(l)].size);
    dropped += int(std::count(net.weight_mask(l).begin(), net.weight_mask(l).end(), 0.0f));
  }
  EXPECT_GT(dropped, 0);
  auto ref = [&](std::vector<double> q) {  // by value: masks a copy
    for (int l = 0; l < 2; ++l)
      for (size_t i = 0; i < w_hh[size_t(l)].size; ++i)
        q[w_hh[size_t(l)].offset + i] *= net.weight_mask(l)[i];
    return testing::reference_forward(f.c, q, f.T, f.N, f.x.data(), f.y.data()).loss;
  };
  std::vector<double> p = f.params_d();
  EXPECT_NEAR(loss, ref(p), 1e-4 * std::abs(loss));
  expect_gradient_near(f.grads, p, ref, count, 2);
}

TEST(ModelGradient, BackwardAccumulates) {
  Fixture f(5, 3, 4, 1, 3, 2);
  Net net(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
  net.forward(f.x.data(), f.y.data(), nullptr);
  net.backward();
  std::vector<float> once = f.grads;
  net.forward(f.x.data(), f.y.data(), nullptr);
  net.backward();
  for (size_t i = 0; i < once.size(); ++i)
    ASSERT_NEAR(f.grads[i], 2 * once[i], 1e-5 + 1e-4 * std::abs(once[i]));
}

TEST(ModelGradient, BackwardHandsOverEachBucketOnceTopFirstWhenItIsFinal) {
  Fixture f(7, 3, 5, 3, 4, 3);
  f.c.weight_drop = 0.3;  // its gradient is folded in after the layer's own backward
  f.c.dropout = 0.2;
  Rng rng(5);
  Net net(f.c, f.T, f.N, Net::Mode::train, f.params.data(), f.grads.data());
  net.set_dropout_rng(&rng);
  struct Seen {
    size_t offset, count;
    std::vector<float> values;  // the range when it was handed over
  };
  std::vector<Seen> seen;
  net.set_gradient_ready([&](size_t offset, size_t count) {
    seen.push_back(
        {offset, count, {f.grads.begin() + long(offset), f.grads.begin() + long(offset + count)}});
  });
  net.forward(f.x.data(), f.y.data(), nullptr);
  net.backward();
  ASSERT_EQ(seen.size(), size_t(f.c.layers) + 2);  // head, each layer, embedding
  size_t end = f.grads.size();
  for (const Seen& b : seen) {  // descending and adjacent: the block, once, from the top
    EXPECT_EQ(b.offset + b.count, end);
    end = b.offset;
    for (size_t i = 0; i < b.count; ++i)
      ASSERT_EQ(b.values[i], f.grads[b.offset + i]) << "changed after its hand-over: " << i;
  }
  EXPECT_EQ(end, 0u);
}

TEST(ModelState, CarriedStateEqualsOneLongWindow) {
  Fixture f(6, 4, 5, 2, 6, 2);
  Net whole(f.c, 6, 2, Net::Mode::infer, f.params.data(), nullptr);
  Net half(f.c, 3, 2, Net::Mode::infer, f.params.data(), nullptr);
  whole.forward(f.x.data(), nullptr, nullptr);
  half.forward(f.x.data(), nullptr, nullptr);
  half.carry_state();
  half.forward(f.x.data() + 3 * 2, nullptr, nullptr);
  const int V = f.c.vocab;
  for (int i = 0; i < 3 * 2 * V; ++i)
    ASSERT_NEAR(half.logits()[i], whole.logits()[3 * 2 * V + i], 1e-5);
}

}  // namespace
}  // namespace charrnn
