// fuzz_model_json.cpp — libFuzzer target: any bytes as model.json. parse_model_json must
// either accept them or throw charrnn::Error naming the file.
#include <cstdint>
#include <string>

#include "charrnn/error.h"
#include "checkpoint/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    charrnn::parse_model_json(std::string(reinterpret_cast<const char*>(data), size), "model.json");
  } catch (const charrnn::Error&) {
  }
  return 0;
}
