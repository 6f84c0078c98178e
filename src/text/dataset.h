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
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace charrnn {

// A read-only view of part of an id stream: 16-bit ids where the vocabulary allows (half the
// memory of a large corpus), 32-bit otherwise.
struct IdSpan {
  const uint16_t* d16 = nullptr;
  const int32_t* d32 = nullptr;
  size_t size = 0;
  IdSpan() = default;
  IdSpan(const int32_t* ids, size_t n) : d32(ids), size(n) {}
  IdSpan(const uint16_t* ids, size_t n) : d16(ids), size(n) {}
  int32_t operator[](size_t i) const { return d16 ? int32_t(d16[i]) : d32[i]; }
  IdSpan sub(size_t begin, size_t n) const {
    IdSpan s = *this;
    if (d16) s.d16 += begin;
    if (d32) s.d32 += begin;
    s.size = n;
    return s;
  }
};

// The corpus as ids, in memory it owns or in a mapped cache file (corpus_cache.h) it keeps
// alive. Movable, not copyable (a span points into it).
class Ids {
 public:
  Ids() = default;
  Ids(Ids&&) = default;
  Ids& operator=(Ids&&) = default;
  Ids(const Ids&) = delete;
  Ids& operator=(const Ids&) = delete;
  // Narrows to 16 bits when every id fits (vocabulary <= 65,536).
  static Ids own(std::vector<int32_t> ids, int vocab);
  static Ids own16(std::vector<uint16_t> ids);
  // A view of `count` ids of `width` bytes (2 or 4) at `data`, inside `keep` (a mapping).
  static Ids view(std::shared_ptr<const void> keep, const void* data, size_t count, int width);
  IdSpan span() const { return w16_ ? IdSpan(w16_, size_) : IdSpan(w32_, size_); }
  size_t size() const { return size_; }
  int width() const { return w16_ ? 2 : 4; }  // bytes per id
  const void* data() const { return w16_ ? static_cast<const void*>(w16_) : w32_; }
  int32_t operator[](size_t i) const { return w16_ ? int32_t(w16_[i]) : w32_[i]; }
  // id -> to[id], in ids this owns (a mapped view is copied first); `vocab`: the new size.
  void remap(const std::vector<int32_t>& to, int vocab);

 private:
  std::vector<uint16_t> own16_;
  std::vector<int32_t> own32_;
  std::shared_ptr<const void> keep_;
  const uint16_t* w16_ = nullptr;
  const int32_t* w32_ = nullptr;
  size_t size_ = 0;
};

struct Corpus {
  std::string name;    // file name(s) as given
  uint64_t bytes = 0;  // raw size
  std::string sha256;  // of the raw bytes (several files: of their concatenation)
  Vocabulary vocab;    // every symbol of the corpus
  Ids ids;
  bool from_cache = false;  // the ids were mapped from the cache, not encoded
};

// Reads, prepares and encodes `paths` (files or directories, concatenated in order). The
// vocabulary is built from the text unless one is given (resuming keeps the model's); then
// the bytes must also hash to `expected_sha256`, checked before anything is encoded. With a
// cache (corpus_cache.h), a corpus already encoded with the same bytes, tokenizer settings and
// vocabulary is mapped from it instead, and a new encoding is stored there; `warn` receives a
// line when the cache cannot be used (the run goes on without it).
struct CorpusCache;
Corpus load_corpus(const std::vector<std::string>& paths, const Tokenizer& tokenizer,
                   const Vocabulary* vocab = nullptr, const std::string& expected_sha256 = {},
                   const CorpusCache* cache = nullptr,
                   const std::function<void(const std::string&)>& warn = {});

// First (1 - val_frac) of the ids train, the rest validation.
void split_ids(IdSpan ids, double val_frac, IdSpan* train, IdSpan* val);
inline void split_ids(const std::vector<int32_t>& ids, double val_frac, IdSpan* train,
                      IdSpan* val) {
  split_ids(IdSpan(ids.data(), ids.size()), val_frac, train, val);
}

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
  // `sample` > 0: only the first windows, enough for about `sample` targets: N chunks spread
  // evenly over the split (a stream's start each), the same every time, each read with its
  // state carried from its own start; 0: every window.
  EvalWindows(IdSpan ids, int T, int N, int64_t sample = 0);
  int64_t count() const { return windows_; }
  int64_t targets() const { return ids_.size > 0 ? int64_t(ids_.size) - 1 : 0; }
  void fill(int64_t k, int32_t* x_tn, int32_t* y_tn) const;  // padding: x = 0, y = -1

 private:
  IdSpan ids_;
  int T_, N_;
  int64_t stream_len_, windows_;
};

}  // namespace charrnn
