// fuzz_safetensors.cpp — libFuzzer target: any bytes as a .safetensors file. The reader must
// either accept them or throw charrnn::Error: no crash, no hang, no huge allocation.
#include <cstdint>
#include <string>

#include "charrnn/error.h"
#include "checkpoint/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    charrnn::SafetensorsReader reader(std::string(reinterpret_cast<const char*>(data), size),
                                      "fuzz.safetensors");
    for (const std::string& name : reader.names()) {
      const std::vector<int64_t> shape = reader.shape(name);
      uint64_t n = 1;
      for (int64_t d : shape) n *= uint64_t(d);
      if (n <= (1u << 20)) {
        std::vector<float> buf(n);
        reader.read(name, shape, buf.data());
      }
    }
  } catch (const charrnn::Error&) {
  }
  return 0;
}
