// tokenizer.cpp — ICU normalization and script conversion, the code-point vocabulary and
// encoding (UTF-8 validation and repair: utf8.cpp).
#include "text/tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "charrnn/error.h"

namespace charrnn {
namespace {

// ICU normalizes in chunks that end just before a '\n': a line feed is a normalization
// boundary (it never composes), so chunked output equals whole-text output while the
// UTF-16 copies ICU needs stay small for a large corpus.
constexpr size_t kNormalizeChunk = 1 << 20;

const icu::Normalizer2* normalizer_for(Normalize form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (form) {
    case Normalize::nfc:
      n = icu::Normalizer2::getNFCInstance(status);
      break;
    case Normalize::nfkc:
      n = icu::Normalizer2::getNFKCInstance(status);
      break;
    case Normalize::none:
      return nullptr;
  }
  if (U_FAILURE(status)) fail(std::string("ICU normalizer unavailable: ") + u_errorName(status));
  return n;
}

// Normalizes (n may be null: none) and transliterates (t may be null) one chunk onto `out`.
void transform_chunk(const icu::Normalizer2* n, const icu::Transliterator* t, std::mutex* t_mu,
                     std::string_view chunk, std::string& out) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(chunk.data(), int32_t(chunk.size())));
  if (n) {
    u = n->normalize(u, status);
    if (U_FAILURE(status)) fail(std::string("ICU normalization failed: ") + u_errorName(status));
  }
  if (t) {
    std::lock_guard<std::mutex> lock(*t_mu);
    t->transliterate(u);
  }
  u.toUTF8String(out);
}

// ICU's transliterator for the script setting, or null for keep.
std::shared_ptr<const icu::Transliterator> transliterator_for(Script script) {
  const char* id = nullptr;
  switch (script) {
    case Script::keep:
      return nullptr;
    case Script::simplified:
      id = "Hant-Hans";
      break;
    case Script::traditional:
      id = "Hans-Hant";
      break;
  }
  UErrorCode status = U_ZERO_ERROR;
  std::shared_ptr<const icu::Transliterator> t(icu::Transliterator::createInstance(
      icu::UnicodeString::fromUTF8(id), UTRANS_FORWARD, status));
  if (U_FAILURE(status) || !t)
    fail(std::string("ICU transliterator ") + id + " unavailable: " + u_errorName(status));
  return t;
}

}  // namespace

Vocabulary::Vocabulary(std::vector<std::string> symbols, int unknown_id)
    : symbols_(std::move(symbols)), unknown_id_(unknown_id) {
  for (size_t i = 0; i < symbols_.size(); ++i) {
    if (!index_.emplace(symbols_[i], int(i)).second)
      fail("vocabulary lists the symbol " + describe_symbol(symbols_[i]) + " twice");
  }
  if (unknown_id >= size() || (unknown_id >= 0 && symbols_[size_t(unknown_id)] != kUnknownSymbol))
    fail("vocabulary's unknown_id does not point at " + std::string(kUnknownSymbol));
}

int Vocabulary::find(std::string_view symbol) const {
  auto it = index_.find(std::string(symbol));
  return it == index_.end() ? -1 : it->second;
}

std::string unit_name(Unit u) {
  switch (u) {
    case Unit::codepoint:
      return "codepoint";
    case Unit::grapheme:
      return "grapheme";
  }
  return "?";
}

std::string normalize_name(Normalize n) {
  switch (n) {
    case Normalize::nfc:
      return "nfc";
    case Normalize::nfkc:
      return "nfkc";
    case Normalize::none:
      return "none";
  }
  return "?";
}

std::string on_invalid_name(OnInvalid o) {
  switch (o) {
    case OnInvalid::error:
      return "error";
    case OnInvalid::replace:
      return "replace";
  }
  return "?";
}

std::string script_name(Script s) {
  switch (s) {
    case Script::keep:
      return "keep";
    case Script::simplified:
      return "simplified";
    case Script::traditional:
      return "traditional";
  }
  return "?";
}

