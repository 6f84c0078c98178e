// decoder.h — ONE decoding loop: what happens to one row of logits per generated symbol, for
// `charrnn generate`, the C++ API, training's samples and the server's continuous batching
// alike. A RowDecoder owns a row's sampler (its seed), its poem form, its repetition
// penalties, its stop strings, its counters and why it ended; the caller owns the network.
//
// Per symbol: the model's row of logits -> (copy) penalties -> form mask -> sample -> advance
// form and penalty window -> stop strings -> the text that can be shown now.
//
// Letters: V vocabulary, W penalty window (penalty_last_n).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generate/form.h"
#include "generate/sampler.h"
#include "generate/stop_matcher.h"

namespace charrnn {

// Why a row ended. Strings only at the edges: finish_name() for the API, the server maps
// stopped to OpenAI's "length".
enum class Finish { none, length, stop, stopped };
std::string finish_name(Finish f);  // "", "length", "stop", "stopped"

// The ids a prompt gives; empty text starts from a new line (or the first symbol), the most
// natural start for most corpora.
std::vector<int32_t> prompt_start(const std::vector<std::string>& symbols);

class RowDecoder {
 public:
  // `symbols`: the vocabulary in id order (outlives the decoder); `banned`: <unk>, never drawn
  // (-1: none); `prompt`: its ids fill the penalty window. Throws a field Error for bad options
  // or a form the vocabulary cannot write.
  RowDecoder(const SampleOptions& o, const std::vector<std::string>& symbols, int banned,
             int64_t max_symbols, const std::vector<int32_t>& prompt);

  // Draws the next symbol from the model's row of logits (left as it is) and appends the text
  // that can be shown now to `out` (nothing while a stop string may be starting). When the
  // row ends, finished() says why; the id is returned either way.
  int32_t next(const float* logits_v, std::string& out);
  // The caller stops the row (a callback said no, a client left).
  void stop() {
    if (finish_ == Finish::none) finish_ = Finish::stopped;
  }
  Finish finished() const { return finish_; }
  // Text held back for a stop string that never came; after an end other than a stop string,
  // it belongs to the output.
  std::string flush() { return finish_ == Finish::stop ? std::string() : stop_.flush(); }
  int64_t symbols() const { return symbols_; }
  // Mean -log p of the symbols drawn under the model's own row (temperature 1, no mask).
  double mean_nll() const { return symbols_ > 0 ? nll_ / double(symbols_) : 0.0; }

 private:
  const float* penalized(const float* logits_v);  // a copy with penalties and mask, or the row
  void remember(int32_t id);                      // the penalty window

  const std::vector<std::string>& symbols_v_;
  SampleOptions o_;
  Sampler sampler_;
  StopMatcher stop_;
  std::vector<FormConstraint> form_;  // none, or the poem's form
  int64_t max_symbols_, symbols_ = 0;
  double nll_ = 0;
  Finish finish_ = Finish::none;
  bool penalties_;
  std::vector<float> row_v_;      // (V) the row a penalty or mask changed
  std::vector<int32_t> count_v_;  // (V) occurrences in the window
  std::vector<int32_t> ring_w_;   // (W) the window's ids, oldest overwritten
  size_t ring_at_ = 0, ring_fill_ = 0;
};

}  // namespace charrnn
