// cmd_generate.cpp — `charrnn generate`: checkpoint + prompt -> text, streamed as it is sampled
// (on the public API, charrnn.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <iostream>

#include "base/fsutil.h"
#include "charrnn/charrnn.h"
#include "cli.h"
#include "cli/flags.h"
#include "generate/sampler.h"

namespace charrnn::cli {
namespace {

const char* kGenerateUsage =
    "usage: charrnn generate --model DIR [--prompt TEXT] [options]\n"
    "\n"
    "Writes the prompt, then --length sampled symbols, to stdout as they are produced.\n"
    "The same model, prompt, seed and options give the same text. --temperature 0 is greedy.\n"
    "Without --prompt, generation starts from a newline (or the model's first symbol).";

// What one generate call prints: the prompt and the streamed text, all samples one after
// another, or one JSON object per sample.
struct Output {
  bool json = false;
  int samples = 1;
};

// One prompt: returns the symbols generated (for --stats).
int64_t write_continuation(const Model& model, const std::string& prompt, int64_t length,
                           const SampleOptions& s, const Output& out) {
  std::vector<Generation> texts;
  if (out.samples == 1 && !out.json) {
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);  // the prompt first, as typed
    std::fflush(stdout);
    texts.push_back(model.generate(prompt, length, s, [](const std::string& piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);  // stream: the reader sees each symbol as soon as it is sampled
      return true;
    }));
  } else {  // K samples in one batch
    texts = model.generate_n(prompt, length, out.samples, s);
  }
  int64_t symbols = 0;
  for (size_t k = 0; k < texts.size(); ++k) {
    const Generation& g = texts[k];
    symbols += g.symbols;
    if (out.json) {
      const nlohmann::json j = {{"prompt", prompt},
                                {"text", g.text},
                                {"symbols", g.symbols},
                                {"finish_reason", g.finish_reason},
                                {"nats_per_char", g.nats_per_char},
                                {"seed", s.seed + k}};
      std::printf("%s\n", j.dump().c_str());
    } else if (out.samples > 1) {
      std::printf("%s--- sample %zu ---\n%s%s\n", k ? "\n" : "", k + 1, prompt.c_str(),
                  g.text.c_str());
    }
  }
  std::fflush(stdout);
  return symbols;
}

// --interactive: a prompt per line of standard input (a terminal or a pipe), each answered
// with the same options and seed, so the same lines give the same answers.
int64_t interactive(const Model& model, int64_t length, const SampleOptions& s, const Output& out) {
  const bool tty = ::isatty(STDIN_FILENO);
  int64_t symbols = 0;
  std::string line;
  for (;;) {
    if (tty) std::fputs("> ", stderr);
    if (!std::getline(std::cin, line)) break;
    symbols += write_continuation(model, line, length, s, out);
    if (!out.json && out.samples == 1) std::printf("\n");
    std::fflush(stdout);
  }
  return symbols;
}

}  // namespace

int cmd_generate(int argc, char** argv) {
  std::string dir, prompt, weights = "best", dtype = "f32";
  int64_t length = 500;
  int threads = 0, samples = 1;
  bool stats = false, interact = false, adapt = false;
  int beam = 0;
  std::string prompt_file;
  Output out;
  po::options_description data("Data");
  data.add_options()("model", po::value(&dir)->required(), "checkpoint directory")(
      "prompt", po::value(&prompt), "text to start from (printed first)")(
      "prompt-file", po::value(&prompt_file),
      "read the prompt from this file (long or multi-line)")(
      "interactive", po::bool_switch(&interact),
      "a prompt per line of standard input, until its end")(
      "adapt", po::bool_switch(&adapt),
      "first adapt the weights to the prompt (eval --dynamic's updates, its defaults)")(
      "weights", po::value(&weights)->default_value(weights), "best (by validation) or last");
  std::vector<po::options_description> groups = {data};
  for (const auto& g : flag_groups(sample_options_table())) groups.push_back(g);
  po::options_description run("Run");
  run.add_options()("length", po::value(&length)->default_value(length),
                    "symbols to generate per sample")(
      "beam", po::value(&beam)->default_value(beam),
      "beam search of this width: the most likely text, deterministic (0: sample)")(
      "num-samples", po::value(&samples)->default_value(samples),
      "independent samples, generated as one batch")(
      "threads", po::value(&threads)->default_value(0),
      "CPU threads (0: the cores other processes leave idle)")(
      "dtype", po::value(&dtype)->default_value(dtype), "compute precision: f32 or bf16");
  po::options_description output("Output");
  output.add_options()("stats", po::bool_switch(&stats), "print symbols/s to stderr at the end")(
      "json", po::bool_switch(&out.json),
      "one JSON object per sample: text, symbols, finish reason, mean nats/char");
  groups.push_back(run);
  groups.push_back(output);
  po::variables_map vm;
  if (!parse(argc, argv, kGenerateUsage, groups, vm)) return kExitOk;
  SampleOptions s;
  const std::vector<std::string> given = read_flags(vm, sample_options_table(), s);
  validate_sample_config(s);
  if (vm.count("prompt") && prompt.empty())
    fail_usage("--prompt is empty", "omit --prompt to start from a newline");
  if (samples < 1 || samples > 4096) fail_usage("--num-samples must be between 1 and 4096");
  set_threads(threads, Workload::infer);

  if (!prompt_file.empty()) {
    if (vm.count("prompt"))
      fail_usage("--prompt and --prompt-file are both given", "give one of them");
    prompt = read_file(prompt_file, "prompt file");
    if (prompt.empty()) fail_usage("the prompt file " + prompt_file + " is empty");
  }
  out.samples = samples;
  if (beam > 0) {  // deterministic: the sampling flags mean nothing there, so they are refused
    for (const std::string& name : given)
      if (name != "stop")
        fail_usage("--beam is deterministic; --" + flag_name(name) + " does not apply",
                   "drop --" + flag_name(name));
    for (const char* flag : {"num-samples", "interactive"})
      if (vm.count(flag) && !vm[flag].defaulted())
        fail_usage(std::string("--beam is deterministic; --") + flag + " does not apply",
                   "drop --" + std::string(flag));
    if (out.json) fail_usage("--beam does not write --json yet", "drop --json");
  }

  if (adapt && interact) fail_usage("--adapt takes one prompt; --interactive reads many");
  Model model = Model::open(dir, {weights, dtype_name(resolve_dtype(dtype))});
  if (adapt) model = model.adapted(prompt);
  auto t0 = std::chrono::steady_clock::now();
  int64_t symbols = 0;
  if (beam > 0) {
    const Generation g = model.beam_search(prompt, length, beam, s.stop);
    std::printf("%s%s", prompt.c_str(), g.text.c_str());
    symbols = g.symbols;
  } else {
    symbols = interact ? interactive(model, length, s, out)
                       : write_continuation(model, prompt, length, s, out);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (samples == 1 && !out.json && !interact && ::isatty(STDOUT_FILENO)) std::printf("\n");
  if (stats)
    std::fprintf(stderr, "generated %lld symbols in %.3f s: %.0f symbols/s\n", (long long)symbols,
                 secs, double(symbols) / secs);
  return kExitOk;
}

}  // namespace charrnn::cli
