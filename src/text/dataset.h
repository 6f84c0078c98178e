// dataset.h — the corpus as one id stream, its train/validation split, and batching.
//
// Letters: T = window length (BPTT steps), N = number of parallel streams.
// x_tn / y_tn are (T, N) id matrices, time-major: element (t, n) at t * N + n, y = x shifted by
// one symbol. Training cuts the train ids into N contiguous streams of equal length; window k
// is columns [k*T, (k+1)*T) of every stream, so stream n of window k+1 continues stream n of
// window k and the LSTM state is carried across windows (truncated BPTT). From epoch 1 on, the
// ids are read as a ring rotated by an offset drawn from (seed, epoch): the streams then start,
// from a zero state, at new places each epoch, so the model learns to recover from a cold start
// anywhere (with fixed starts it saw only N of them, and a 2x768 model fell into a state it
// never left when evaluation started it elsewhere). Evaluation pads the
// last window with target -1 (ignored) so that every symbol but the first is scored once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace charrnn {

struct Corpus {
  std::string name;    // file name(s) as given
  uint64_t bytes = 0;  // raw size
  std::string sha256;  // of the raw bytes (several files: of their concatenation)
  Vocabulary vocab;    // every symbol of the corpus
  std::vector<int32_t> ids;
};

// Reads, prepares and encodes `paths` (files or directories, concatenated in order). The
// vocabulary is built from the text unless one is given (resuming keeps the model's); then
// the bytes must also hash to `expected_sha256`, checked before anything is encoded.
Corpus load_corpus(const std::vector<std::string>& paths, const Tokenizer& tokenizer,
                   const Vocabulary* vocab = nullptr, const std::string& expected_sha256 = {});

// A read-only view of part of an id stream.
struct IdSpan {
  const int32_t* data = nullptr;
  size_t size = 0;
};

// First (1 - val_frac) of the ids train, the rest validation.
void split_ids(const std::vector<int32_t>& ids, double val_frac, IdSpan* train, IdSpan* val);

class Batcher {
 public:
  // The span is cut into `streams` streams (default N); this batcher fills N of them, starting
  // at `first` (MPI: rank r of K takes streams [r*N, r*N + N) of K*N; every rank gives the same
  // seed, so all rotate alike). Throws when the span is shorter than one window.
  Batcher(IdSpan ids, int T, int N, int64_t streams = 0, int64_t first = 0, uint64_t seed = 0);

  // Fills the next window; returns true when it starts an epoch (the carried state must be
  // reset to zero, as the streams start over).
  bool next(int32_t* x_tn, int32_t* y_tn);
  void seek(int64_t epoch, int64_t window) {
    epoch_ = epoch;
    window_ = window;
  }
  // Where epoch `e` starts reading the ring of (x, y) pairs: 0 for epoch 0, else a function of
  // (seed, e) alone, so that resuming needs no extra state.
  int64_t rotation(int64_t epoch) const;

  int64_t epoch() const { return epoch_; }
  int64_t window() const { return window_; }  // windows already taken in this epoch
  int64_t windows_per_epoch() const { return windows_; }
  double epoch_progress() const { return double(epoch_) + double(window_) / double(windows_); }

 private:
  IdSpan ids_;
  int T_, N_;
  int64_t first_, stream_len_, windows_;
  uint64_t seed_;
  int64_t epoch_ = 0, window_ = 0;
};

// Windows over the validation ids for scoring: N streams, the last window padded.
class EvalWindows {
 public:
  EvalWindows(IdSpan ids, int T, int N);
  int64_t count() const { return windows_; }
  int64_t targets() const { return ids_.size > 0 ? int64_t(ids_.size) - 1 : 0; }
  void fill(int64_t k, int32_t* x_tn, int32_t* y_tn) const;  // padding: x = 0, y = -1

 private:
  IdSpan ids_;
  int T_, N_;
  int64_t stream_len_, windows_;
};

}  // namespace charrnn
