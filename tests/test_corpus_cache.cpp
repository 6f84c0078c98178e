// test_corpus_cache.cpp — encoded corpora cached on disk: a second load maps the same ids; a
// changed corpus byte or tokenizer setting is a miss; a damaged or unwritable cache gets its
// message and the load goes on without it.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"
#include "text/corpus_cache.h"
#include "text/dataset.h"

namespace charrnn {
namespace {

class CorpusCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir("charrnn_cache");
    corpus_ = dir_ + "/c.txt";
    std::string text;
    for (int i = 0; i < 200; ++i) text += "Café au lait, line " + std::to_string(i) + "\n";
    testing::write_text(corpus_, text);
    cache_.dir = dir_ + "/cache";
  }
  void TearDown() override { remove_tree(dir_); }
  Corpus load(const TokenizerConfig& t = {}) {
    warnings_.clear();
    return load_corpus({corpus_}, Tokenizer(t), nullptr, "", &cache_,
                       [&](const std::string& w) { warnings_.push_back(w); });
  }
  std::vector<std::string> cache_files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(cache_.dir))
      out.push_back(e.path().string());
    return out;
  }
  static std::vector<int32_t> ids_of(const Corpus& c) {
    std::vector<int32_t> out(c.ids.size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = c.ids[i];
    return out;
  }
  std::string dir_, corpus_;
  CorpusCache cache_;
  std::vector<std::string> warnings_;
};

TEST_F(CorpusCacheTest, ASecondLoadMapsTheSameIdsFromTheCache) {
  const Corpus first = load();
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(first.ids.width(), 2);  // a small vocabulary: 16-bit ids
  const Corpus second = load();
  EXPECT_TRUE(second.from_cache);
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(ids_of(second), ids_of(first));
  EXPECT_EQ(second.vocab.symbols(), first.vocab.symbols());
  EXPECT_EQ(second.sha256, first.sha256);
  EXPECT_EQ(cache_files().size(), 1u);
}

TEST_F(CorpusCacheTest, AChangedCorpusByteIsAMiss) {
  load();
  std::string text = testing::slurp(corpus_);
  text[0] = 'X';
  testing::write_text(corpus_, text);
  const Corpus changed = load();
  EXPECT_FALSE(changed.from_cache);
  EXPECT_EQ(changed.ids[0], changed.vocab.find("X"));
  EXPECT_EQ(cache_files().size(), 2u);
}

TEST_F(CorpusCacheTest, AChangedTokenizerSettingIsAMiss) {
  load();
  TokenizerConfig nfkc;
  nfkc.normalize = Normalize::nfkc;
  EXPECT_FALSE(load(nfkc).from_cache);
  EXPECT_TRUE(load(nfkc).from_cache);
  TokenizerConfig graphemes;
  graphemes.unit = Unit::grapheme;
  EXPECT_FALSE(load(graphemes).from_cache);
}

TEST_F(CorpusCacheTest, ADamagedCacheFileGetsItsMessageAndIsEncodedAgain) {
  const std::vector<int32_t> expected = ids_of(load());
  const std::string file = cache_files().at(0);
  std::string bytes = testing::slurp(file);
  bytes[bytes.size() - 3] ^= 0x5a;  // a flipped id
  testing::write_text(file, bytes);
  const Corpus again = load();
  EXPECT_FALSE(again.from_cache);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("the corpus cache file " + file + " is damaged"), std::string::npos)
      << warnings_[0];
  EXPECT_EQ(ids_of(again), expected);
  EXPECT_TRUE(load().from_cache);                  // replaced by a good one
  testing::write_text(file, bytes.substr(0, 40));  // cut short
  EXPECT_FALSE(load().from_cache);
  EXPECT_EQ(warnings_.size(), 1u);
}

TEST_F(CorpusCacheTest, AnUnwritableCacheIsReportedAndTheLoadGoesOn) {
  testing::write_text(dir_ + "/file", "x");
  cache_.dir = dir_ + "/file/cache";  // under a file: cannot be created
  const Corpus c = load();
  EXPECT_FALSE(c.from_cache);
  EXPECT_GT(c.ids.size(), 0u);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("cannot write the corpus cache"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("the run goes on without it"), std::string::npos);
}

}  // namespace
}  // namespace charrnn
