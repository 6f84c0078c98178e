// test_docs.cpp — docs/usage.md's flag lists are the option tables': each block between
// "<!-- flags: NAME -->" and "<!-- /flags -->" must be what the table writes. On a mismatch the
// test fails; CHARRNN_WRITE_DOCS=1 (make docs-flags) rewrites the blocks from the tables.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "generate/sampler.h"
#include "test_util.h"
#include "train/train_config.h"

namespace charrnn {
namespace {

TEST(Docs, UsageListsEveryFlagAsTheTablesWriteIt) {
  const std::string path = std::string(CHARRNN_SOURCE_DIR) + "/docs/usage.md";
  std::string doc = testing::slurp(path);
  const std::map<std::string, std::string> tables = {
      {"train", train_options().to_markdown()}, {"generate", sample_options_table().to_markdown()}};
  std::string rewritten = doc;
  for (const auto& [name, table] : tables) {
    const std::string open = "<!-- flags: " + name + " -->\n", close = "<!-- /flags -->";
    const size_t at = rewritten.find(open);
    ASSERT_NE(at, std::string::npos) << "docs/usage.md has no block " << open;
    const size_t begin = at + open.size(), end = rewritten.find(close, begin);
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(rewritten.substr(begin, end - begin), table)
        << name << ": docs/usage.md differs from the table; run make docs-flags";
    rewritten.replace(begin, end - begin, table);
  }
  if (std::getenv("CHARRNN_WRITE_DOCS") && rewritten != doc) std::ofstream(path) << rewritten;
}

}  // namespace
}  // namespace charrnn
