// tokenizer.cpp — UTF-8 validation, ICU normalization, code-point vocabulary and encoding.
#include "text/tokenizer.h"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include <algorithm>
#include <cstdio>
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

int utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  return 4;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid: no stray continuation
// bytes, no overlong forms, no surrogates, nothing above U+10FFFF, nothing cut off.
int valid_sequence_at(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  const int len = (c >= 0xc2 && c <= 0xdf)   ? 2
                  : (c >= 0xe0 && c <= 0xef) ? 3
                  : (c >= 0xf0 && c <= 0xf4) ? 4
                                             : 0;
  if (len == 0 || i + size_t(len) > s.size()) return 0;
  for (int k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + size_t(k)]) >> 6) != 0x2) return 0;
  const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
      (c == 0xf4 && c1 >= 0x90))
    return 0;
  return len;
}

}  // namespace

size_t find_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const int len = valid_sequence_at(s, i);
    if (len == 0) return i;
    i += size_t(len);
  }
  return std::string_view::npos;
}

void validate_utf8(std::string_view s, const std::string& source) {
  const size_t bad = find_invalid_utf8(s);
  if (bad == std::string_view::npos) return;
  const size_t line = size_t(std::count(s.begin(), s.begin() + long(bad), '\n')) + 1;
  const size_t line_start = s.rfind('\n', bad == 0 ? 0 : bad - 1);
  const size_t column =
      line_start == std::string_view::npos || bad == 0 ? bad + 1 : bad - line_start;
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(s[bad]));
  fail(source + ": invalid UTF-8 at byte offset " + std::to_string(bad) + " (line " +
           std::to_string(line) + ", column " + std::to_string(column) + "): byte " + byte,
       "convert the file to UTF-8 (e.g. iconv -f LATIN1 -t UTF-8), or set {on_invalid} to replace");
}

std::string repair_utf8(std::string_view s, size_t* replaced) {
  std::string out;
  out.reserve(s.size());
  *replaced = 0;
  for (size_t i = 0; i < s.size();) {
    const int len = valid_sequence_at(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER, one per invalid byte
      ++*replaced;
      ++i;
      continue;
    }
    out.append(s.substr(i, size_t(len)));
    i += size_t(len);
  }
  return out;
}

void grapheme_boundaries(std::string_view text, std::vector<size_t>& ends) {
  ends.clear();
  UErrorCode status = U_ZERO_ERROR;
  // UText reads the UTF-8 bytes in place: boundaries come back as byte offsets.
  UText* ut = utext_openUTF8(nullptr, text.data(), int64_t(text.size()), &status);
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) {
    utext_close(ut);
    fail(std::string("ICU grapheme segmentation unavailable: ") + u_errorName(status));
  }
  it->setText(ut, status);
  for (int32_t b = it->next(); b != icu::BreakIterator::DONE; b = it->next())
    ends.push_back(size_t(b));
  utext_close(ut);
}

std::string describe_symbol(std::string_view symbol) {
  unsigned char c = symbol.empty() ? 0 : static_cast<unsigned char>(symbol[0]);
  if (symbol.size() == 1 && (c < 0x20 || c == 0x7f)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", c);
    return buf;
  }
  return "'" + std::string(symbol) + "'";
}

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
