// cmd_inspect.cpp — `charrnn inspect DIR [--json]`: a readable summary of a checkpoint.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "checkpoint/checkpoint.h"
#include "cli.h"
#include "progress.h"
#include "text/tokenizer.h"

namespace charrnn::cli {
namespace {

const char* kInspectUsage =
    "usage: charrnn inspect DIR [--json]\n"
    "\n"
    "Describes a checkpoint: architecture, vocabulary, training state and history, best\n"
    "validation loss, corpus. --json prints model.json itself.";

std::string vocabulary_sample(const std::vector<std::string>& symbols, size_t max_symbols) {
  std::string out;
  for (size_t i = 0; i < symbols.size() && i < max_symbols; ++i) {
    const std::string& s = symbols[i];
    out += s == "\n"                                       ? "\\n"
           : s == "\t"                                     ? "\\t"
           : s == "\r"                                     ? "\\r"
           : (s.size() == 1 && (unsigned char)s[0] < 0x20) ? "?"
                                                           : s;
  }
  if (symbols.size() > max_symbols) out += " ...";
  return out;
}

void print_history(const std::vector<HistoryPoint>& history) {
  if (history.empty()) return;
  std::printf("history        %8s %14s %8s %9s %9s %8s\n", "step", "tokens", "epoch", "train",
              "val", "time");
  const size_t shown = 12, n = history.size();
  for (size_t i = 0; i < n; ++i) {
    // Long histories: the first, then evenly spaced points, always the last.
    if (n > shown && i != 0 && i + 1 != n &&
        (i * (shown - 1)) / (n - 1) == ((i - 1) * (shown - 1)) / (n - 1))
      continue;
    const HistoryPoint& h = history[i];
    std::printf("               %8lld %14s %8.2f %9.4f %9.4f %8s\n", (long long)h.step,
                with_commas(h.tokens).c_str(), h.epoch, h.train_loss, h.val_loss,
                format_duration(h.seconds).c_str());
  }
}

// An optional descriptive string of model.json, "?" when absent or not a string.
std::string text_at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return "?";
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : "?";
}

}  // namespace

int cmd_inspect(int argc, char** argv) {
  std::string dir;
  bool as_json = false;
  po::options_description opts("Output");
  opts.add_options()("dir", po::value(&dir)->required(), "checkpoint directory")(
      "json", po::bool_switch(&as_json), "print model.json");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  if (!parse(argc, argv, kInspectUsage, {opts}, vm, &pos)) return kExitOk;
  LoadedCheckpoint ck = load_checkpoint(dir);
  if (as_json) {
    std::cout << ck.json.dump(2) << "\n";
    return kExitOk;
  }
  const CheckpointMeta& m = ck.meta;
  std::printf("checkpoint     %s\n", ck.dir.c_str());
  std::printf(
      "architecture   %s, %d layer%s x %d hidden, embedding %d, dropout %.2f/%.2f, weight drop "
      "%.2f, %s parameters\n",
      cell_name(m.model.cell).c_str(), m.model.layers, m.model.layers == 1 ? "" : "s",
      m.model.hidden, m.model.embed, m.model.dropout, m.model.output_dropout, m.model.weight_drop,
      with_commas((long long)parameter_count(m.model)).c_str());
  std::printf("vocabulary     %d symbols (%s, %s): %s\n", m.model.vocab,
              unit_name(m.tokenizer.unit).c_str(), normalize_name(m.tokenizer.normalize).c_str(),
              vocabulary_sample(m.symbols, 80).c_str());
  // How it was trained: precision and MPI ranks (absent in older checkpoints: f32, 1).
  const nlohmann::json& tc = m.train_config;
  const bool bf16 = tc.is_object() && tc.contains("dtype") && tc["dtype"] == "bf16";
  const bool has_ranks = tc.is_object() && tc.contains("ranks") && tc["ranks"].is_number_integer();
  const long long ranks = has_ranks ? tc["ranks"].get<long long>() : 1;
  const double ema =
      tc.is_object() && tc.contains("ema") && tc["ema"].is_number() ? tc["ema"].get<double>() : 0.0;
  char averaged[64] = "";
  if (ema > 0) std::snprintf(averaged, sizeof averaged, ", best weights averaged (ema %g)", ema);
  std::printf("training       step %lld, %s tokens, epoch %lld, %s; %s%s%s\n",
              (long long)m.state.step, with_commas(m.state.tokens).c_str(),
              (long long)m.state.epoch, format_duration(m.state.seconds).c_str(),
              bf16 ? "bf16" : "f32",
              ranks > 1 ? (", " + std::to_string(ranks) + " MPI ranks").c_str() : "", averaged);
  if (m.best_step >= 0 && !std::isnan(m.best_val_loss))
    std::printf("best           val %.4f nats/char = %.4f bits/char, perplexity %.3f (step %lld)\n",
                m.best_val_loss, m.best_val_loss / std::log(2.0), std::exp(m.best_val_loss),
                (long long)m.best_step);
  std::printf("corpus         %s, %s bytes, %s symbols, sha256 %s\n", m.corpus.name.c_str(),
              with_commas((long long)m.corpus.bytes).c_str(), with_commas(m.corpus.symbols).c_str(),
              m.corpus.sha256.c_str());
  print_history(m.history);
  std::printf("written        %s by charrnn %s (oneDNN %s)\n",
              text_at(ck.json, {"created"}).c_str(), text_at(ck.json, {"tool", "version"}).c_str(),
              text_at(ck.json, {"tool", "onednn"}).c_str());
  return kExitOk;
}

}  // namespace charrnn::cli
