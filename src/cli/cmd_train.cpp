// cmd_train.cpp — `charrnn train`: the training table's flags -> the public API's train(), with
// SIGINT/SIGTERM finishing the current step and saving before exiting 130.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "charrnn/charrnn.h"
#include "charrnn/error.h"
#include "cli.h"
#include "cli/flags.h"
#include "progress.h"
#include "train/comm.h"
#include "train/train_config.h"

namespace charrnn::cli {
namespace {

const char* kTrainUsage =
    "usage: charrnn train --corpus FILE|DIR [...] --model DIR --minutes M [options]\n"
    "       charrnn train --resume DIR [--steps N | --epochs E | --minutes M ...]\n"
    "\n"
    "Learns a character-level LSTM language model. Give it a corpus and a time budget: it\n"
    "measures this CPU (f32 or bf16, threads), sizes the model for the budget and the corpus\n"
    "(--preset auto, the default when no --layers, --hidden, --embed or --cell is given), and\n"
    "anneals the learning rate so that it ends, evaluated and saved, within --minutes.\n"
    "The last --val-frac of the corpus is held out; DIR keeps the best weights by validation\n"
    "loss, the latest state and loss.svg. Without --steps, --epochs or --minutes, training\n"
    "runs 10 epochs.\n"
    "--resume continues exactly where DIR stopped; --steps and --epochs are totals for the\n"
    "model, --minutes is this invocation's budget.\n"
    "\n"
    "presets (--preset; given flags win):\n"
    "  auto    sized by the budget in tokens, the corpus and its vocabulary (docs/quality.md)\n"
    "  tiny    1 x 64,   embed 32, T 50,  N 32                         (seconds; tests)\n"
    "  small   2 x 128,  embed 64, T 50,  N 50\n"
    "  medium  2 x 1024, embed 64, T 100, N 64, dropout 0.5 (between layers and on the output),\n"
    "          weight drop 0.5, weight decay 0.1, lr 2e-3 cosine (7,200 steps unless a stop\n"
    "          rule is given)\n"
    "  large   3 x 1024, embed 128, T 100, N 32, dropout 0.5, weight decay 0.1, lr 1e-3 cosine\n"
    "          (20,000 steps unless a stop rule is given)\n"
    "  none    the defaults below";

// The given flags as the API's settings: text a flag takes (JSON for numbers and lists).
std::map<std::string, std::string> settings_of(const TrainConfig& c) {
  const OptionTable<TrainConfig>& table = train_options();
  std::map<std::string, std::string> out;
  for (const std::string& name : c.given) {
    const nlohmann::json v = table.find(name)->get(c);
    out[name] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

void print_summary(const TrainSummary& r) {
  std::printf("done: %lld steps, %s tokens in %.1f s", (long long)r.steps,
              with_commas(r.tokens).c_str(), r.seconds);
  if (!std::isnan(r.best_val_loss) && r.best_step >= 0)
    std::printf("; best val %.4f nats/char (%.3f bits/char) at step %lld", r.best_val_loss,
                r.best_val_loss / std::log(2.0), (long long)r.best_step);
  std::printf("; saved in %s\n", r.model_dir.c_str());
}

}  // namespace

int cmd_train(int argc, char** argv, const std::atomic<bool>* stop) {
  std::string resume;
  std::vector<po::options_description> groups = flag_groups(train_options());
  po::options_description run("Resume");
  run.add_options()("resume", po::value(&resume),
                    "continue the checkpoint in this directory exactly");
  groups.push_back(run);
  po::variables_map vm;
  if (!parse(argc, argv, kTrainUsage, groups, vm)) return kExitOk;
  TrainConfig c;
  c.given = read_flags(vm, train_options(), c);
  set_threads(c.threads, Workload::train);

  TrainOptions o;
  o.settings = settings_of(c);
  // Fault injection for tests: NaN gradients at steps A..B (the library reads no environment).
  if (const char* faults = std::getenv("CHARRNN_FAULT_NAN_STEPS"))
    o.settings["fault_nan_steps"] = faults;
  o.resume = !resume.empty();
  if (o.resume) {
    o.model_dir = resume;
  } else {
    if (c.corpus.empty())
      fail_usage("the option '--corpus' is required", "pass --corpus FILE (or --resume DIR)");
    if (c.model_dir.empty()) fail_usage("the option '--model' is required", "pass --model DIR");
  }
  Progress progress(stdout, c.quiet);
  const TrainSummary r = train(
      o, [&](const TrainProgress& p) { progress.event(p); }, stop);
  const bool speaker = comm::rank() == 0;  // under MPI, rank 0 alone reports
  if (!c.quiet && speaker) print_summary(r);
  if (r.interrupted) {
    if (speaker)
      std::fprintf(stderr,
                   "charrnn: interrupted; the checkpoint in %s is saved (resume: charrnn train "
                   "--resume %s)\n",
                   r.model_dir.c_str(), r.model_dir.c_str());
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace charrnn::cli
