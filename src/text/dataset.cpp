// dataset.cpp — corpus loading, split, training batches and evaluation windows.
#include "text/dataset.h"

#include <dirent.h>
#include <sys/stat.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <algorithm>

#include "base/fsutil.h"
#include "base/hash.h"
#include "base/rng.h"
#include "charrnn/error.h"

namespace charrnn {

namespace {

// Regular files under `dir`, recursively, in name order; hidden entries are skipped.
void list_files(const std::string& dir, std::vector<std::string>& out) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    ::closedir(d);
  } else {
    fail("cannot read directory " + dir + ": " + std::strerror(errno), "check its permissions");
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    const std::string path = dir + "/" + n;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      list_files(path, out);
    else if (S_ISREG(st.st_mode))
      out.push_back(path);
  }
}

std::vector<std::string> expand_corpus_paths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      const size_t before = files.size();
      list_files(p, files);
      if (files.size() == before)
        fail("corpus directory " + p + " holds no files", "put .txt files in it");
    } else {
      files.push_back(p);  // read_file() reports a missing or unreadable path
    }
  }
  return files;
}

}  // namespace

Corpus load_corpus(const std::vector<std::string>& paths, const Tokenizer& tokenizer,
                   const Vocabulary* vocab, const std::string& expected_sha256) {
  if (paths.empty()) fail_usage("no corpus given", "pass --corpus FILE");
  Corpus corpus;
  Sha256 hash;
  std::string prepared;  // the one full copy of the text; the raw bytes are read file by file
  const std::vector<std::string> files = expand_corpus_paths(paths);
  for (const std::string& path : files) {
    std::string raw = read_file(path, "corpus");
    hash.update(raw.data(), raw.size());
    corpus.bytes += raw.size();
    std::string text = tokenizer.prepare(raw, path);
    raw = std::string();  // free before the next file
    if (prepared.empty())
      prepared = std::move(text);
    else
      prepared += text;
  }
  corpus.name = paths.size() == 1 && files.size() == 1
                    ? files[0].substr(files[0].find_last_of('/') + 1)
                    : std::to_string(files.size()) + " files";
  if (files.size() > 1) corpus.name += " (" + paths[0] + (paths.size() > 1 ? ", ..." : "") + ")";
  corpus.sha256 = hash.hex_digest();
  if (!expected_sha256.empty() && corpus.sha256 != expected_sha256)
    fail("the corpus differs from the one the model was trained on (SHA-256 " +
             corpus.sha256.substr(0, 12) + " vs " + expected_sha256.substr(0, 12) + ")",
         "resume with the original corpus (--corpus PATH if it moved), or train a new model");
  if (prepared.find_first_not_of(" \t\r\n") == std::string::npos)
    fail("corpus " + paths.front() + " is empty or only whitespace", "give a file with text in it");
  corpus.vocab = vocab ? *vocab : tokenizer.build_vocabulary(prepared);
  corpus.ids = tokenizer.encode(corpus.vocab, prepared, paths.front());
  return corpus;
}

void split_ids(const std::vector<int32_t>& ids, double val_frac, IdSpan* train, IdSpan* val) {
  size_t n_train = size_t(double(ids.size()) * (1.0 - val_frac));
  *train = IdSpan{ids.data(), n_train};
  *val = IdSpan{ids.data() + n_train, ids.size() - n_train};
}

Batcher::Batcher(IdSpan ids, int T, int N, int64_t streams, int64_t first, uint64_t seed)
    : ids_(ids), T_(T), N_(N), first_(first), seed_(seed) {
  if (streams == 0) streams = N;
  stream_len_ = ids.size > 0 ? int64_t(ids.size - 1) / streams : 0;
  windows_ = stream_len_ / T;
  if (windows_ < 1)
    fail("the training split has " + std::to_string(ids.size) +
             " symbols, fewer than one window of " + std::to_string(T) + " x " +
             std::to_string(streams) + " (+1) = " + std::to_string(int64_t(T) * streams + 1),
         "use a longer corpus, or smaller --seq / --batch");
}

int64_t Batcher::rotation(int64_t epoch) const {
  if (epoch == 0) return 0;
  return int64_t(counter_u64(seed_, uint64_t(epoch)) % uint64_t(ids_.size - 1));
}

bool Batcher::next(int32_t* x_tn, int32_t* y_tn) {
  bool new_epoch = window_ == 0;
  if (window_ == windows_) {  // streams exhausted: start over, at a new rotation
    window_ = 0;
    ++epoch_;
    new_epoch = true;
  }
  const int64_t pairs = int64_t(ids_.size) - 1;  // pair q is (ids[q], ids[q + 1])
  const int64_t start = window_ * T_ + rotation(epoch_);
  for (int t = 0; t < T_; ++t) {
    for (int n = 0; n < N_; ++n) {
      const int64_t q = ((first_ + n) * stream_len_ + start + t) % pairs;
      x_tn[t * N_ + n] = ids_.data[q];
      y_tn[t * N_ + n] = ids_.data[q + 1];
    }
  }
  ++window_;
  return new_epoch;
}

EvalWindows::EvalWindows(IdSpan ids, int T, int N) : ids_(ids), T_(T), N_(N) {
  int64_t preds = targets();
  stream_len_ = (preds + N - 1) / N;
  windows_ = (stream_len_ + T - 1) / T;
}

void EvalWindows::fill(int64_t k, int32_t* x_tn, int32_t* y_tn) const {
  const int64_t preds = targets();
  for (int t = 0; t < T_; ++t) {
    for (int n = 0; n < N_; ++n) {
      int64_t j = k * T_ + t;           // position within the stream
      int64_t p = n * stream_len_ + j;  // prediction index: input p, target p + 1
      bool valid = j < stream_len_ && p < preds;
      x_tn[t * N_ + n] = valid ? ids_.data[p] : 0;
      y_tn[t * N_ + n] = valid ? ids_.data[p + 1] : -1;
    }
  }
}

}  // namespace charrnn
