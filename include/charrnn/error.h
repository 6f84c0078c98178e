// error.h — the one exception type the library throws.
//
// Library code never prints and never exits: it throws charrnn::Error with what went wrong
// (naming the file, position or field) and, where one exists, a hint that says how to fix it.
// A bad value of a setting names the setting as a field ("temperature must be between 0 and
// 100"), not as a command-line flag: the charrnn command shows it as its flag (--temperature),
// a server as the request's parameter. Inside the library's texts a setting is written
// {name}; what() and hint() show it as name, what_as() and hint_as() as the caller spells
// settings. The cli maps Error::Kind to the documented exit codes (usage -> 2, runtime -> 1)
// and prints "charrnn: <what>" plus "hint: <hint>".
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace charrnn {

class Error : public std::runtime_error {
 public:
  enum class Kind { usage, runtime };

  using Speller = std::function<std::string(const std::string& setting)>;

  Error(Kind kind, const std::string& what, std::string hint = {}, std::string field = {})
      : std::runtime_error(spelled(what, plain)),
        kind_(kind),
        what_(what),
        hint_(std::move(hint)),
        plain_hint_(spelled(hint_, plain)),
        field_(std::move(field)) {}

  Kind kind() const { return kind_; }
  const std::string& hint() const { return plain_hint_; }
  // The setting the message is about ("top_k"), which the message starts with; empty if none.
  const std::string& field() const { return field_; }
  // The message and hint with every setting spelled by `spell` ("--top-k" on a command line).
  std::string what_as(const Speller& spell) const { return spelled(what_, spell); }
  std::string hint_as(const Speller& spell) const { return spelled(hint_, spell); }

  // `text` with each {name} (lower case, digits, '_') replaced by spell(name).
  static std::string spelled(const std::string& text, const Speller& spell) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      const size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
      bool name = close != std::string::npos && close > i + 1;
      for (size_t k = i + 1; name && k < close; ++k)
        name = (text[k] >= 'a' && text[k] <= 'z') || (text[k] >= '0' && text[k] <= '9') ||
               text[k] == '_';
      if (!name) {
        out += text[i];
        continue;
      }
      out += spell(text.substr(i + 1, close - i - 1));
      i = close;
    }
    return out;
  }
  // The speller of what() and hint(): a setting as its own name ("top_k").
  static std::string plain(const std::string& setting) { return setting; }

 private:
  Kind kind_;
  std::string what_, hint_, plain_hint_, field_;
};

// Bad input data, bad file, I/O failure: exit code 1.
[[noreturn]] void fail(const std::string& what, const std::string& hint = {});
// Bad flag or flag value: exit code 2.
[[noreturn]] void fail_usage(const std::string& what, const std::string& hint = {});
// A bad value of the setting `field`: a usage Error whose message is "<field> <problem>".
[[noreturn]] void fail_field(const std::string& field, const std::string& problem,
                             const std::string& hint = {});

}  // namespace charrnn
