// cmd_eval.cpp — `charrnn eval --model DIR --text FILE`: nats/char, bits/char, perplexity.
//
// The text is cut into --batch contiguous streams scored in windows of the model's training
// length with the state carried across windows, so every symbol but the first is predicted
// exactly once, as in training's validation. --dynamic adds dynamic evaluation (Krause et al.
// 2018, train/dynamic_eval.h) and prints both scores.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "base/fsutil.h"
#include "charrnn/charrnn.h"
#include "cli.h"

namespace charrnn::cli {
namespace {

const char* kEvalUsage =
    "usage: charrnn eval --model DIR --text FILE [--dynamic [--segment S --step ETA --decay L]]\n"
    "                    [--json]\n"
    "\n"
    "Scores a UTF-8 text under a checkpoint: mean cross-entropy in nats and bits per symbol,\n"
    "and perplexity. The text is prepared with the checkpoint's tokenizer settings.\n"
    "\n"
    "--dynamic also scores it with dynamic evaluation (Krause et al. 2018): the text is read\n"
    "in one stream, S symbols at a time, and after each segment is scored the weights take an\n"
    "RMS-normalised gradient step on it (mean squared gradients from the checkpoint's Adam\n"
    "moments in optimizer.safetensors, or without them from the text's segments already\n"
    "scored), pulled back towards the trained weights by the decay.";

}  // namespace

int cmd_eval(int argc, char** argv) {
  std::string dir, text_path, weights = "best", dtype = "f32";
  int batch = 32, seq = 100, threads = 0;
  bool as_json = false;
  DynamicEvalOptions dyn;
  po::options_description data("Data");
  data.add_options()("model", po::value(&dir)->required(), "checkpoint directory")(
      "text", po::value(&text_path)->required(), "UTF-8 text file to score")(
      "weights", po::value(&weights)->default_value(weights), "best (by validation) or last")(
      "batch", po::value(&batch)->default_value(batch), "parallel streams")(
      "seq", po::value(&seq)->default_value(seq), "window length")(
      "threads", po::value(&threads)->default_value(0),
      "CPU threads (0: the cores other processes leave idle)")(
      "dtype", po::value(&dtype)->default_value(dtype), "compute precision: f32 or bf16");
  po::options_description dynamic("Dynamic evaluation");
  dynamic.add_options()("dynamic", po::bool_switch(&dyn.enabled), "adapt the weights as it reads")(
      "segment", po::value(&dyn.segment)->default_value(dyn.segment),
      "symbols scored between two updates")(
      "step", po::value(&dyn.step)->default_value(dyn.step, "auto"),
      "RMS-normalised step size (auto: 3e-5 with Adam's moments, 3e-4 without)")(
      "decay", po::value(&dyn.decay)->default_value(dyn.decay, "1e-3"),
      "pull back towards the trained weights");
  po::options_description out("Output");
  out.add_options()("json", po::bool_switch(&as_json), "print one JSON object");
  po::variables_map vm;
  if (!parse(argc, argv, kEvalUsage, {data, dynamic, out}, vm)) return kExitOk;
  set_threads(threads, Workload::infer);

  const Model model = Model::open(dir, {weights, dtype_name(resolve_dtype(dtype))});
  const std::string text = read_file(text_path, "text");
  const Score sc = model.score(text, {batch, seq, text_path, {}});
  Score dy;
  if (dyn.enabled) dy = model.score(text, {batch, seq, text_path, dyn});
  if (as_json) {
    nlohmann::json j = {{"text", text_path},
                        {"symbols", sc.symbols},
                        {"predicted", sc.predicted},
                        {"nats_per_char", sc.nats_per_char},
                        {"bits_per_char", sc.bits_per_char},
                        {"perplexity", sc.perplexity}};
    if (dyn.enabled)
      j["dynamic"] = {{"segment", dyn.segment},
                      {"step", dy.step},
                      {"decay", dyn.decay},
                      {"statistics", dy.statistics},
                      {"predicted", dy.predicted},
                      {"nats_per_char", dy.nats_per_char},
                      {"bits_per_char", dy.bits_per_char},
                      {"perplexity", dy.perplexity}};
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("%s: %lld symbols scored: %.4f nats/char, %.4f bits/char, perplexity %.3f\n",
              text_path.c_str(), (long long)sc.predicted, sc.nats_per_char, sc.bits_per_char,
              sc.perplexity);
  if (dyn.enabled)
    std::printf(
        "dynamic (segment %d, step %g, decay %g, mean squares from %s): %.4f nats/char, %.4f "
        "bits/char, perplexity %.3f (%+.2f%%)\n",
        dyn.segment, dy.step, dyn.decay, dy.statistics == "adam" ? "Adam's moments" : "the text",
        dy.nats_per_char, dy.bits_per_char, dy.perplexity,
        100.0 * (dy.nats_per_char / sc.nats_per_char - 1.0));
  return kExitOk;
}

}  // namespace charrnn::cli
