// cmd_train.cpp — `charrnn train`: flags -> TrainConfig -> train(), with SIGINT/SIGTERM
// finishing the current step and saving before exiting 130.
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "charrnn/trainer.h"
#include "cli.h"

namespace charrnn::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int sig) {
  g_stop.store(true);
  std::signal(sig, SIG_DFL);  // a second Ctrl-C ends the process at once; saves are atomic
}

const char* kTrainUsage =
    "usage: charrnn train --corpus FILE|DIR [...] --model DIR [options]\n"
    "\n"
    "Learns a character-level LSTM language model. The last --val-frac of the corpus is held\n"
    "out and scored in full every --eval-every steps; DIR keeps the best weights by validation\n"
    "loss (weights.safetensors) and the latest state (last.safetensors, optimizer.safetensors).\n"
    "Without --steps, --epochs or --minutes, training runs 10 epochs.";

}  // namespace

int cmd_train(int argc, char** argv) {
  TrainConfig c;
  int threads = 0;
  po::options_description data("Data");
  data.add_options()
      ("corpus", po::value(&c.corpus)->multitoken()->required(), "UTF-8 text file(s), concatenated")
      ("val-frac", po::value(&c.val_frac)->default_value(c.val_frac), "last fraction held out for validation")
      ("normalize", po::value(&c.tokenizer.normalize)->default_value(c.tokenizer.normalize), "Unicode normalization: nfc, nfkc or none")
      ("unit", po::value(&c.tokenizer.unit)->default_value(c.tokenizer.unit), "symbol unit: codepoint or grapheme")
      ("min-count", po::value(&c.tokenizer.min_count)->default_value(c.tokenizer.min_count), "rarer symbols become <unk>")
      ("max-vocab", po::value(&c.tokenizer.max_vocab)->default_value(c.tokenizer.max_vocab), "keep the most frequent symbols, <unk> included (0: all)")
      ("on-invalid", po::value(&c.tokenizer.on_invalid)->default_value(c.tokenizer.on_invalid), "invalid UTF-8: error or replace (with U+FFFD)");
  po::options_description model("Model");
  model.add_options()
      ("layers", po::value(&c.model.layers)->default_value(c.model.layers), "LSTM layers (L)")
      ("hidden", po::value(&c.model.hidden)->default_value(c.model.hidden), "LSTM state width (H)")
      ("embed", po::value(&c.model.embed)->default_value(c.model.embed), "embedding width (E)");
  po::options_description opt("Optimization");
  opt.add_options()
      ("seq", po::value(&c.seq)->default_value(c.seq), "BPTT window length (T)")
      ("batch", po::value(&c.batch)->default_value(c.batch), "parallel streams (N)")
      ("lr", po::value(&c.adam.lr)->default_value(c.adam.lr), "Adam learning rate")
      ("clip", po::value(&c.clip)->default_value(c.clip), "max global gradient norm (0: off)")
      ("steps", po::value(&c.steps)->default_value(c.steps), "stop after this many steps (0: no limit)")
      ("epochs", po::value(&c.epochs)->default_value(c.epochs), "stop after this many epochs (0: no limit)")
      ("minutes", po::value(&c.minutes)->default_value(c.minutes), "stop after this many minutes (0: no limit)")
      ("seed", po::value(&c.seed)->default_value(c.seed), "random seed")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0: all cores)");
  po::options_description out("Output");
  out.add_options()
      ("model", po::value(&c.model_dir)->required(), "checkpoint directory")
      ("eval-every", po::value(&c.eval_every)->default_value(200), "validate and save every N steps (0: at the end)")
      ("eval-batch", po::value(&c.eval_batch)->default_value(c.eval_batch), "validation streams (0: --batch)")
      ("force", po::bool_switch(&c.force), "replace an existing checkpoint or directory")
      ("quiet", po::bool_switch(&c.quiet), "print nothing but errors");
  po::variables_map vm;
  if (!parse(argc, argv, kTrainUsage, {data, model, opt, out}, vm)) return kExitOk;
  set_threads(threads);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  TrainResult r = train(c, &g_stop);
  if (!c.quiet) {
    std::printf("done: %lld steps, %s tokens in %.1f s", (long long)r.steps,
                with_commas(r.tokens).c_str(), r.seconds);
    if (!std::isnan(r.best_val_loss))
      std::printf("; best val %.4f nats/char (%.3f bits/char) at step %lld", r.best_val_loss,
                  r.best_val_loss / std::log(2.0), (long long)r.best_step);
    std::printf("; saved in %s\n", c.model_dir.c_str());
  }
  if (r.interrupted) {
    std::fprintf(stderr, "charrnn: interrupted; the checkpoint in %s is saved\n", c.model_dir.c_str());
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace charrnn::cli
