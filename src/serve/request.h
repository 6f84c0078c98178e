// request.h — the JSON bodies the server accepts, parsed and validated. Every problem is a
// usage Error whose field() names the request parameter (HTTP 400, OpenAI's "param").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace charrnn::serve {

constexpr int kMaxJsonDepth = 32;  // deeper bodies are refused before they are parsed
constexpr size_t kMaxStops = 4;    // as OpenAI's API

// POST /v1/completions (OpenAI's legacy completions, with top_k as an extension).
struct CompletionRequest {
  std::string prompt;        // empty: start from a new line
  int64_t max_tokens = 16;   // symbols to generate (OpenAI's default)
  double temperature = 1.0;  // 0: greedy
  double top_p = 1.0;
  int top_k = 0;
  std::optional<uint64_t> seed;  // absent: a fresh seed, reported back in the response's id
  int n = 1;                     // choices
  std::vector<std::string> stop;
  bool stream = false;
  // Classical poems (extensions, as generate --form/--lines/--acrostic): 5 or 7 characters a
  // line (0: free), the number of lines, and the acrostic's characters.
  int form = 0;
  int lines = 0;
  std::string acrostic;
};

// Limits come from the server's flags (--max-tokens, --slots).
CompletionRequest parse_completion_request(const std::string& body, int64_t max_tokens_cap,
                                           int max_n);

// POST /v1/score: {"text": "..."}.
std::string parse_score_request(const std::string& body);

}  // namespace charrnn::serve
