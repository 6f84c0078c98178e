// sha256.h — SHA-256 (FIPS 180-4) of byte buffers and files, as lowercase hex.
//
// Checkpoints record the SHA-256 of every tensor file and of the corpus, so that a loader can
// tell a complete file from a truncated or altered one without trusting sizes alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace charrnn {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void compress(const uint8_t* block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string sha256_hex(const void* data, size_t size);
std::string sha256_file(const std::string& path);  // throws Error if unreadable

}  // namespace charrnn
