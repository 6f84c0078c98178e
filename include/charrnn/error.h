// error.h — the one exception type the library throws.
//
// Library code never prints and never exits: it throws charrnn::Error with what went wrong
// (naming the file, position or flag) and, where one exists, a hint that says how to fix it.
// The cli is the only place that catches; it maps Error::Kind to the documented exit codes
// (usage -> 2, runtime -> 1) and prints "charrnn: <what>" plus "hint: <hint>".
#pragma once

#include <stdexcept>
#include <string>

namespace charrnn {

class Error : public std::runtime_error {
 public:
  enum class Kind { usage, runtime };

  Error(Kind kind, const std::string& what, std::string hint = {})
      : std::runtime_error(what), kind_(kind), hint_(std::move(hint)) {}

  Kind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }

 private:
  Kind kind_;
  std::string hint_;
};

// Bad input data, bad file, I/O failure: exit code 1.
[[noreturn]] void fail(const std::string& what, const std::string& hint = {});
// Bad flag or flag value: exit code 2.
[[noreturn]] void fail_usage(const std::string& what, const std::string& hint = {});

}  // namespace charrnn
