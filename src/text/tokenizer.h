// tokenizer.h — UTF-8 text -> symbols -> ids, and back.
//
// prepare():  validate UTF-8 (errors name the byte offset, line and column), drop a leading
//             BOM, normalize with ICU (NFC by default). CR and LF are kept as they are: a CRLF
//             corpus has '\r' in its vocabulary (documented in README).
// symbols:    Unicode code points (the default unit) or extended grapheme clusters (ICU
//             BreakIterator: a family emoji, a flag, a letter with its combining marks is one
//             symbol). Each symbol is stored as its UTF-8 bytes.
// Vocabulary: symbols sorted by code point; the id of a symbol is its index. With --min-count
//             or --max-vocab, rarer symbols share one unknown symbol "<unk>" (the last id),
//             which generate never emits. The one-hot vector of id k is never built: the
//             model gathers row k of the embedding.
#pragma once

#include <unicode/translit.h>

#include <memory>
#include <mutex>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/options.h"

namespace charrnn {

enum class Unit { codepoint, grapheme };   // what one symbol is
enum class Normalize { nfc, nfkc, none };  // Unicode normalization
enum class OnInvalid { error, replace };   // invalid UTF-8: refuse, or U+FFFD
enum class Script { keep, simplified, traditional };
std::string unit_name(Unit u);
std::string normalize_name(Normalize n);
std::string on_invalid_name(OnInvalid o);
std::string script_name(Script s);

struct TokenizerConfig {
  Unit unit = Unit::codepoint;
  Normalize normalize = Normalize::nfc;
  OnInvalid on_invalid = OnInvalid::error;
  int64_t min_count = 1;  // symbols seen fewer times become <unk>
  int64_t max_vocab = 0;  // keep at most this many symbols, <unk> included (0: all)
  // Chinese script: simplified or traditional converts every text (corpus, prompts, eval
  // texts) with ICU's Hant-Hans / Hans-Hant transliterator after normalization; keep does not.
  Script script = Script::keep;
};

// The table of TokenizerConfig's settings (base/options.h): names, defaults, ranges, help.
const OptionTable<TokenizerConfig>& tokenizer_options();

// The unknown symbol's spelling. No code point or grapheme is spelled this way (it is five
// symbols in either unit), so it can never collide with a real symbol.
constexpr const char* kUnknownSymbol = "<unk>";

class Vocabulary {
 public:
  Vocabulary() = default;
  // ids in the given order; `unknown_id` is the id of <unk>, or -1 when there is none.
  explicit Vocabulary(std::vector<std::string> symbols, int unknown_id = -1);

  int size() const { return int(symbols_.size()); }
  int unknown_id() const { return unknown_id_; }
  const std::string& symbol(int id) const { return symbols_[size_t(id)]; }
  const std::vector<std::string>& symbols() const { return symbols_; }
  int find(std::string_view symbol) const;  // -1 when absent

 private:
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, int> index_;
  int unknown_id_ = -1;
};

class Tokenizer {
 public:
  explicit Tokenizer(TokenizerConfig config);
  const TokenizerConfig& config() const { return config_; }

  // Validated (or repaired), BOM-less, normalized UTF-8. `source` names it in errors.
  std::string prepare(std::string_view raw, const std::string& source) const;
  // Calls f(symbol) for each symbol of prepared text, in order.
  template <class F>
  void for_each_symbol(std::string_view prepared, F&& f) const;
  // The distinct symbols of `prepared`, sorted by code point, with --min-count / --max-vocab
  // applied (then <unk> is appended).
  Vocabulary build_vocabulary(std::string_view prepared) const;
  // Fine-tuning (train --init-from): the parent's symbols keep their ids, and the symbols of
  // `added` the parent lacks follow, in `added`'s order (code point order); <unk> stays the
  // parent's.
  static Vocabulary extend_vocabulary(const Vocabulary& parent, const Vocabulary& added);
  // One id per symbol. Symbols missing from `vocab` map to <unk> when it has one; otherwise
  // they are an error that lists them.
  std::vector<int32_t> encode(const Vocabulary& vocab, std::string_view prepared,
                              const std::string& source) const {
    return encode_as<int32_t>(vocab, prepared, source);
  }
  // The same into ids of type Id (int32_t, or uint16_t for a vocabulary of at most 65,536).
  template <class Id>
  std::vector<Id> encode_as(const Vocabulary& vocab, std::string_view prepared,
                            const std::string& source) const;

 private:
  TokenizerConfig config_;
  // The transliterator for `script` (null for "keep"), shared by copies; ICU's transliterate()
  // is not documented as thread-safe, so calls are serialized.
  std::shared_ptr<const icu::Transliterator> script_;
  std::shared_ptr<std::mutex> script_mu_;
};

// Throws Error naming `source`, the byte offset, line and column of the first invalid byte.
void validate_utf8(std::string_view bytes, const std::string& source);
// Byte offset of the first invalid UTF-8 sequence, or npos.
size_t find_invalid_utf8(std::string_view bytes);
// Every invalid byte replaced by U+FFFD; *replaced counts them.
std::string repair_utf8(std::string_view bytes, size_t* replaced);
// Byte offsets where grapheme clusters end in valid UTF-8 `text` (ICU BreakIterator).
void grapheme_boundaries(std::string_view text, std::vector<size_t>& ends);

// Length in bytes of the UTF-8 sequence starting with lead byte `lead` (valid input only).
int utf8_length(unsigned char lead);
// Human-readable form of a symbol for messages: printable as is, control characters as U+XXXX.
std::string describe_symbol(std::string_view symbol);

template <class F>
void Tokenizer::for_each_symbol(std::string_view text, F&& f) const {
  if (config_.unit == Unit::grapheme) {
    // Segment in slices that end at a line feed: a grapheme never spans CR LF | next line,
    // and the slices keep ICU's working set small on a large corpus.
    std::vector<size_t> ends;
    size_t start = 0;
    while (start < text.size()) {
      size_t stop = std::min(text.size(), start + (size_t(1) << 20));
      if (stop < text.size()) {
        size_t nl = text.find('\n', stop);
        stop = nl == std::string_view::npos ? text.size() : nl + 1;
      }
      grapheme_boundaries(text.substr(start, stop - start), ends);
      size_t prev = 0;
      for (size_t e : ends) {
        f(text.substr(start + prev, e - prev));
        prev = e;
      }
      start = stop;
    }
    return;
  }
  for (size_t i = 0; i < text.size();) {
    size_t len = size_t(utf8_length(static_cast<unsigned char>(text[i])));
    f(text.substr(i, len));
    i += len;
  }
}

}  // namespace charrnn
