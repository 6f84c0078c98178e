// warmer.h — a prompt warms the state: the LSTM reads all but its last symbol (the last is the
// first input of the decoding loop). The same computation for `charrnn generate`, the API and
// the server, so their texts agree; it runs through networks of a few fixed window lengths,
// built once and reused, so that no prompt builds a network (a oneDNN primitive takes
// milliseconds to create: the server's first symbol waited for it).
//
// Letters: L layers, H hidden, P prompt length.
#pragma once

#include <memory>
#include <vector>

#include "nn/model.h"

namespace charrnn {

class PromptWarmer {
 public:
  // `params` must outlive the warmer; call sync_weights() after they change.
  PromptWarmer(const ModelConfig& c, const float* params);
  ~PromptWarmer();
  // h_lh, c_lh (L x H each) <- the state after prompt[0 .. P-2] from a zero state.
  void warm(const std::vector<int32_t>& prompt, std::vector<float>& h_lh, std::vector<float>& c_lh);
  // The same a chunk at a time (a server interleaves prompts with its batch): start, then
  // advance() until it returns true, then state().
  void start(const std::vector<int32_t>& prompt);
  bool advance();  // reads the next chunk; true when the prompt is read
  void state(std::vector<float>& h_lh, std::vector<float>& c_lh) const;
  void sync_weights();

 private:
  int L_, H_;
  std::vector<std::unique_ptr<Net>> nets_;  // windows of kChunks[i] symbols, N = 1
  std::vector<int32_t> prompt_;             // the prompt being read
  size_t at_ = 0, end_ = 0;                 // symbols read, symbols to read (P - 1)
  Net* last_ = nullptr;                     // the net whose final state is the state so far
};

}  // namespace charrnn
