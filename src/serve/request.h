// request.h — the JSON bodies the server accepts, parsed and validated. Every problem is a
// usage Error whose field() names the request parameter (HTTP 400, OpenAI's "param").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "charrnn/error.h"
#include "charrnn/sample_options.h"

namespace charrnn::serve {

constexpr int kMaxJsonDepth = 32;  // deeper bodies are refused before they are parsed
constexpr size_t kMaxStops = 4;    // as OpenAI's API

// POST /v1/completions (OpenAI's legacy completions). The sampling fields are the sampling
// table's (generate/sampler.h): temperature, top_p, stop, seed, frequency_penalty and
// presence_penalty as OpenAI has them, and top_k, repetition_penalty, penalty_last_n, form,
// lines and acrostic as extensions, under the names charrnn generate's flags have.
struct CompletionRequest {
  std::string prompt;       // empty: start from a new line
  int64_t max_tokens = 16;  // symbols to generate (OpenAI's default)
  SampleOptions sample;     // seed: only when seeded is true
  bool seeded = false;      // false: a fresh seed, reported back in the response's id
  int n = 1;                // choices
  bool stream = false;
  // Display only (an extension): the generated text converted to simplified or traditional
  // Chinese script (ICU, as the tokenizer's script setting) before it is sent; "keep": as is.
  std::string script = "keep";
};

// Limits come from the server's flags (--max-tokens, --slots).
CompletionRequest parse_completion_request(const std::string& body, int64_t max_tokens_cap,
                                           int max_n);

// POST /v1/score: {"text": "..."}.
std::string parse_score_request(const std::string& body);

// The library's Error about a text the client sent (symbols the model does not know, too few
// symbols to score) as the client's mistake: a usage Error naming the request's `field`.
inline Error client_text_error(const Error& e, const std::string& field) {
  return Error(Error::Kind::usage, e.what(), e.hint(), field);
}

}  // namespace charrnn::serve
