// request.cpp — parsing and validating request bodies (see request.h).
#include "serve/request.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

#include "charrnn/error.h"

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

std::string plain(double x) {  // 0, 0.5, 100: as a person writes them
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
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

double number(const json& j, const char* key, double lo, double hi, bool lo_open, double fallback) {
  const json& v = field(j, key);
  if (v.is_null()) return fallback;
  const double x = v.is_number() ? v.get<double>() : std::nan("");
  if (!std::isfinite(x) || x < lo || x > hi || (lo_open && x == lo))
    fail_field(key, std::string("must be a number in ") + (lo_open ? "(" : "[") + plain(lo) + ", " +
                        plain(hi) + "]");
  return x;
}

std::vector<std::string> stops(const json& j) {
  const json& v = field(j, "stop");
  if (v.is_null()) return {};
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array() || v.size() > kMaxStops)
    fail_field("stop",
               "must be a string or a list of at most " + std::to_string(kMaxStops) + " strings");
  std::vector<std::string> out;
  for (const json& s : v) {
    if (!s.is_string() || s.get<std::string>().empty() || s.get<std::string>().size() > 256)
      fail_field("stop", "must hold non-empty strings of at most 256 bytes");
    out.push_back(s.get<std::string>());
  }
  return out;
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
  r.temperature = number(j, "temperature", 0, 100, false, 1.0);
  r.top_p = number(j, "top_p", 0, 1, true, 1.0);
  r.top_k = int(integer(j, "top_k", 0, 1 << 21, 0));
  const json& seed = field(j, "seed");
  if (!seed.is_null()) {
    if (!seed.is_number_integer() ||
        (seed.is_number_integer() && !seed.is_number_unsigned() && seed.get<int64_t>() < 0))
      fail_field("seed", "must be a non-negative integer");
    r.seed = seed.get<uint64_t>();
  }
  r.n = int(integer(j, "n", 1, max_n, 1));
  r.stop = stops(j);
  const json& stream = field(j, "stream");
  if (!stream.is_null() && !stream.is_boolean()) fail_field("stream", "must be true or false");
  r.stream = stream.is_boolean() && stream.get<bool>();
  r.form = int(integer(j, "form", 0, 7, 0));
  r.lines = int(integer(j, "lines", 0, 1000, 0));
  const json& acrostic = field(j, "acrostic");
  if (!acrostic.is_null() && (!acrostic.is_string() || acrostic.get<std::string>().size() > 1024))
    fail_field("acrostic", "must be a string of at most 1024 bytes");
  if (acrostic.is_string()) r.acrostic = acrostic.get<std::string>();
  return r;
}

std::string parse_score_request(const std::string& body) {
  const json j = parse_object(body);
  const json& text = field(j, "text");
  if (!text.is_string()) fail_field("text", "must be a string");
  return text.get<std::string>();
}

}  // namespace charrnn::serve
