// utf8.cpp — UTF-8 at the edge of the tokenizer: validation with the place of the first bad
// byte, repair to U+FFFD, grapheme boundaries (ICU) and how a symbol is shown in messages.
#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "charrnn/error.h"
#include "text/tokenizer.h"

namespace charrnn {

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

}  // namespace charrnn
