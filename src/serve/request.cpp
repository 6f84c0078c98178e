// request.cpp — parsing and validating request bodies (see request.h).
#include "serve/request.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

#include "charrnn/error.h"
#include "generate/sampler.h"
#include "text/tokenizer.h"

namespace charrnn::serve {
namespace {

using json = nlohmann::json;

// Refuses nesting deeper than kMaxJsonDepth before parsing, counting brackets outside strings.
void check_depth(const std::string& body) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxJsonDepth)
        fail_usage("the body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
}

json parse_object(const std::string& body) {
  check_depth(body);
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) fail_usage("the body is not valid JSON (UTF-8)", "send a JSON object");
  if (!j.is_object()) fail_usage("the body must be a JSON object");
  return j;
}

// The value of `key`, or null when absent (null counts as absent, as clients send it).
const json& field(const json& j, const char* key) {
  static const json null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

int64_t integer(const json& j, const char* key, int64_t lo, int64_t hi, int64_t fallback) {
  const json& v = field(j, key);
  if (v.is_null()) return fallback;
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) ||
      v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    fail_field(key,
               "must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v.get<int64_t>();
}

}  // namespace

CompletionRequest parse_completion_request(const std::string& body, int64_t max_tokens_cap,
                                           int max_n) {
  const json j = parse_object(body);
  CompletionRequest r;
  const json& prompt = field(j, "prompt");
  if (prompt.is_array() && prompt.size() == 1 && prompt[0].is_string())
    r.prompt = prompt[0];  // ["text"]
  else if (prompt.is_string())
    r.prompt = prompt.get<std::string>();
  else if (!prompt.is_null())
    fail_field("prompt", "must be a string");
  r.max_tokens = integer(j, "max_tokens", 0, max_tokens_cap, std::min<int64_t>(16, max_tokens_cap));
  r.n = int(integer(j, "n", 1, max_n, 1));
  const json& stream = field(j, "stream");
  if (!stream.is_null() && !stream.is_boolean()) fail_field("stream", "must be true or false");
  r.stream = stream.is_boolean() && stream.get<bool>();
  // The sampling fields: the table's checks, then the limits a server adds.
  json sampling = json::object();
  for (const auto& row : sample_options_table().rows()) {
    const json& v = field(j, row.spec.name.c_str());
    if (!v.is_null()) sampling[row.spec.name] = v;
  }
  sample_options_table().from_json(sampling, r.sample);
  validate_sample_config(r.sample);
  r.seeded = sampling.contains("seed");
  if (r.sample.stop.size() > kMaxStops)
    fail_field("stop",
               "must be a string or a list of at most " + std::to_string(kMaxStops) + " strings");
  for (const std::string& s : r.sample.stop)
    if (s.empty() || s.size() > 256)
      fail_field("stop", "must hold non-empty strings of at most 256 bytes");
  const json& script = field(j, "script");
  if (!script.is_null())
    r.script = tokenizer_options().find("script")->spec.checked(script).get<std::string>();
  if (r.sample.acrostic.size() > 1024)
    fail_field("acrostic", "must be a string of at most 1024 bytes");
  return r;
}

std::string parse_score_request(const std::string& body) {
  const json j = parse_object(body);
  const json& text = field(j, "text");
  if (!text.is_string()) fail_field("text", "must be a string");
  return text.get<std::string>();
}

}  // namespace charrnn::serve
