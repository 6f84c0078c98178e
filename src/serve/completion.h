// completion.h — POST /v1/completions: a request becomes n jobs on the engine (engine.h), and
// their text comes back as one JSON response or as Server-Sent Events, in OpenAI's shapes.
//
// Mapping to `charrnn generate`: prompt = --prompt (empty: from a new line), max_tokens =
// --length, and the sampling fields are generate's flags (one table: generate/sampler.h);
// choice i uses seed + i (--num-samples and the library's generate_n do the same); the text is
// what generate prints after the prompt, ended before the first stop string.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "checkpoint/checkpoint.h"
#include "serve/engine.h"
#include "serve/server.h"
#include "text/tokenizer.h"

namespace charrnn::serve {

class Completions {
 public:
  Completions(LoadedModel model, const ServerConfig& c);
  ~Completions();

  // Answers one request into res; `symbols` receives the symbols generated (for the log).
  // `client_left` tells a whole (not streamed) answer that nobody waits for it any more: its
  // jobs are cancelled and their slots freed at the engine's next step.
  void handle(const std::string& body, const std::string& model_id, httplib::Response& res,
              int64_t& symbols, const std::function<bool()>& client_left);
  // Takes a reloaded model if its architecture and vocabulary are unchanged; `built` hears
  // whether the engine could build it (Engine::reload).
  bool reload(LoadedModel fresh, Engine::Built built);
  void set_threads(int threads) { engine_->set_threads(threads); }
  void shutdown() { engine_->shutdown(); }

 private:
  ServerConfig cfg_;
  std::unique_ptr<Engine> engine_;  // holds the loaded model the completions use
  std::atomic<uint64_t> next_id_{1};
};

}  // namespace charrnn::serve
