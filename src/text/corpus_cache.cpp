// corpus_cache.cpp — the encoded-corpus cache files (see corpus_cache.h).
//
// File layout: "CHARRNN-IDS-1\n" magic (14 bytes), a u64 little-endian header length, the
// JSON header, zero padding to a multiple of 8, then count ids of width bytes.
#include "text/corpus_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/fsutil.h"
#include "base/hash.h"
#include "charrnn/error.h"

namespace charrnn {
namespace {

constexpr char kMagic[] = "CHARRNN-IDS-1\n";
constexpr size_t kMagicSize = sizeof kMagic - 1;
constexpr int kFormat = 1;

std::string file_of(const CorpusCache& cache, const std::string& key) {
  return cache.dir + "/" + key + ".ids";
}

size_t padded(size_t n) {
  return (n + 7) / 8 * 8;
}

}  // namespace

std::string default_corpus_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/charrnn/corpora";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/charrnn/corpora";
}

std::string corpus_cache_key(const std::string& corpus_sha256, const TokenizerConfig& tokenizer,
                             const Vocabulary* given) {
  std::string vocab_source = "built";
  if (given) {
    Sha256 h;
    for (const std::string& s : given->symbols()) h.update(s.data(), s.size() + 1);  // with NUL
    vocab_source = "given " + h.hex_digest() + " unk " + std::to_string(given->unknown_id());
  }
  const std::string material = "format " + std::to_string(kFormat) + "\ncorpus " + corpus_sha256 +
                               "\ntokenizer " + tokenizer_options().to_json(tokenizer).dump() +
                               "\nvocabulary " + vocab_source + "\n";
  return sha256_hex(material.data(), material.size());
}

std::optional<Corpus> read_corpus_cache(const CorpusCache& cache, const std::string& key) {
  const std::string path = file_of(cache, key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // none yet (or unreadable: treated as none)
  struct stat st;
  const size_t size = ::fstat(fd, &st) == 0 ? size_t(st.st_size) : 0;
  void* base = size > 0 ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);
  auto bad = [&](const std::string& why) -> std::optional<Corpus> {
    fail("the corpus cache file " + path + " is damaged (" + why + ")",
         "it is encoded again and replaced; delete it if this repeats");
  };
  if (base == MAP_FAILED) return bad("cannot map it");
  std::shared_ptr<const void> mapping(
      base, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  const char* bytes = static_cast<const char*>(base);
  uint64_t header_len = 0;
  if (size < kMagicSize + 8 || std::memcmp(bytes, kMagic, kMagicSize) != 0)
    return bad("not a charrnn ids file");
  std::memcpy(&header_len, bytes + kMagicSize, 8);
  const size_t data_at = padded(kMagicSize + 8 + size_t(header_len));
  if (header_len > size || data_at > size) return bad("its header is cut short");
  const nlohmann::json h = nlohmann::json::parse(
      bytes + kMagicSize + 8, bytes + kMagicSize + 8 + header_len, nullptr, false);
  if (!h.is_object() || h.value("key", "") != key) return bad("its header does not match its name");
  Corpus c;
  try {
    const int width = h.at("width");
    const size_t count = h.at("count");
    if ((width != 2 && width != 4) || data_at + count * size_t(width) != size)
      return bad("its length does not match its header");
    if (sha256_hex(bytes + data_at, count * size_t(width)) != h.at("ids_sha256"))
      return bad("its ids do not match their SHA-256");
    c.vocab = Vocabulary(h.at("symbols").get<std::vector<std::string>>(), h.at("unknown_id"));
    c.name = h.at("name");
    c.bytes = h.at("bytes");
    c.sha256 = h.at("corpus_sha256");
    c.ids = Ids::view(mapping, bytes + data_at, count, width);
  } catch (const nlohmann::json::exception&) {
    return bad("its header is incomplete");
  }
  ::madvise(base, size, MADV_WILLNEED);
  c.from_cache = true;
  return c;
}

void write_corpus_cache(const CorpusCache& cache, const std::string& key, const Corpus& corpus) {
  const size_t n = corpus.ids.size() * size_t(corpus.ids.width());
  const nlohmann::json h = {{"format", kFormat},
                            {"key", key},
                            {"name", corpus.name},
                            {"bytes", corpus.bytes},
                            {"corpus_sha256", corpus.sha256},
                            {"symbols", corpus.vocab.symbols()},
                            {"unknown_id", corpus.vocab.unknown_id()},
                            {"width", corpus.ids.width()},
                            {"count", corpus.ids.size()},
                            {"ids_sha256", sha256_hex(corpus.ids.data(), n)}};
  const std::string header = h.dump();
  std::string head(kMagic, kMagicSize);
  const uint64_t len = header.size();
  head.append(reinterpret_cast<const char*>(&len), 8);
  head += header;
  head.resize(padded(head.size()), '\0');
  try {
    make_dirs(cache.dir);
  } catch (const Error& e) {
    fail(std::string("cannot write the corpus cache: ") + e.what());
  }
  const std::string path = file_of(cache, key), tmp = path + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot write the corpus cache in " + cache.dir + ": " + std::strerror(errno));
  auto put = [&](const char* p, size_t count) {
    while (count > 0) {
      const ssize_t w = ::write(fd, p, count);
      if (w <= 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        ::unlink(tmp.c_str());
        fail("cannot write the corpus cache in " + cache.dir + ": " + why);
      }
      p += w;
      count -= size_t(w);
    }
  };
  put(head.data(), head.size());
  put(static_cast<const char*>(corpus.ids.data()), n);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail("cannot write the corpus cache in " + cache.dir + ": " + why);
  }
}

}  // namespace charrnn
