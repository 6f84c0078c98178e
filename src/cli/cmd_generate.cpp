// cmd_generate.cpp — `charrnn generate`: checkpoint + prompt -> text, streamed as it is sampled.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "charrnn/error.h"
#include "generate/generator.h"
#include "generate/sampler.h"
#include "text/tokenizer.h"
#include "cli.h"

namespace charrnn::cli {
namespace {

const char* kGenerateUsage =
    "usage: charrnn generate --model DIR [--prompt TEXT] [options]\n"
    "\n"
    "Writes the prompt, then --length sampled symbols, to stdout as they are produced.\n"
    "The same model, prompt, seed and options give the same text. --temperature 0 is greedy.\n"
    "Without --prompt, generation starts from a newline (or the model's first symbol).";

std::vector<int32_t> encode_prompt(const LoadedCheckpoint& ck, const std::string& prompt,
                                   bool given) {
  Vocabulary vocab(ck.meta.symbols, ck.meta.unknown_id);
  if (!given) {  // a fresh line is the most natural start for most corpora
    int nl = vocab.find("\n");
    return {nl >= 0 ? nl : 0};
  }
  if (prompt.empty()) fail_usage("--prompt is empty", "omit --prompt to start from a newline");
  Tokenizer tok(ck.meta.tokenizer);
  return tok.encode(vocab, tok.prepare(prompt, "--prompt"), "--prompt");
}

}  // namespace

int cmd_generate(int argc, char** argv) {
  std::string dir, prompt, weights = "best", dtype = "f32";
  int64_t length = 500;
  int threads = 0, samples = 1;
  bool stats = false;
  SampleConfig s;
  po::options_description data("Data");
  data.add_options()
      ("model", po::value(&dir)->required(), "checkpoint directory")
      ("prompt", po::value(&prompt), "text to start from (printed first)")
      ("weights", po::value(&weights)->default_value(weights), "best (by validation) or last");
  po::options_description sampling("Sampling");
  sampling.add_options()
      ("length", po::value(&length)->default_value(length), "symbols to generate per sample")
      ("temperature", po::value(&s.temperature)->default_value(s.temperature), "softmax temperature (0: greedy)")
      ("top-k", po::value(&s.top_k)->default_value(s.top_k), "sample among the k most likely (0: all)")
      ("top-p", po::value(&s.top_p)->default_value(s.top_p), "nucleus sampling mass (1: off)")
      ("seed", po::value(&s.seed)->default_value(s.seed), "random seed")
      ("num-samples", po::value(&samples)->default_value(samples), "independent samples, generated as one batch")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0: the cores other processes leave idle)")
      ("dtype", po::value(&dtype)->default_value(dtype), "compute precision: f32 or bf16 (AMX)");
  po::options_description out("Output");
  out.add_options()("stats", po::bool_switch(&stats), "print symbols/s to stderr at the end");
  po::variables_map vm;
  if (!parse(argc, argv, kGenerateUsage, {data, sampling, out}, vm)) return kExitOk;
  if (length < 0) fail_usage("--length must be >= 0, got " + std::to_string(length));
  if (samples < 1 || samples > 4096) fail_usage("--num-samples must be between 1 and 4096");
  if (weights != "best" && weights != "last") fail_usage("--weights must be best or last");
  validate_sample_config(s);
  set_threads(threads, Workload::infer);

  LoadedCheckpoint ck = load_checkpoint(dir, weights == "last" ? WhichWeights::last : WhichWeights::best);
  const std::vector<int32_t> ids = encode_prompt(ck, prompt, vm.count("prompt") > 0);
  ck.meta.model.dtype = resolve_dtype(dtype);
  Generator gen(ck.meta.model, ck.params.data(), samples);
  Sampler sampler(ck.meta.model.vocab, s, ck.meta.unknown_id);  // <unk> is never emitted
  const std::vector<std::string>& symbols = ck.meta.symbols;
  std::vector<std::string> texts(static_cast<size_t>(samples));  // K > 1: printed one after another
  std::string head = vm.count("prompt") ? prompt : "";
  if (samples == 1) std::fwrite(head.data(), 1, head.size(), stdout);
  std::fflush(stdout);
  auto t0 = std::chrono::steady_clock::now();
  gen.generate(ids, length, sampler, [&](int k, int id) {
    const std::string& sym = symbols[size_t(id)];
    if (samples > 1) { texts[size_t(k)] += sym; return; }
    std::fwrite(sym.data(), 1, sym.size(), stdout);
    std::fflush(stdout);  // stream: the reader sees each symbol as soon as it is sampled
  });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int k = 0; k < samples && samples > 1; ++k)
    std::printf("%s--- sample %d ---\n%s%s\n", k ? "\n" : "", k + 1, head.c_str(), texts[size_t(k)].c_str());
  if (samples == 1 && ::isatty(STDOUT_FILENO)) std::printf("\n");
  if (stats)
    std::fprintf(stderr, "generated %lld symbols x %d samples in %.3f s: %.0f symbols/s\n",
                 (long long)length, samples, secs, double(length) * samples / secs);
  return kExitOk;
}

}  // namespace charrnn::cli
