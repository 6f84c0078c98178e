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
  cfg.unit = data[0] & 1 ? "grapheme" : "codepoint";
  cfg.normalize = data[0] & 2 ? "nfkc" : "nfc";
  cfg.on_invalid = data[0] & 4 ? "replace" : "error";
  cfg.max_vocab = data[0] & 8 ? 5 : 0;
  const std::string raw(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    charrnn::Tokenizer tok(cfg);
    const std::string text = tok.prepare(raw, "fuzz");
    if (charrnn::find_invalid_utf8(text) != std::string::npos)
      std::abort();  // prepare() output is UTF-8
    charrnn::Vocabulary vocab = tok.build_vocabulary(text);
    std::string back;
    for (int32_t id : tok.encode(vocab, text, "fuzz")) back += vocab.symbol(id);
    if (vocab.unknown_id() < 0 && back != text)
      std::abort();  // every symbol kept: exact round trip
  } catch (const charrnn::Error&) {
  }
  return 0;
}
