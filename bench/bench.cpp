// bench.cpp — charrnn-bench: one JSON line of speed figures for one configuration, measured in
// one process so that the ratios between them are not disturbed by a noisy machine:
//   * training tokens/s of the full step (gather, LSTM fwd+bwd, head, loss, clip, Adam,
//     weight reorders), median over timed steps on real corpus windows;
//   * the oneDNN f32 matmul ceiling at the step's largest GEMM shape, same thread count, and
//     the GEMM bound: the tokens/s of a step whose GEMMs all ran at the matmul speed measured
//     for their shapes (the recurrent ones have only N rows);
//   * generation symbols/s at batch 1 and at 32 parallel samples;
//   * peak RSS.
// Under mpirun (K ranks, each on its own N of K*N streams) it measures data parallelism
// instead: the allreduce of the gradient block alone and its share of the full step; rank 0
// prints.
// Letters: L layers, H hidden, E embedding, V vocabulary, T window, N streams.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "charrnn/error.h"
#include "generate/generator.h"
#include "nn/model.h"
#include "omp_env.h"
#include "text/dataset.h"
#include "train/comm.h"
#include "train/train_step.h"

using namespace charrnn;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// GFLOP/s of an (M, K) x (K, Nc) oneDNN matmul with f32 output, median of `reps` runs; inputs
// f32, or bf16 for the bf16 ceiling (AMX).
double matmul_gflops(int64_t M, int64_t K, int64_t Nc, int reps, Dtype in) {
  using dnnl::memory;
  const auto in_dt = in == Dtype::bf16 ? memory::data_type::bf16 : memory::data_type::f32;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  memory::desc a_md({M, K}, in_dt, memory::format_tag::ab);
  memory::desc b_md({K, Nc}, in_dt, memory::format_tag::ab);
  memory::desc c_md({M, Nc}, memory::data_type::f32, memory::format_tag::ab);
  dnnl::matmul prim(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), eng));
  memory a(a_md, eng), b(b_md, eng), c(c_md, eng);
  for (auto* m : {&a, &b})  // small values: the bit pattern 0x3c00 is 0.0078 in bf16
    std::memset(m->get_data_handle(), 0x3c, m->get_desc().get_size());
  std::vector<double> t;
  for (int r = 0; r < reps + 2; ++r) {
    auto t0 = Clock::now();
    prim.execute(strm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    strm.wait();
    if (r >= 2) t.push_back(seconds_since(t0));
  }
  return 2.0 * double(M) * double(K) * double(Nc) / median(t) / 1e9;
}

// Floating-point operations of one training token: GEMMs only, backward = 2x forward.
double train_flops_per_token(const ModelConfig& c) {
  double fwd = 2.0 * c.hidden * c.vocab;
  for (int l = 0; l < c.layers; ++l)
    fwd += 2.0 * 4 * c.hidden * ((l ? c.hidden : c.embed) + c.hidden);
  return 3.0 * fwd;
}

// The GEMM bound of any LSTM step built on oneDNN matmul at this shape and thread count:
// tokens/s if every GEMM ran at the matmul speed measured for its shape and nothing else took
// time. The sequence-wide GEMMs (input projection, dx, dW_ih, dW_hh, the head; M = T N rows)
// run at `ceiling`; the recurrent ones, which must go one time step at a time (h W_hh^T
// forward, dgates W_hh backward; M = N rows), at their own measured speed.
struct GemmBound {
  double recurrent_fwd_gflops = 0, recurrent_bwd_gflops = 0, tokens_per_s = 0;
};

GemmBound gemm_bound(const ModelConfig& c, int N, double ceiling) {
  const double H = c.hidden, G = 4 * H;
  double big = 3 * 2 * H * c.vocab, rec = 0;  // FLOPs per token
  for (int l = 0; l < c.layers; ++l) {
    const double in = l ? H : c.embed;
    big += 3 * 2 * in * G + 2 * H * G;  // x W_ih^T, dx, dW_ih; dW_hh
    rec += 2 * H * G;                   // each of: forward h W_hh^T, backward dgates W_hh
  }
  GemmBound b;
  b.recurrent_fwd_gflops = matmul_gflops(N, c.hidden, 4 * int64_t(c.hidden), 200, c.dtype);
  b.recurrent_bwd_gflops = matmul_gflops(N, 4 * int64_t(c.hidden), c.hidden, 200, c.dtype);
  const double s =
      (big / ceiling + rec / b.recurrent_fwd_gflops + rec / b.recurrent_bwd_gflops) / 1e9;
  b.tokens_per_s = 1.0 / s;
  return b;
}

