// hash.h — SHA-256 of byte buffers and files, as lowercase hex (OpenSSL's libcrypto).
//
// Checkpoints record the SHA-256 of every tensor file and of the corpus, so that a loader can
// tell a complete file from a truncated or altered one without trusting sizes alone.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace charrnn {

// An incremental SHA-256: update() any number of times, then hex_digest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::string hex_digest();

 private:
  struct Context;  // OpenSSL's EVP_MD_CTX, kept out of this header
  std::unique_ptr<Context> ctx_;
};

std::string sha256_hex(const void* data, size_t size);
std::string sha256_file(const std::string& path);  // throws Error if unreadable

}  // namespace charrnn
