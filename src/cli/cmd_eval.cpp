// cmd_eval.cpp — `charrnn eval --model DIR --text FILE`: nats/char, bits/char, perplexity.
//
// The text is cut into --batch contiguous streams scored in windows of the model's training
// length with the state carried across windows, so every symbol but the first is predicted
// exactly once, as in training's validation.
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
    "usage: charrnn eval --model DIR --text FILE [--json]\n"
    "\n"
    "Scores a UTF-8 text under a checkpoint: mean cross-entropy in nats and bits per symbol,\n"
    "and perplexity. The text is prepared with the checkpoint's tokenizer settings.";

}  // namespace

int cmd_eval(int argc, char** argv) {
  std::string dir, text_path, weights = "best", dtype = "f32";
  int batch = 32, seq = 100, threads = 0;
  bool as_json = false;
  po::options_description data("Data");
  data.add_options()("model", po::value(&dir)->required(), "checkpoint directory")(
      "text", po::value(&text_path)->required(), "UTF-8 text file to score")(
      "weights", po::value(&weights)->default_value(weights), "best (by validation) or last")(
      "batch", po::value(&batch)->default_value(batch), "parallel streams")(
      "seq", po::value(&seq)->default_value(seq), "window length")(
      "threads", po::value(&threads)->default_value(0),
      "CPU threads (0: the cores other processes leave idle)")(
      "dtype", po::value(&dtype)->default_value(dtype), "compute precision: f32 or bf16 (AMX)");
  po::options_description out("Output");
  out.add_options()("json", po::bool_switch(&as_json), "print one JSON object");
  po::variables_map vm;
  if (!parse(argc, argv, kEvalUsage, {data, out}, vm)) return kExitOk;
  set_threads(threads, Workload::infer);

  const Model model = Model::open(dir, {weights, dtype_name(resolve_dtype(dtype))});
  const Score sc = model.score(read_file(text_path, "text"), {batch, seq, text_path});
  if (as_json) {
    nlohmann::json j = {{"text", text_path},
                        {"symbols", sc.symbols},
                        {"predicted", sc.predicted},
                        {"nats_per_char", sc.nats_per_char},
                        {"bits_per_char", sc.bits_per_char},
                        {"perplexity", sc.perplexity}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %lld symbols scored: %.4f nats/char, %.4f bits/char, perplexity %.3f\n",
                text_path.c_str(), (long long)sc.predicted, sc.nats_per_char, sc.bits_per_char,
                sc.perplexity);
  }
  return kExitOk;
}

}  // namespace charrnn::cli
