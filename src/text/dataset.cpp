// dataset.cpp — corpus loading, split, training batches and evaluation windows.
#include "text/dataset.h"

#include <dirent.h>
#include <sys/stat.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <algorithm>
#include <optional>

#include "base/fsutil.h"
#include "base/hash.h"
#include "base/rng.h"
#include "charrnn/error.h"
#include "text/corpus_cache.h"

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

namespace {

std::string corpus_name(const std::vector<std::string>& paths,
                        const std::vector<std::string>& files) {
  std::string name = paths.size() == 1 && files.size() == 1
                         ? files[0].substr(files[0].find_last_of('/') + 1)
                         : std::to_string(files.size()) + " files";
  if (files.size() > 1) name += " (" + paths[0] + (paths.size() > 1 ? ", ..." : "") + ")";
  return name;
}

// SHA-256 and size of the files' concatenated bytes, read in blocks (the text is not kept).
std::string hash_files(const std::vector<std::string>& files, uint64_t* bytes) {
  Sha256 hash;
  std::vector<char> block(size_t(16) << 20);
  *bytes = 0;
  for (const std::string& path : files) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) read_file(path, "corpus");  // throws the message that names the problem
    size_t n;
    while ((n = std::fread(block.data(), 1, block.size(), f)) > 0) {
      hash.update(block.data(), n);
      *bytes += n;
    }
    const bool failed = std::ferror(f);
    std::fclose(f);
    if (failed) fail("cannot read corpus " + path + ": " + std::strerror(errno));
  }
  return hash.hex_digest();
}

// Prepares and encodes the files (the slow path the cache saves).
void encode_corpus(const std::vector<std::string>& files, const std::string& first_path,
                   const Tokenizer& tokenizer, const Vocabulary* vocab, Corpus& corpus) {
  std::string prepared;  // the one full copy of the text; the raw bytes are read file by file
  for (const std::string& path : files) {
    std::string text = tokenizer.prepare(read_file(path, "corpus"), path);
    if (prepared.empty())
      prepared = std::move(text);
    else
      prepared += text;
  }
  if (prepared.find_first_not_of(" \t\r\n") == std::string::npos)
    fail("corpus " + first_path + " is empty or only whitespace", "give a file with text in it");
  corpus.vocab = vocab ? *vocab : tokenizer.build_vocabulary(prepared);
  if (corpus.vocab.size() <= 65536)
    corpus.ids = Ids::own16(tokenizer.encode_as<uint16_t>(corpus.vocab, prepared, first_path));
  else
    corpus.ids =
        Ids::own(tokenizer.encode(corpus.vocab, prepared, first_path), corpus.vocab.size());
}

}  // namespace

Corpus load_corpus(const std::vector<std::string>& paths, const Tokenizer& tokenizer,
                   const Vocabulary* vocab, const std::string& expected_sha256,
                   const CorpusCache* cache, const std::function<void(const std::string&)>& warn) {
  if (paths.empty()) fail_field("corpus", "is not given", "name a UTF-8 text file");
  const std::vector<std::string> files = expand_corpus_paths(paths);
  uint64_t bytes = 0;
  const std::string sha256 = hash_files(files, &bytes);
  if (!expected_sha256.empty() && sha256 != expected_sha256)
    fail("the corpus differs from the one the model was trained on (SHA-256 " +
             sha256.substr(0, 12) + " vs " + expected_sha256.substr(0, 12) + ")",
         "resume with the original corpus (give its path if it moved), or train a new model");
  const std::string key = cache ? corpus_cache_key(sha256, tokenizer.config(), vocab) : "";
  Corpus corpus;
  if (cache) {
    try {
      if (std::optional<Corpus> hit = read_corpus_cache(*cache, key)) corpus = std::move(*hit);
    } catch (const Error& e) {
      if (warn) warn(e.what() + std::string("; encoding the corpus again"));
    }
  }
  if (!corpus.from_cache) {
    encode_corpus(files, paths.front(), tokenizer, vocab, corpus);
    corpus.sha256 = sha256;
    corpus.bytes = bytes;
    if (cache) {
      try {
        write_corpus_cache(*cache, key, corpus);
      } catch (const Error& e) {
        if (warn) warn(e.what() + std::string("; the run goes on without it"));
      }
    }
  }
  corpus.name = corpus_name(paths, files);
  corpus.sha256 = sha256;
  corpus.bytes = bytes;
  return corpus;
}

void split_ids(IdSpan ids, double val_frac, IdSpan* train, IdSpan* val) {
  const size_t n_train = size_t(double(ids.size) * (1.0 - val_frac));
  *train = ids.sub(0, n_train);
  *val = ids.sub(n_train, ids.size - n_train);
}

Ids Ids::own16(std::vector<uint16_t> ids) {
  Ids out;
  out.size_ = ids.size();
  out.own16_ = std::move(ids);
  out.w16_ = out.own16_.data();
  return out;
}

Ids Ids::own(std::vector<int32_t> ids, int vocab) {
  Ids out;
  out.size_ = ids.size();
  if (vocab <= 65536) {
    out.own16_.assign(ids.begin(), ids.end());
    out.w16_ = out.own16_.data();
  } else {
    out.own32_ = std::move(ids);
    out.w32_ = out.own32_.data();
  }
  return out;
}

Ids Ids::view(std::shared_ptr<const void> keep, const void* data, size_t count, int width) {
  Ids out;
  out.keep_ = std::move(keep);
  out.size_ = count;
  if (width == 2)
    out.w16_ = static_cast<const uint16_t*>(data);
  else
    out.w32_ = static_cast<const int32_t*>(data);
  return out;
}

void Ids::remap(const std::vector<int32_t>& to, int vocab) {
  std::vector<int32_t> ids(size_);
  for (size_t i = 0; i < size_; ++i) ids[i] = to[size_t((*this)[i])];
  *this = own(std::move(ids), vocab);
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
         "use a longer corpus, or a smaller {seq} or {batch}");
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
      x_tn[t * N_ + n] = ids_[size_t(q)];
      y_tn[t * N_ + n] = ids_[size_t(q + 1)];
    }
  }
  ++window_;
  return new_epoch;
}

EvalWindows::EvalWindows(IdSpan ids, int T, int N, int64_t sample) : ids_(ids), T_(T), N_(N) {
  int64_t preds = targets();
  stream_len_ = (preds + N - 1) / N;
  windows_ = (stream_len_ + T - 1) / T;
  if (sample > 0) windows_ = std::min(windows_, (sample + int64_t(T) * N - 1) / (int64_t(T) * N));
}

void EvalWindows::fill(int64_t k, int32_t* x_tn, int32_t* y_tn) const {
  const int64_t preds = targets();
  for (int t = 0; t < T_; ++t) {
    for (int n = 0; n < N_; ++n) {
      int64_t j = k * T_ + t;           // position within the stream
      int64_t p = n * stream_len_ + j;  // prediction index: input p, target p + 1
      bool valid = j < stream_len_ && p < preds;
      x_tn[t * N_ + n] = valid ? ids_[size_t(p)] : 0;
      y_tn[t * N_ + n] = valid ? ids_[size_t(p + 1)] : -1;
    }
  }
}

}  // namespace charrnn