double generation_rate(const ModelConfig& c, const float* params, int K, int64_t length,
                       const std::vector<std::string>& symbols) {
  Generator gen(c, params, K);
  SampleOptions so;
  so.seed = 1;
  const std::vector<int32_t> prompt = {0, 1, 2};
  std::vector<RowDecoder> rows;
  for (int k = 0; k < K; ++k) rows.emplace_back(so, symbols, -1, length, prompt);
  int64_t sink = 0;
  auto t0 = Clock::now();
  gen.generate(prompt, rows, [&](int, const std::string& piece) {
    sink += int64_t(piece.size());
    return true;
  });
  const double s = seconds_since(t0);
  if (sink < 0) std::puts("");  // keeps the loop observable
  return double(length) * K / s;
}

// Milliseconds per step and share of the step, per phase; inside the recurrent layers (the bf16
// LSTM times its parts), also the GFLOP/s of each GEMM and its share of the matmul ceiling.
void profile_json(nlohmann::json& j, const PhaseTimes& p, const ModelConfig& c, int T, int N,
                  int steps, double ceiling) {
  const std::pair<const char*, double> rows[] = {
      {"gather", p.gather},   {"rnn_fwd", p.rnn_fwd},   {"head_fwd", p.head_fwd},
      {"loss", p.loss},       {"head_bwd", p.head_bwd}, {"rnn_bwd", p.rnn_bwd},
      {"scatter", p.scatter}, {"clip", p.clip},         {"optimizer", p.optimizer},
      {"reorder", p.reorder}, {"comm", p.comm}};
  double total = 0;
  for (auto& r : rows) total += r.second;
  for (auto& r : rows) j["phases_ms"][r.first] = {1e3 * r.second / steps, r.second / total};
  // FLOPs per step of each recurrent GEMM kind, summed over the layers.
  const double M = double(T) * N, H = c.hidden, G = 4 * H;
  double in = 0, rec = 0, dw = 0, dx = 0;
  for (int l = 0; l < c.layers; ++l) {
    const double I = l ? H : c.embed;
    in += 2 * M * I * G;
    rec += 2 * M * H * G;
    dw += 2 * M * G * (I + H);
    dx += 2 * M * G * I;
  }
  const std::tuple<const char*, double, double> inner[] = {
      {"lstm_in_gemm", p.lstm_in_gemm, in},    {"lstm_rec_fwd", p.lstm_rec_fwd, rec},
      {"lstm_gates_fwd", p.lstm_gates_fwd, 0}, {"lstm_gates_bwd", p.lstm_gates_bwd, 0},
      {"lstm_rec_bwd", p.lstm_rec_bwd, rec},   {"lstm_dw_gemm", p.lstm_dw_gemm, dw},
      {"lstm_dx_gemm", p.lstm_dx_gemm, dx},    {"lstm_convert", p.lstm_convert, 0}};
  for (auto& [name, seconds, flops] : inner) {
    if (seconds <= 0) continue;
    const double gflops = flops > 0 ? flops * steps / seconds / 1e9 : 0;
    j["phases_ms"][name] = {1e3 * seconds / steps, seconds / total};
    if (gflops > 0) j["gemm_gflops"][name] = {gflops, gflops / ceiling};
  }
}

const char* arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], name)) return argv[i + 1];
  return fallback;
}

// Median seconds of one MPI_Allreduce (mean) of the P-float gradient block.
double allreduce_seconds(std::vector<float>& grads, int reps) {
  std::vector<double> t;
  for (int r = 0; r < reps + 2; ++r) {
    comm::barrier();
    auto t0 = Clock::now();
    comm::allreduce_mean(grads.data(), grads.size());
    if (r >= 2) t.push_back(seconds_since(t0));
  }
  return median(t);
}

}  // namespace