const OptionTable<TokenizerConfig>& tokenizer_options() {
  using C = TokenizerConfig;
  static const OptionTable<C> table({
      choice<C, Unit>(
          spec("unit", "Data", "what one symbol is: a code point or a grapheme cluster"),
          [](C& c) -> Unit& { return c.unit; }, {Unit::codepoint, Unit::grapheme}, unit_name),
      choice<C, Normalize>(
          spec("normalize", "Data", "Unicode normalization of every text"),
          [](C& c) -> Normalize& { return c.normalize; },
          {Normalize::nfc, Normalize::nfkc, Normalize::none}, normalize_name),
      choice<C, OnInvalid>(
          spec("on_invalid", "Data", "invalid UTF-8: refuse it, or replace it with U+FFFD"),
          [](C& c) -> OnInvalid& { return c.on_invalid; }, {OnInvalid::error, OnInvalid::replace},
          on_invalid_name),
      option<C, int64_t>(
          spec("min_count", "Data", "symbols seen fewer times become <unk>").at_least(1),
          [](C& c) -> int64_t& { return c.min_count; }),
      option<C, int64_t>(spec("max_vocab", "Data",
                              "keep the most frequent symbols, <unk> included (0: all; else >= 2)")
                             .at_least(0),
                         [](C& c) -> int64_t& { return c.max_vocab; }),
      choice<C, Script>(
          spec("script", "Data",
               "Chinese script of every text (corpus, prompts): converted, or kept"),
          [](C& c) -> Script& { return c.script; },
          {Script::simplified, Script::traditional, Script::keep}, script_name),
  });
  return table;
}

Tokenizer::Tokenizer(TokenizerConfig config) : config_(std::move(config)) {
  tokenizer_options().validate(config_);
  if (config_.max_vocab == 1) fail_field("max_vocab", "must be 0 (no limit) or at least 2");
  script_ = transliterator_for(config_.script);
  if (script_) script_mu_ = std::make_shared<std::mutex>();
}

std::string Tokenizer::prepare(std::string_view raw, const std::string& source) const {
  std::string repaired;
  if (config_.on_invalid == OnInvalid::replace) {
    size_t replaced = 0;
    repaired = repair_utf8(raw, &replaced);
    raw = repaired;
  } else {
    validate_utf8(raw, source);
  }
  if (raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);  // BOM: not part of the text
  const icu::Normalizer2* n = normalizer_for(config_.normalize);
  if (!n && !script_) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = std::min(raw.size(), start + kNormalizeChunk);
    if (end < raw.size()) {
      size_t nl = raw.rfind('\n', end);
      end = (nl != std::string_view::npos && nl > start) ? nl : raw.size();
    }
    transform_chunk(n, script_.get(), script_mu_.get(), raw.substr(start, end - start), out);
    start = end;
  }
  return out;
}

namespace {

constexpr uint32_t kCodePoints = 0x110000;
// Texts this long (a corpus, not a prompt) take tables indexed by code point (4-9 MB, filled
// once), which make counting and encoding a few times faster than hashing each symbol.
constexpr size_t kDenseTables = size_t(1) << 20;

// The code point of the valid UTF-8 sequence of `len` bytes at p.
uint32_t decode(const unsigned char* p, int len) {
  switch (len) {
    case 1:
      return p[0];
    case 2:
      return uint32_t(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
    case 3:
      return uint32_t(p[0] & 0x0f) << 12 | uint32_t(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
    default:
      return uint32_t(p[0] & 0x07) << 18 | uint32_t(p[1] & 0x3f) << 12 |
             uint32_t(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
  }
}

std::string encode_utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += char(0xe0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xf0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3f));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
  return out;
}

// Calls f(code point, offset) for each code point of valid UTF-8 `text`: the code-point unit's
// fast path (no string per symbol, no hashing).
template <class F>
void for_each_code_point(std::string_view text, F&& f) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    const int len = utf8_length(p[i]);
    f(decode(p + i, len), i);
    i += size_t(len);
  }
}

}  // namespace

