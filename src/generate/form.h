// form.h — form-aware generation for classical Chinese poems: lines of exactly 5 or 7
// characters punctuated as the corpora are (，after odd lines, 。and a new line after even
// ones), a number of lines, and acrostic poems (藏头诗: line k starts with the k-th character).
// Enforced by masking the logits before sampling: a symbol outside the pattern gets
// probability zero, the rest renormalize, then temperature, top-k and top-p apply as usual.
#pragma once

#include <string>
#include <vector>

namespace charrnn {

struct FormConfig {
  int chars = 0;  // 5 or 7 characters a line; 0: free length (a line ends at \n)
  int lines = 0;  // lines of the poem; 0: as many as the acrostic has (else 4)
  std::vector<std::string> acrostic;  // the first character of each line (one symbol each)
  bool active() const { return chars > 0 || lines > 0 || !acrostic.empty(); }
};

// The code points of a UTF-8 string, one string each (an acrostic's characters).
std::vector<std::string> split_code_points(const std::string& text);

class FormConstraint {
 public:
  // Throws a usage Error naming an acrostic character the vocabulary lacks, or a form whose
  // punctuation it lacks.
  FormConstraint(const FormConfig& form, const std::vector<std::string>& symbols);

  // Sets the logit of every symbol the pattern forbids at this point to -infinity.
  void mask(float* logits_v) const;
  // Takes the symbol that was sampled.
  void advance(int id);
  bool done() const { return line_ >= lines_; }

 private:
  std::vector<char> han_v_;  // (V) 1 for a CJK ideograph
  int comma_ = -1, period_ = -1, newline_ = -1, chars_, lines_;
  std::vector<int> first_;  // the acrostic's ids, one per line
  int line_ = 0, pos_ = 0;  // the line being written, and its characters so far
  bool need_newline_ = false;
};

}  // namespace charrnn
