// fuzz_request.cpp — libFuzzer target: any bytes as the body of POST /v1/completions and
// POST /v1/score. The parsers must accept them or throw charrnn::Error (an HTTP 400), never
// crash, hang or exhaust memory.
#include <cstdint>
#include <string>

#include "charrnn/error.h"
#include "serve/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    charrnn::serve::parse_completion_request(body, 4096, 16);
  } catch (const charrnn::Error&) {
  }
  try {
    charrnn::serve::parse_score_request(body);
  } catch (const charrnn::Error&) {
  }
  return 0;
}
