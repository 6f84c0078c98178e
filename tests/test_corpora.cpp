// test_corpora.cpp — the chinese-poetry recipe (corpora/prepare.sh, corpora/poetry.js) on tiny
// fixture JSON and tarballs written here: no network. They need node (which npm brings); where
// it is missing they skip, unless CHARRNN_REQUIRE_CLIENTS is set (CI installs it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "test_util.h"

namespace charrnn::testing {
namespace {

const std::string kCorpora = std::string(CHARRNN_SOURCE_DIR) + "/corpora";

bool have_node() {
  if (std::system("command -v node >/dev/null 2>&1") == 0) return true;
  if (std::getenv("CHARRNN_REQUIRE_CLIENTS"))
    ADD_FAILURE() << "CHARRNN_REQUIRE_CLIENTS is set but node is missing";
  return false;
}

// Two Tang poems as the database has them (traditional script, notes, a lost character) and one
// Song ci, under DIR/dist/.
void write_fixture(const std::string& dir) {
  make_dirs(dir + "/package/dist/quantangshi");
  make_dirs(dir + "/package/dist/songci");
  write_text(dir + "/package/dist/quantangshi/poet.tang.0.json", R"([
  {"author": "杜甫", "title": "春望", "paragraphs": ["國破山河在，城春草木深。", "感時花濺淚（一作淚濺），恨別鳥驚心。"]},
  {"author": "佚名", "title": "殘句", "paragraphs": ["□□山色遠，孤雁入雲深。"]}])");
  write_text(dir + "/package/dist/quantangshi/poet.tang.1000.json", R"([
  {"author": "王維", "title": "鹿柴  其一", "paragraphs": ["空山不見人，但聞人語[響]。"]}])");
  write_text(dir + "/package/dist/songci/ci.song.0.json", R"([
  {"author": "苏轼", "rhythmic": "水调歌头", "paragraphs": ["明月几时有？把酒问青天。"]}])");
}

TEST(Corpora, TangPoemsBecomeTitleLinesPoemLinesAndABlankLine) {
  if (!have_node()) GTEST_SKIP() << "node is missing (bash scripts/deps.sh npm)";
  const std::string dir = scratch_dir("charrnn_corpora");
  write_fixture(dir);
  const Result r = run_charrnn_cmd(
      "node " + kCorpora + "/poetry.js tang " + dir + "/package/dist " + dir + "/tang.txt", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  // Files in numeric order; the note in （） gone, [響] unwrapped, the poem with □ dropped,
  // the author nowhere, the title's spaces one.
  EXPECT_EQ(slurp(dir + "/tang.txt"),
            "《春望》\n國破山河在，城春草木深。\n感時花濺淚，恨別鳥驚心。\n\n"
            "《鹿柴 其一》\n空山不見人，但聞人語響。\n\n");
  EXPECT_NE(r.out.find("2 poems kept, 1 dropped"), std::string::npos) << r.out;
}

TEST(Corpora, SongCiTakeTheirTuneNameAsTitle) {
  if (!have_node()) GTEST_SKIP() << "node is missing (bash scripts/deps.sh npm)";
  const std::string dir = scratch_dir("charrnn_corpora");
  write_fixture(dir);
  const Result r = run_charrnn_cmd(
      "node " + kCorpora + "/poetry.js songci " + dir + "/package/dist " + dir + "/ci.txt", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(dir + "/ci.txt"), "《水调歌头》\n明月几时有？把酒问青天。\n\n");
}

TEST(Corpora, ATarballThatFailsTheIntegrityHashIsRefusedAndNothingIsWritten) {
  if (!have_node()) GTEST_SKIP() << "node is missing (bash scripts/deps.sh npm)";
  const std::string dir = scratch_dir("charrnn_corpora");
  write_fixture(dir);
  // The recipe runs from a copy of corpora/ so that the test writes nothing into the tree; the
  // fixture sits in the cache under the real tarball's name, so no download is tried.
  make_dirs(dir + "/corpora");
  make_dirs(dir + "/cache");
  const Result r =
      run_charrnn_cmd("cp " + kCorpora + "/prepare.sh " + kCorpora + "/poetry.js " + dir +
                          "/corpora/ && tar -czf " + dir + "/cache/chinese-poetry-2.0.1.tgz -C " +
                          dir + " package && CHARRNN_CORPUS_CACHE=" + dir + "/cache bash " + dir +
                          "/corpora/prepare.sh tang",
                      dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not match the registry's integrity hash"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("delete it"), std::string::npos) << r.err;
  EXPECT_FALSE(path_exists(dir + "/corpora/tang.txt"));
  EXPECT_FALSE(path_exists(dir + "/cache/chinese-poetry-2.0.1/dist"));
}

}  // namespace
}  // namespace charrnn::testing
