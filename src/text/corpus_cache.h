// corpus_cache.h — encoded corpora kept on disk, so that the second start on a large corpus
// maps its ids instead of preparing and encoding the text again.
//
// One file per (corpus bytes, tokenizer settings, vocabulary source), named by the SHA-256 of
// the three: a changed byte of the corpus or a changed tokenizer setting is another file. The
// file holds a JSON header (the key, the vocabulary, the id width and count, the SHA-256 of the
// ids) and the ids, 8-byte aligned, mapped read-only. A file that does not check out (damaged,
// cut short, another version) is not used: the caller encodes again and replaces it. Writes go
// to a temporary file renamed into place, so readers never see half a file.
#pragma once

#include <optional>
#include <string>

#include "text/dataset.h"

namespace charrnn {

struct CorpusCache {
  std::string dir;  // where the files live (created when missing)
};

// The default directory: $XDG_CACHE_HOME/charrnn/corpora, or ~/.cache/charrnn/corpora.
std::string default_corpus_cache_dir();

// The key of a corpus encoding: the corpus's SHA-256, the tokenizer settings and where the
// vocabulary came from ("built" from the text, or the SHA-256 of a given one).
std::string corpus_cache_key(const std::string& corpus_sha256, const TokenizerConfig& tokenizer,
                             const Vocabulary* given);

// The cached encoding for `key`: its vocabulary and mapped ids. nullopt when there is none;
// throws Error (runtime) naming the file when one exists but does not check out.
std::optional<Corpus> read_corpus_cache(const CorpusCache& cache, const std::string& key);
// Stores `corpus` (its vocab and ids) under `key`; throws Error naming the directory on failure.
void write_corpus_cache(const CorpusCache& cache, const std::string& key, const Corpus& corpus);

}  // namespace charrnn
