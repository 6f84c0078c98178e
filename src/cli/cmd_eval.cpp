// cmd_eval.cpp — `charrnn eval --model DIR --text FILE`: nats/char, bits/char, perplexity.
//
// The text is cut into --batch contiguous streams scored in windows of the model's training
// length with the state carried across windows, so every symbol but the first is predicted
// exactly once, as in training's validation.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "checkpoint/checkpoint.h"
#include "base/fsutil.h"
#include "text/dataset.h"
#include "charrnn/error.h"
#include "nn/model.h"
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
  data.add_options()
      ("model", po::value(&dir)->required(), "checkpoint directory")
      ("text", po::value(&text_path)->required(), "UTF-8 text file to score")
      ("weights", po::value(&weights)->default_value(weights), "best (by validation) or last")
      ("batch", po::value(&batch)->default_value(batch), "parallel streams")
      ("seq", po::value(&seq)->default_value(seq), "window length")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0: the cores other processes leave idle)")
      ("dtype", po::value(&dtype)->default_value(dtype), "compute precision: f32 or bf16 (AMX)");
  po::options_description out("Output");
  out.add_options()("json", po::bool_switch(&as_json), "print one JSON object");
  po::variables_map vm;
  if (!parse(argc, argv, kEvalUsage, {data, out}, vm)) return kExitOk;
  if (batch < 1 || batch > 100000) fail_usage("--batch must be between 1 and 100000");
  if (seq < 1 || seq > 100000) fail_usage("--seq must be between 1 and 100000");
  if (weights != "best" && weights != "last") fail_usage("--weights must be best or last");
  set_threads(threads, Workload::infer);

  LoadedCheckpoint ck = load_checkpoint(dir, weights == "last" ? WhichWeights::last : WhichWeights::best);
  Tokenizer tok(ck.meta.tokenizer);
  const std::vector<int32_t> ids =
      tok.encode(Vocabulary(ck.meta.symbols, ck.meta.unknown_id), tok.prepare(read_file(text_path, "text"), text_path), text_path);
  if (ids.size() < 2) fail(text_path + " has fewer than 2 symbols; nothing to score");
  EvalWindows windows(IdSpan{ids.data(), ids.size()}, seq, batch);
  ck.meta.model.dtype = resolve_dtype(dtype);
  Net net(ck.meta.model, seq, batch, Net::Mode::infer, ck.params.data(), nullptr);
  std::vector<int32_t> x_tn(size_t(seq) * batch), y_tn(x_tn.size());
  double total = 0.0;
  int64_t count = 0;
  for (int64_t k = 0; k < windows.count(); ++k) {
    windows.fill(k, x_tn.data(), y_tn.data());
    int64_t n = 0;
    total += net.forward(x_tn.data(), y_tn.data(), &n);
    net.carry_state();
    count += n;
  }
  const double nats = total / double(count);
  if (as_json) {
    nlohmann::json j = {{"text", text_path}, {"symbols", count + 1}, {"predicted", count},
                        {"nats_per_char", nats}, {"bits_per_char", nats / std::log(2.0)},
                        {"perplexity", std::exp(nats)}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %lld symbols scored: %.4f nats/char, %.4f bits/char, perplexity %.3f\n",
                text_path.c_str(), (long long)count, nats, nats / std::log(2.0), std::exp(nats));
  }
  return kExitOk;
}

}  // namespace charrnn::cli
