// tokenizer.cpp — UTF-8 validation, ICU normalization, code-point vocabulary and encoding.
#include "charrnn/tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "charrnn/error.h"

namespace charrnn {
namespace {

// ICU normalizes in chunks that end just before a '\n': a line feed is a normalization
// boundary (it never composes), so chunked output equals whole-text output while the
// UTF-16 copies ICU needs stay small for a large corpus.
constexpr size_t kNormalizeChunk = 1 << 20;

const icu::Normalizer2* normalizer_for(const std::string& form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  if (form == "nfc") n = icu::Normalizer2::getNFCInstance(status);
  else if (form == "nfkc") n = icu::Normalizer2::getNFKCInstance(status);
  else if (form == "none") return nullptr;
  else fail_usage("unknown normalization '" + form + "'", "use nfc, nfkc or none");
  if (U_FAILURE(status)) fail(std::string("ICU normalizer unavailable: ") + u_errorName(status));
  return n;
}

void normalize_chunk(const icu::Normalizer2& n, std::string_view chunk, std::string& out) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(chunk.data(), int32_t(chunk.size())));
  icu::UnicodeString normalized = n.normalize(u, status);
  if (U_FAILURE(status)) fail(std::string("ICU normalization failed: ") + u_errorName(status));
  normalized.toUTF8String(out);
}

}  // namespace

int utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  return 4;
}

void validate_utf8(std::string_view s, const std::string& source) {
  size_t line = 1, line_start = 0, i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\n') { ++line; line_start = i + 1; }
      ++i;
      continue;
    }
    int len = (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
            : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
    bool ok = len > 0 && i + size_t(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (ok && len >= 3) {  // no overlong forms, no surrogates, nothing above U+10FFFF
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      if (c == 0xe0 && c1 < 0xa0) ok = false;
      if (c == 0xed && c1 >= 0xa0) ok = false;
      if (c == 0xf0 && c1 < 0x90) ok = false;
      if (c == 0xf4 && c1 >= 0x90) ok = false;
    }
    if (!ok) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", c);
      fail(source + ": invalid UTF-8 at byte offset " + std::to_string(i) + " (line " +
               std::to_string(line) + ", column " + std::to_string(i - line_start + 1) +
               "): byte " + byte,
           "convert the file to UTF-8 first, e.g. iconv -f LATIN1 -t UTF-8 FILE > FILE.utf8");
    }
    i += size_t(len);
  }
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

Vocabulary::Vocabulary(std::vector<std::string> symbols) : symbols_(std::move(symbols)) {
  for (size_t i = 0; i < symbols_.size(); ++i) {
    if (!index_.emplace(symbols_[i], int(i)).second)
      fail("vocabulary lists the symbol " + describe_symbol(symbols_[i]) + " twice");
  }
}

int Vocabulary::find(std::string_view symbol) const {
  auto it = index_.find(std::string(symbol));
  return it == index_.end() ? -1 : it->second;
}

Tokenizer::Tokenizer(TokenizerConfig config) : config_(std::move(config)) {
  if (config_.unit != "codepoint")
    fail_usage("unknown symbol unit '" + config_.unit + "'", "use --unit codepoint");
  normalizer_for(config_.normalize);  // rejects unknown forms early
}

std::string Tokenizer::prepare(std::string_view raw, const std::string& source) const {
  validate_utf8(raw, source);
  if (raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);  // BOM: not part of the text
  const icu::Normalizer2* n = normalizer_for(config_.normalize);
  if (!n) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = std::min(raw.size(), start + kNormalizeChunk);
    if (end < raw.size()) {
      size_t nl = raw.rfind('\n', end);
      end = (nl != std::string_view::npos && nl > start) ? nl : raw.size();
    }
    normalize_chunk(*n, raw.substr(start, end - start), out);
    start = end;
  }
  return out;
}

Vocabulary Tokenizer::build_vocabulary(std::string_view text) const {
  std::set<std::string> seen;  // UTF-8 byte order is code point order
  for (size_t i = 0; i < text.size();) {
    int len = utf8_length(static_cast<unsigned char>(text[i]));
    seen.emplace(text.substr(i, size_t(len)));
    i += size_t(len);
  }
  return Vocabulary(std::vector<std::string>(seen.begin(), seen.end()));
}

std::vector<int32_t> Tokenizer::encode(const Vocabulary& vocab, std::string_view text,
                                       const std::string& source) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  std::map<std::string, size_t> unknown;  // symbol -> first byte offset
  for (size_t i = 0; i < text.size();) {
    size_t len = size_t(utf8_length(static_cast<unsigned char>(text[i])));
    std::string_view sym = text.substr(i, len);
    int id = vocab.find(sym);
    if (id < 0) unknown.emplace(std::string(sym), i);
    ids.push_back(id);
    i += len;
  }
  if (!unknown.empty()) {
    std::string list;
    int shown = 0;
    for (auto& [sym, offset] : unknown) {
      if (shown++ == 8) { list += ", ..."; break; }
      list += (list.empty() ? "" : ", ") + describe_symbol(sym) + " at byte " + std::to_string(offset);
    }
    fail(source + ": " + std::to_string(unknown.size()) +
             " symbol(s) not in the model's vocabulary: " + list,
         "remove them, or train on a corpus that contains them");
  }
  return ids;
}

}  // namespace charrnn
