// stop_matcher.h — ends generated text before the first occurrence of any stop string, while
// streaming: text that might be the start of a stop string is held back until it is not.
#pragma once

#include <string>
#include <vector>

namespace charrnn {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);  // empty strings are ignored

  // Adds a generated symbol; returns the text that is now safe to show (possibly empty).
  // After a stop string is complete, stopped() is true and nothing more is returned.
  std::string push(const std::string& symbol);
  // The text still held back (a proper prefix of a stop string) when generation ends for
  // another reason: it belongs to the output.
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace charrnn