int main(int argc, char** argv) try {
  charrnn::cli::reexec_with_short_omp_spin(argv);  // measured as the charrnn binary runs
  comm::init(&argc, &argv);
  const std::string corpus_path = arg(argc, argv, "--corpus", "corpora/kjv.txt");
  ModelConfig c;
  c.layers = std::atoi(arg(argc, argv, "--layers", "2"));
  c.hidden = std::atoi(arg(argc, argv, "--hidden", "512"));
  c.embed = std::atoi(arg(argc, argv, "--embed", "64"));
  c.dtype = parse_dtype(arg(argc, argv, "--dtype", "f32"));
  const int T = std::atoi(arg(argc, argv, "--seq", "100")),
            N = std::atoi(arg(argc, argv, "--batch", "32"));
  const int warmup = std::atoi(arg(argc, argv, "--warmup", "3")),
            steps = std::atoi(arg(argc, argv, "--steps", "20"));
  const int threads = std::atoi(arg(argc, argv, "--threads", "2"));
  const int64_t gen_len = std::atoll(arg(argc, argv, "--gen-chars", "500"));
  omp_set_num_threads(threads);

  Corpus corpus = load_corpus({corpus_path}, Tokenizer({}));
  c.vocab = corpus.vocab.size();
  std::vector<float> params(parameter_count(c)), grads(params.size());
  init_parameters(c, params.data(), 1);
  Adam adam(params.size(), AdamConfig{});
  Net net(c, T, N, Net::Mode::train, params.data(), grads.data());
  // --after-backward: the gradients averaged after backward, not during it (MPI).
  comm::GradientReducer reducer(grads.data(), grads.size(),
                                arg(argc, argv, "--after-backward", nullptr) == nullptr);
  net.set_gradient_ready([&](size_t offset, size_t count) { reducer.ready(offset, count); });
  const int K = comm::size();
  Batcher batcher(corpus.ids.span(), T, N, int64_t(K) * N, int64_t(comm::rank()) * N);
  std::vector<int32_t> x(size_t(T) * N), y(x.size());
  std::vector<double> step_s;
  PhaseTimes phases;
  const bool profile = arg(argc, argv, "--profile", nullptr) != nullptr;
  // Timed steps first, unprofiled (profiling waits for every primitive); then the profiled ones.
  const int profiled = profile ? std::max(3, steps / 4) : 0;
  for (int i = 0; i < warmup + steps + profiled; ++i) {
    if (batcher.next(x.data(), y.data())) net.reset_state();
    PhaseTimes* times = i >= warmup + steps ? &phases : nullptr;
    net.set_profile(times);
    auto t0 = Clock::now();
    train_step(net, adam, &reducer, params, grads, x.data(), y.data(), 5.0, 2e-3f, times);
    if (i >= warmup && i < warmup + steps) step_s.push_back(seconds_since(t0));
  }
  if (K > 1) {  // data parallelism: communication against computation
    const double ar = allreduce_seconds(grads, 10), step = median(step_s);
    nlohmann::json j = {{"tool", "charrnn"},
                        {"event", "mpi"},
                        {"ranks", K},
                        {"overlap", reducer.overlapping()},
                        {"dtype", dtype_name(c.dtype)},
                        {"layers", c.layers},
                        {"hidden", c.hidden},
                        {"vocab", c.vocab},
                        {"seq", T},
                        {"batch", N},
                        {"threads", threads},
                        {"parameters", params.size()},
                        {"gradient_mib", double(grads.size()) * 4 / 1048576.0},
                        {"allreduce_ms", 1e3 * ar},
                        {"median_step_ms", 1e3 * step},
                        {"allreduce_fraction", ar / step},  // the transfer alone
                        // in the step: the transfer plus waiting for the slowest rank
                        {"comm_ms_per_step", profile ? 1e3 * phases.comm / steps : 1e3 * ar},
                        {"comm_fraction", (profile ? phases.comm / steps : ar) / step},
                        {"tokens_per_s_all_ranks", double(K) * T * N / step}};
    if (comm::rank() == 0) std::printf("%s\n", j.dump().c_str());
    comm::finish(false, 0);
    return 0;
  }
  const double tok_s = double(T) * N / median(step_s);
  const double gflops = tok_s * train_flops_per_token(c) / 1e9;
  // The ceiling of the step's precision: an f32 run against f32 matmul, bf16 against bf16.
  const double ceiling =
      matmul_gflops(int64_t(T) * N, c.hidden, 4 * int64_t(c.hidden), 10, c.dtype);
  const GemmBound bound = gemm_bound(c, N, ceiling);
  const double gen1 = generation_rate(c, params.data(), 1, gen_len, corpus.vocab.symbols());
  const double gen32 = generation_rate(c, params.data(), 32, std::max<int64_t>(gen_len / 4, 50),
                                       corpus.vocab.symbols());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  nlohmann::json j = {
      {"tool", "charrnn"},
      {"dtype", dtype_name(c.dtype)},
      {"layers", c.layers},
      {"hidden", c.hidden},
      {"embed", c.embed},
      {"vocab", c.vocab},
      {"seq", T},
      {"batch", N},
      {"threads", threads},
      {"timed_steps", steps},
      {"median_step_ms", 1e3 * median(step_s)},
      {"train_tokens_per_s", tok_s},
      {"train_gflops", gflops},
      {"matmul_ceiling_gflops", ceiling},
      {"fraction_of_ceiling", gflops / ceiling},
      {"recurrent_matmul_gflops", {bound.recurrent_fwd_gflops, bound.recurrent_bwd_gflops}},
      {"gemm_bound_tokens_per_s", bound.tokens_per_s},
      {"fraction_of_gemm_bound", tok_s / bound.tokens_per_s},
      {"gen_chars_per_s_batch1", gen1},
      {"gen_chars_per_s_batch32", gen32},
      {"peak_rss_mib", double(ru.ru_maxrss) / 1024.0},
      {"lstm_impl", net.lstm_implementation()},
      {"head_impl", net.head_implementation()},
      {"head_backward_impl", net.head_backward_implementation()}};
  if (profile) profile_json(j, phases, c, T, N, profiled, ceiling);
  std::printf("%s\n", j.dump().c_str());
  comm::finish(false, 0);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "charrnn-bench: %s\n", e.what());
  return 1;
}
