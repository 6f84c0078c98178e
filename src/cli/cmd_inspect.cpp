// cmd_inspect.cpp — `charrnn inspect DIR [--json]`: a readable summary of a checkpoint, from
// the public API's model card (and model.json, which the card carries).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "charrnn/charrnn.h"
#include "cli.h"
#include "progress.h"

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

void print_history(const std::vector<HistoryEntry>& history) {
  if (history.empty()) return;
  std::printf("history        %8s %14s %8s %9s %9s %8s\n", "step", "tokens", "epoch", "train",
              "val", "time");
  const size_t shown = 12, n = history.size();
  for (size_t i = 0; i < n; ++i) {
    // Long histories: the first, then evenly spaced points, always the last.
    if (n > shown && i != 0 && i + 1 != n &&
        (i * (shown - 1)) / (n - 1) == ((i - 1) * (shown - 1)) / (n - 1))
      continue;
    const HistoryEntry& h = history[i];
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
  const Model model = Model::open(dir);
  const ModelCard& card = model.card();
  if (as_json) {
    std::cout << card.json << "\n";
    return kExitOk;
  }
  const nlohmann::json j = nlohmann::json::parse(card.json);
  const nlohmann::json& arch = j["architecture"];
  std::printf("checkpoint     %s\n", card.dir.c_str());
  std::printf(
      "architecture   %s, %d layer%s x %d hidden, embedding %d, dropout %.2f/%.2f, weight drop "
      "%.2f, %s parameters\n",
      card.cell.c_str(), card.layers, card.layers == 1 ? "" : "s", card.hidden, card.embed,
      arch.value("dropout", 0.0), arch.value("output_dropout", 0.0), arch.value("weight_drop", 0.0),
      with_commas((long long)card.parameters).c_str());
  std::printf("vocabulary     %d symbols (%s, %s): %s\n", card.vocab, card.unit.c_str(),
              card.normalize.c_str(), vocabulary_sample(card.symbols, 80).c_str());
  // How it was trained: precision and MPI ranks (absent in older checkpoints: f32, 1).
  const nlohmann::json& tc = j["training"]["config"];
  const bool bf16 = tc.is_object() && tc.value("dtype", "f32") == "bf16";
  const long long ranks = tc.is_object() ? tc.value("ranks", 1LL) : 1;
  const double ema = tc.is_object() ? tc.value("ema", 0.0) : 0.0;
  char averaged[64] = "";
  if (ema > 0) std::snprintf(averaged, sizeof averaged, ", best weights averaged (ema %g)", ema);
  const nlohmann::json& state = j["training"]["state"];
  std::printf("training       step %lld, %s tokens, epoch %lld, %s; %s%s%s\n",
              (long long)card.steps, with_commas(card.tokens).c_str(), state.value("epoch", 0LL),
              format_duration(card.seconds).c_str(), bf16 ? "bf16" : "f32",
              ranks > 1 ? (", " + std::to_string(ranks) + " MPI ranks").c_str() : "", averaged);
  if (card.best_step >= 0 && !std::isnan(card.best_val_loss))
    std::printf("best           val %.4f nats/char = %.4f bits/char, perplexity %.3f (step %lld)\n",
                card.best_val_loss, card.best_val_loss / std::log(2.0),
                std::exp(card.best_val_loss), (long long)card.best_step);
  const nlohmann::json& corpus = j["corpus"];
  std::printf("corpus         %s, %s bytes, %s symbols, sha256 %s\n", card.corpus.c_str(),
              with_commas((long long)card.corpus_bytes).c_str(),
              with_commas(corpus.value("symbols", 0LL)).c_str(),
              corpus.value("sha256", std::string("?")).c_str());
  print_history(card.history);
  std::printf("written        %s by charrnn %s (oneDNN %s)\n", text_at(j, {"created"}).c_str(),
              text_at(j, {"tool", "version"}).c_str(), text_at(j, {"tool", "onednn"}).c_str());
  return kExitOk;
}

}  // namespace charrnn::cli
