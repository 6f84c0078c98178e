// form.cpp — the masks of form-aware generation (see form.h).
#include "generate/form.h"

#include <cmath>

#include "charrnn/error.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

// The code point of a one-code-point UTF-8 symbol, or -1.
int32_t code_point(const std::string& s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  if (s.size() == 3 && (b[0] >> 4) == 0xE)
    return ((b[0] & 0xF) << 12) | ((b[1] & 0x3F) << 6) | (b[2] & 0x3F);
  if (s.size() == 4 && (b[0] >> 3) == 0x1E)
    return ((b[0] & 0x7) << 18) | ((b[1] & 0x3F) << 12) | ((b[2] & 0x3F) << 6) | (b[3] & 0x3F);
  return -1;
}

bool is_han(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF);
}

int find(const std::vector<std::string>& symbols, const std::string& s) {
  for (size_t i = 0; i < symbols.size(); ++i)
    if (symbols[i] == s) return int(i);
  return -1;
}

}  // namespace

std::vector<std::string> split_code_points(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = size_t(utf8_length(static_cast<unsigned char>(text[i])));
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

FormConstraint::FormConstraint(const FormConfig& form, const std::vector<std::string>& symbols)
    : han_v_(symbols.size(), 0), chars_(form.chars) {
  if (form.chars != 0 && form.chars != 5 && form.chars != 7)
    fail_field("form", "must be 5 or 7 characters a line, got " + std::to_string(form.chars));
  if (form.lines < 0 || form.lines > 1000) fail_field("lines", "must be between 1 and 1000");
  lines_ = form.lines > 0 ? form.lines : !form.acrostic.empty() ? int(form.acrostic.size()) : 4;
  for (size_t i = 0; i < symbols.size(); ++i) han_v_[i] = is_han(code_point(symbols[i]));
  comma_ = find(symbols, "，");
  period_ = find(symbols, "。");
  newline_ = find(symbols, "\n");
  if (chars_ > 0 && (comma_ < 0 || period_ < 0))
    fail_field("form", "needs the model's vocabulary to hold ， and 。",
               "train on a corpus of poems");
  if (newline_ < 0) fail_field("form", "needs the model's vocabulary to hold a new line");
  for (const std::string& ch : form.acrostic) {
    const int id = find(symbols, ch);
    if (id < 0)
      fail_field("acrostic", "character " + ch + " is not in the model's vocabulary",
                 "choose others");
    first_.push_back(id);
  }
}

void FormConstraint::mask(float* logits_v) const {
  const int V = int(han_v_.size());
  auto only = [&](int keep) {
    for (int v = 0; v < V; ++v)
      if (v != keep) logits_v[v] = -INFINITY;
  };
  if (done()) return;
  if (need_newline_) return only(newline_);
  if (pos_ == 0 && line_ < int(first_.size())) return only(first_[size_t(line_)]);
  if (chars_ > 0 && pos_ == chars_) return only(line_ % 2 == 0 ? comma_ : period_);
  if (chars_ > 0) {  // a character of a fixed-length line: an ideograph
    for (int v = 0; v < V; ++v)
      if (!han_v_[size_t(v)]) logits_v[v] = -INFINITY;
  } else if (pos_ == 0) {  // a free line: anything, but it does not end before it begins
    logits_v[newline_] = -INFINITY;
  }
}

void FormConstraint::advance(int id) {
  if (need_newline_) {  // after 。 (or a free line's end): the next line begins
    need_newline_ = false;
    return;
  }
  if (chars_ == 0 && id == newline_) {
    ++line_;
    pos_ = 0;
    return;
  }
  if (chars_ > 0 && pos_ == chars_) {  // the punctuation closed the line
    ++line_;
    pos_ = 0;
    need_newline_ = id == period_ && line_ < lines_;
    return;
  }
  ++pos_;
}

}  // namespace charrnn
