// test_form.cpp — form-aware generation: the masks at a tiny vocabulary (only allowed symbols
// can be drawn, and they renormalize), acrostics, errors, and poems from the shipped tang-small.
#include <gtest/gtest.h>

#include <cmath>

#include "charrnn/error.h"
#include "generate/form.h"
#include "generate/sampler.h"
#include "test_util.h"

namespace charrnn {
namespace {

const std::vector<std::string> kSymbols = {"\n", "，", "。", "春", "夏", "秋", "a"};

// The ids the form allows next.
std::vector<int> allowed(const FormConstraint& f) {
  std::vector<float> logits(kSymbols.size(), 0.f);
  f.mask(logits.data());
  std::vector<int> ids;
  for (size_t v = 0; v < logits.size(); ++v)
    if (std::isfinite(logits[v])) ids.push_back(int(v));
  return ids;
}

TEST(Form, FiveCharacterLinesArePunctuatedCommaThenPeriodThenANewLine) {
  FormConstraint f({5, 2, {}}, kSymbols);
  const std::vector<int> han = {3, 4, 5};
  for (int line = 0; line < 2; ++line) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(allowed(f), han) << "line " << line << " char " << i;
      f.advance(3 + i % 3);
    }
    EXPECT_EQ(allowed(f), std::vector<int>{line == 0 ? 1 : 2});
    f.advance(line == 0 ? 1 : 2);
  }
  EXPECT_TRUE(f.done());  // the last 。 ends the poem
}

TEST(Form, AnAcrosticStartsEachLineWithItsCharacter) {
  FormConstraint f({5, 0, {"秋", "夏"}}, kSymbols);
  EXPECT_EQ(allowed(f), std::vector<int>{5});
  for (int i = 0; i < 5; ++i) f.advance(3);
  f.advance(1);  // ，
  EXPECT_EQ(allowed(f), std::vector<int>{4});
  for (int i = 0; i < 5; ++i) f.advance(4);
  f.advance(2);  // 。
  EXPECT_TRUE(f.done());
  FormConstraint free({0, 0, {"春", "秋"}}, kSymbols);  // free length: a line ends at a new line
  EXPECT_EQ(allowed(free), std::vector<int>{3});
  free.advance(3);
  EXPECT_EQ(allowed(free).size(), kSymbols.size());
  free.advance(0);
  EXPECT_EQ(allowed(free), std::vector<int>{5});
}

TEST(Form, AnAcrosticCharacterMissingFromTheVocabularyIsNamed) {
  try {
    FormConstraint f({5, 0, {"春", "冬"}}, kSymbols);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "acrostic");
    EXPECT_NE(std::string(e.what()).find("冬"), std::string::npos) << e.what();
  }
}

TEST(Form, OnlyAllowedSymbolsAreDrawnAndTheyRenormalize) {
  FormConstraint f({5, 2, {}}, kSymbols);
  SampleConfig c;
  c.seed = 5;
  Sampler s(int(kSymbols.size()), c);
  std::vector<int> counts(kSymbols.size(), 0);
  for (int i = 0; i < 3000; ++i) {
    std::vector<float> logits = {2.f, 1.f, 1.f, 0.f, 0.f, 0.f, 3.f};  // mass mostly outside
    f.mask(logits.data());
    ++counts[size_t(s.sample(logits.data()))];
  }
  EXPECT_EQ(counts[0] + counts[1] + counts[2] + counts[6], 0);
  for (int v : {3, 4, 5}) EXPECT_NEAR(counts[size_t(v)] / 3000.0, 1.0 / 3, 0.04);  // equal logits
}

// The code points of a UTF-8 text, one string each.
std::vector<std::string> code_points(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 4;
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

// The poem after `title` as its lines' characters: checks each line has `chars` characters,
// then ， or 。 alternately, a new line after each 。 but the last; returns each line's first.
std::string check_poem(const std::string& out, const std::string& title, int chars, int lines) {
  EXPECT_EQ(out.compare(0, title.size(), title), 0) << out;
  const std::vector<std::string> cps = code_points(out.substr(title.size()));
  std::string firsts;
  size_t at = 0;
  for (int line = 0; line < lines; ++line) {
    for (int i = 0; i < chars; ++i, ++at) {
      EXPECT_LT(at, cps.size()) << out;
      if (at >= cps.size()) return firsts;
      EXPECT_TRUE(cps[at] != "，" && cps[at] != "。" && cps[at] != "\n") << out;
      if (i == 0) firsts += cps[at];
    }
    EXPECT_EQ(cps[at++], line % 2 == 0 ? "，" : "。") << out;
    if (line % 2 == 1 && line + 1 < lines) EXPECT_EQ(cps[at++], "\n") << out;
  }
  EXPECT_EQ(at, cps.size()) << "the text ends with the poem: " << out;
  return firsts;
}

TEST(Form, TheShippedTangModelWritesAFiveAndASevenCharacterAcrostic) {
  const std::string dir = testing::scratch_dir("charrnn_form");
  const std::string model = std::string(CHARRNN_MODELS_DIR) + "/tang-small";
  testing::Result five = testing::run_charrnn(
      "generate --model " + model + " --prompt '《春望》\n' --form 5 --lines 4 --seed 1", dir);
  ASSERT_EQ(five.code, 0) << five.err;
  check_poem(five.out, "《春望》\n", 5, 4);
  testing::Result seven = testing::run_charrnn(
      "generate --model " + model + " --prompt '《春》\n' --acrostic 春夏秋冬 --form 7 --seed 2",
      dir);
  ASSERT_EQ(seven.code, 0) << seven.err;
  EXPECT_EQ(check_poem(seven.out, "《春》\n", 7, 4), "春夏秋冬");
  remove_tree(dir);
}

}  // namespace
}  // namespace charrnn
