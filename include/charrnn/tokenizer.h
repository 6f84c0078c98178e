// tokenizer.h — UTF-8 text -> symbols -> ids, and back.
//
// prepare():  validate UTF-8 (errors name the byte offset, line and column), drop a leading
//             BOM, normalize with ICU (NFC by default). CR and LF are kept as they are: a CRLF
//             corpus has '\r' in its vocabulary (documented in README).
// symbols:    Unicode code points (the default unit). Each symbol is stored as its UTF-8 bytes.
// Vocabulary: symbols sorted by code point; the id of a symbol is its index. The one-hot
//             vector of id k is never built: the model gathers row k of the embedding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace charrnn {

struct TokenizerConfig {
  std::string unit = "codepoint";  // what one symbol is: "codepoint"
  std::string normalize = "nfc";   // Unicode normalization: "nfc", "nfkc" or "none"
};

class Vocabulary {
 public:
  Vocabulary() = default;
  explicit Vocabulary(std::vector<std::string> symbols);  // ids in the given order

  int size() const { return int(symbols_.size()); }
  const std::string& symbol(int id) const { return symbols_[size_t(id)]; }
  const std::vector<std::string>& symbols() const { return symbols_; }
  int find(std::string_view symbol) const;  // -1 when absent

 private:
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, int> index_;
};

class Tokenizer {
 public:
  explicit Tokenizer(TokenizerConfig config);
  const TokenizerConfig& config() const { return config_; }

  // Validated, BOM-less, normalized UTF-8. `source` names the text in error messages.
  std::string prepare(std::string_view raw, const std::string& source) const;
  // Every distinct symbol of `prepared`, sorted by code point.
  Vocabulary build_vocabulary(std::string_view prepared) const;
  // One id per symbol. Symbols missing from `vocab` are an error that lists them.
  std::vector<int32_t> encode(const Vocabulary& vocab, std::string_view prepared,
                              const std::string& source) const;

 private:
  TokenizerConfig config_;
};

// Throws Error naming `source`, the byte offset, line and column of the first invalid byte.
void validate_utf8(std::string_view bytes, const std::string& source);
// Length in bytes of the UTF-8 sequence starting with lead byte `lead` (valid input only).
int utf8_length(unsigned char lead);
// Human-readable form of a symbol for messages: printable as is, control characters as U+XXXX.
std::string describe_symbol(std::string_view symbol);

}  // namespace charrnn
