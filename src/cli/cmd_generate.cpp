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

// The sampling flags mean nothing to a deterministic beam search, so they are refused by name.
void refuse_beam_flags(const std::vector<std::string>& given, const po::variables_map& vm,
                       const Output& out) {
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

// The command line of one invocation, filled by boost from the groups below.
struct GenerateArgs {
  std::string dir, prompt, prompt_file, weights = "best", dtype = "f32";
  int64_t length = 500;
  int threads = 0, samples = 1, beam = 0;
  bool stats = false, interact = false, adapt = false;
  Output out;
};

// The command's own flags around the sampling table's groups (Data, Sampling, Run, Output).
std::vector<po::options_description> generate_flag_groups(GenerateArgs& a) {
  po::options_description data("Data");
  data.add_options()("model", po::value(&a.dir)->required(), "checkpoint directory")(
      "prompt", po::value(&a.prompt), "text to start from (printed first)")(
      "prompt-file", po::value(&a.prompt_file),
      "read the prompt from this file (long or multi-line)")(
      "interactive", po::bool_switch(&a.interact),
      "a prompt per line of standard input, until its end")(
      "adapt", po::bool_switch(&a.adapt),
      "first adapt the weights to the prompt (eval --dynamic's updates, its defaults)")(
      "weights", po::value(&a.weights)->default_value(a.weights), "best (by validation) or last");
  std::vector<po::options_description> groups = {data};
  for (const auto& g : flag_groups(sample_options_table())) groups.push_back(g);
  po::options_description run("Run");
  run.add_options()("length", po::value(&a.length)->default_value(a.length),
                    "symbols to generate per sample")(
      "beam", po::value(&a.beam)->default_value(a.beam),
      "beam search of this width: the most likely text, deterministic (0: sample)")(
      "num-samples", po::value(&a.samples)->default_value(a.samples),
      "independent samples, generated as one batch")(
      "threads", po::value(&a.threads)->default_value(0),
      "CPU threads (0: the cores other processes leave idle)")(
      "dtype", po::value(&a.dtype)->default_value(a.dtype), "compute precision: f32 or bf16");
  po::options_description output("Output");
  output.add_options()("stats", po::bool_switch(&a.stats), "print symbols/s to stderr at the end")(
      "json", po::bool_switch(&a.out.json),
      "one JSON object per sample: text, symbols, finish reason, mean nats/char");
  groups.push_back(run);
  groups.push_back(output);
  return groups;
}

}  // namespace

int cmd_generate(int argc, char** argv) {
  GenerateArgs a;
  const std::vector<po::options_description> groups = generate_flag_groups(a);
  po::variables_map vm;
  if (!parse(argc, argv, kGenerateUsage, groups, vm)) return kExitOk;
  SampleOptions s;
  const std::vector<std::string> given = read_flags(vm, sample_options_table(), s);
  validate_sample_config(s);
  if (vm.count("prompt") && a.prompt.empty())
    fail_usage("--prompt is empty", "omit --prompt to start from a newline");
  if (a.samples < 1 || a.samples > 4096) fail_usage("--num-samples must be between 1 and 4096");
  set_threads(a.threads, Workload::infer);

  if (!a.prompt_file.empty()) {
    if (vm.count("prompt"))
      fail_usage("--prompt and --prompt-file are both given", "give one of them");
    a.prompt = read_file(a.prompt_file, "prompt file");
    if (a.prompt.empty()) fail_usage("the prompt file " + a.prompt_file + " is empty");
  }
  a.out.samples = a.samples;
  if (a.beam > 0) refuse_beam_flags(given, vm, a.out);

  if (a.adapt && a.interact) fail_usage("--adapt takes one prompt; --interactive reads many");
  Model model = Model::open(a.dir, {a.weights, dtype_name(resolve_dtype(a.dtype))});
  if (a.adapt) model = model.adapted(a.prompt);
  auto t0 = std::chrono::steady_clock::now();
  int64_t symbols = 0;
  if (a.beam > 0) {
    const Generation g = model.beam_search(a.prompt, a.length, a.beam, s.stop);
    std::printf("%s%s", a.prompt.c_str(), g.text.c_str());
    symbols = g.symbols;
  } else {
    symbols = a.interact ? interactive(model, a.length, s, a.out)
                         : write_continuation(model, a.prompt, a.length, s, a.out);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.samples == 1 && !a.out.json && !a.interact && ::isatty(STDOUT_FILENO)) std::printf("\n");
  if (a.stats)
    std::fprintf(stderr, "generated %lld symbols in %.3f s: %.0f symbols/s\n", (long long)symbols,
                 secs, double(symbols) / secs);
  return kExitOk;
}

}  // namespace charrnn::cli
