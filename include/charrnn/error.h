// error.h — the one exception type the library throws.
//
// Library code never prints and never exits: it throws charrnn::Error with what went wrong
// (naming the file, position or field) and, where one exists, a hint that says how to fix it.
// A bad value of a setting names the setting as a field ("temperature must be between 0 and
// 100"), not as a command-line flag: the charrnn command shows it as its flag (--temperature),
// a server as the request's parameter. The cli maps Error::Kind to the documented exit codes
// (usage -> 2, runtime -> 1) and prints "charrnn: <what>" plus "hint: <hint>".
#pragma once

#include <stdexcept>
#include <string>

namespace charrnn {

class Error : public std::runtime_error {
 public:
  enum class Kind { usage, runtime };

  Error(Kind kind, const std::string& what, std::string hint = {}, std::string field = {})
      : std::runtime_error(what), kind_(kind), hint_(std::move(hint)), field_(std::move(field)) {}

  Kind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }
  // The setting the message is about ("top_k"), which the message starts with; empty if none.
  const std::string& field() const { return field_; }

 private:
  Kind kind_;
  std::string hint_, field_;
};

// Bad input data, bad file, I/O failure: exit code 1.
[[noreturn]] void fail(const std::string& what, const std::string& hint = {});
// Bad flag or flag value: exit code 2.
[[noreturn]] void fail_usage(const std::string& what, const std::string& hint = {});
// A bad value of the setting `field`: a usage Error whose message is "<field> <problem>".
[[noreturn]] void fail_field(const std::string& field, const std::string& problem,
                             const std::string& hint = {});

}  // namespace charrnn
