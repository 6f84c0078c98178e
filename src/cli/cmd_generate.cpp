// cmd_generate.cpp — `charrnn generate`: checkpoint + prompt -> text, streamed as it is sampled
// (on the public API, charrnn.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "charrnn/charrnn.h"
#include "cli.h"

namespace charrnn::cli {
namespace {

const char* kGenerateUsage =
    "usage: charrnn generate --model DIR [--prompt TEXT] [options]\n"
    "\n"
    "Writes the prompt, then --length sampled symbols, to stdout as they are produced.\n"
    "The same model, prompt, seed and options give the same text. --temperature 0 is greedy.\n"
    "Without --prompt, generation starts from a newline (or the model's first symbol).";

}  // namespace

int cmd_generate(int argc, char** argv) {
  std::string dir, prompt, weights = "best", dtype = "f32";
  int64_t length = 500;
  int threads = 0, samples = 1;
  bool stats = false;
  SampleOptions s;
  po::options_description data("Data");
  data.add_options()("model", po::value(&dir)->required(), "checkpoint directory")(
      "prompt", po::value(&prompt), "text to start from (printed first)")(
      "weights", po::value(&weights)->default_value(weights), "best (by validation) or last");
  po::options_description sampling("Sampling");
  sampling.add_options()("length", po::value(&length)->default_value(length),
                         "symbols to generate per sample")(
      "temperature", po::value(&s.temperature)->default_value(s.temperature),
      "softmax temperature (0: greedy)")("top-k", po::value(&s.top_k)->default_value(s.top_k),
                                         "sample among the k most likely (0: all)")(
      "top-p", po::value(&s.top_p)->default_value(s.top_p), "nucleus sampling mass (1: off)")(
      "seed", po::value(&s.seed)->default_value(s.seed), "random seed")(
      "num-samples", po::value(&samples)->default_value(samples),
      "independent samples, generated as one batch")(
      "threads", po::value(&threads)->default_value(0),
      "CPU threads (0: the cores other processes leave idle)")(
      "dtype", po::value(&dtype)->default_value(dtype), "compute precision: f32 or bf16 (AMX)");
  po::options_description out("Output");
  out.add_options()("stats", po::bool_switch(&stats), "print symbols/s to stderr at the end");
  po::variables_map vm;
  if (!parse(argc, argv, kGenerateUsage, {data, sampling, out}, vm)) return kExitOk;
  if (vm.count("prompt") && prompt.empty())
    fail_usage("--prompt is empty", "omit --prompt to start from a newline");
  if (samples < 1 || samples > 4096) fail_usage("--num-samples must be between 1 and 4096");
  set_threads(threads, Workload::infer);

  const Model model = Model::open(dir, {weights, dtype_name(resolve_dtype(dtype))});
  if (samples == 1)
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);  // the prompt first, as typed
  std::fflush(stdout);
  auto t0 = std::chrono::steady_clock::now();
  if (samples == 1) {
    model.generate(prompt, length, s, [](const std::string& symbol) {
      std::fwrite(symbol.data(), 1, symbol.size(), stdout);
      std::fflush(stdout);  // stream: the reader sees each symbol as soon as it is sampled
      return true;
    });
  } else {  // K samples in one batch, printed one after another
    const std::vector<Generation> texts = model.generate_n(prompt, length, samples, s);
    for (int k = 0; k < samples; ++k)
      std::printf("%s--- sample %d ---\n%s%s\n", k ? "\n" : "", k + 1, prompt.c_str(),
                  texts[size_t(k)].text.c_str());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (samples == 1 && ::isatty(STDOUT_FILENO)) std::printf("\n");
  if (stats)
    std::fprintf(stderr, "generated %lld symbols x %d samples in %.3f s: %.0f symbols/s\n",
                 (long long)length, samples, secs, double(length) * samples / secs);
  return kExitOk;
}

}  // namespace charrnn::cli
