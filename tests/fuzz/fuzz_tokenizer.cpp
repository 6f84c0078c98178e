// fuzz_tokenizer.cpp — libFuzzer target: any bytes as corpus text, through both invalid-input
// policies, both symbol units and NFC/NFKC, into a vocabulary and back. Round trips must hold.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "charrnn/error.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  charrnn::TokenizerConfig cfg;
  cfg.unit = data[0] & 1 ? charrnn::Unit::grapheme : charrnn::Unit::codepoint;
  cfg.normalize = data[0] & 2 ? charrnn::Normalize::nfkc : charrnn::Normalize::nfc;
  cfg.on_invalid = data[0] & 4 ? charrnn::OnInvalid::replace : charrnn::OnInvalid::error;
  cfg.max_vocab = data[0] & 8 ? 5 : 0;
  const std::string raw(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    charrnn::Tokenizer tok(cfg);
    const std::string text = tok.prepare(raw, "fuzz");
    if (charrnn::find_invalid_utf8(text) != std::string::npos)
      std::abort();  // prepare() output is UTF-8
    charrnn::Vocabulary vocab = tok.build_vocabulary(text);
    std::string back;
    const std::vector<int32_t> ids = tok.encode(vocab, text, "fuzz");
    for (int32_t id : ids) back += vocab.symbol(id);
    // The 16-bit encoding is the same ids.
    const std::vector<uint16_t> narrow = tok.encode_as<uint16_t>(vocab, text, "fuzz");
    for (size_t i = 0; i < ids.size(); ++i)
      if (narrow[i] != uint16_t(ids[i])) std::abort();
    if (vocab.unknown_id() < 0 && back != text)
      std::abort();  // every symbol kept: exact round trip
  } catch (const charrnn::Error&) {
  }
  return 0;
}