Vocabulary Tokenizer::build_vocabulary(std::string_view text) const {
  std::unordered_map<std::string, int64_t> counts;
  if (config_.unit == Unit::codepoint && text.size() >= kDenseTables) {
    std::vector<int64_t> by_cp(kCodePoints, 0);
    for_each_code_point(text, [&](uint32_t cp, size_t) { ++by_cp[cp]; });
    for (uint32_t cp = 0; cp < kCodePoints; ++cp)
      if (by_cp[cp] > 0) counts[encode_utf8(cp)] = by_cp[cp];
  } else {
    for_each_symbol(text, [&](std::string_view sym) { ++counts[std::string(sym)]; });
  }
  std::vector<std::pair<std::string, int64_t>> kept;
  for (auto& [sym, n] : counts)
    if (n >= config_.min_count) kept.emplace_back(sym, n);
  bool dropped = kept.size() < counts.size();
  if (config_.max_vocab > 0 && int64_t(kept.size()) > config_.max_vocab) {
    // The most frequent first (ties by code point), keeping one id for <unk>.
    std::sort(kept.begin(), kept.end(), [](auto& a, auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    kept.resize(size_t(config_.max_vocab - 1));
    dropped = true;
  }
  std::vector<std::string> symbols;
  for (auto& kv : kept) symbols.push_back(kv.first);
  std::sort(symbols.begin(), symbols.end());  // UTF-8 byte order is code point order
  if (!dropped) return Vocabulary(std::move(symbols));
  symbols.push_back(kUnknownSymbol);
  const int unk = int(symbols.size()) - 1;
  return Vocabulary(std::move(symbols), unk);
}

Vocabulary Tokenizer::extend_vocabulary(const Vocabulary& parent, const Vocabulary& added) {
  std::vector<std::string> symbols = parent.symbols();
  for (const std::string& s : added.symbols())
    if (parent.find(s) < 0 && s != kUnknownSymbol) symbols.push_back(s);
  return Vocabulary(std::move(symbols), parent.unknown_id());
}

template <class Id>
std::vector<Id> Tokenizer::encode_as(const Vocabulary& vocab, std::string_view text,
                                     const std::string& source) const {
  // Reserve once: the code point count is exact for that unit and an upper bound for
  // graphemes, so a large corpus never needs a reallocation (which would briefly double it).
  size_t codepoints = 0;
  for (char c : text) codepoints += (static_cast<unsigned char>(c) >> 6) != 0x2;
  std::vector<Id> ids;
  ids.reserve(codepoints);
  std::map<std::string, size_t> unknown;  // symbol -> first byte offset
  auto missing = [&](std::string_view sym, size_t offset) {
    const int id = vocab.unknown_id();
    if (id < 0) unknown.emplace(std::string(sym), offset);
    return id;
  };
  if (config_.unit == Unit::codepoint && text.size() >= kDenseTables) {
    std::vector<int32_t> id_of(kCodePoints, -1);
    for (int id = 0; id < vocab.size(); ++id) {
      const std::string& sym = vocab.symbol(id);
      const int len = utf8_length(static_cast<unsigned char>(sym[0]));
      if (size_t(len) == sym.size() && sym != kUnknownSymbol)
        id_of[decode(reinterpret_cast<const unsigned char*>(sym.data()), len)] = id;
    }
    for_each_code_point(text, [&](uint32_t cp, size_t offset) {
      const int32_t id = id_of[cp];
      ids.push_back(
          Id(id >= 0 ? id
                     : missing(text.substr(offset, size_t(utf8_length(
                                                       static_cast<unsigned char>(text[offset])))),
                               offset)));
    });
  } else {
    for_each_symbol(text, [&](std::string_view sym) {
      const int id = vocab.find(sym);
      ids.push_back(Id(id >= 0 ? id : missing(sym, size_t(sym.data() - text.data()))));
    });
  }
  if (!unknown.empty()) {
    std::string list;
    int shown = 0;
    for (auto& [sym, offset] : unknown) {
      if (shown++ == 8) {
        list += ", ...";
        break;
      }
      list +=
          (list.empty() ? "" : ", ") + describe_symbol(sym) + " at byte " + std::to_string(offset);
    }
    fail(source + ": " + std::to_string(unknown.size()) +
             " symbol(s) not in the model's vocabulary: " + list,
         "remove them, or train on a corpus that contains them (or with {min_count} or "
         "{max_vocab}, so that rare symbols become <unk>)");
  }
  return ids;
}

template std::vector<int32_t> Tokenizer::encode_as<int32_t>(const Vocabulary&, std::string_view,
                                                            const std::string&) const;
template std::vector<uint16_t> Tokenizer::encode_as<uint16_t>(const Vocabulary&, std::string_view,
                                                              const std::string&) const;

}  // namespace charrnn
