// test_units.cpp — symbol units (code points vs grapheme clusters) on crafted strings,
// NFC/NFKC equivalences, the unknown-symbol policy and repairing invalid UTF-8.
#include <gtest/gtest.h>

#include "charrnn/error.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

int count(const std::string& text, const char* unit, const char* normalize = "nfc") {
  TokenizerConfig c;
  tokenizer_options().set(c, "unit", unit);
  tokenizer_options().set(c, "normalize", normalize);
  Tokenizer tok(c);
  int n = 0;
  tok.for_each_symbol(tok.prepare(text, "t"), [&](std::string_view) { ++n; });
  return n;
}

struct Case {
  const char* name;
  std::string text;
  int codepoints, graphemes;
};

TEST(Units, GraphemesVersusCodePoints) {
  const Case cases[] = {
      {"family emoji",
       "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7\xE2\x80\x8D\xF0"
       "\x9F\x91\xA6",
       7, 1},
      {"flag", "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5", 2, 1},
      {"devanagari namaste",
       "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87", 6, 3},
      {"stacked combining accents", "q\xCC\x87\xCC\xA3", 3, 1},
      {"arabic with harakat",
       "\xD9\x85\xD9\x8E\xD8\xB1\xD9\x92\xD8\xAD\xD9\x8E\xD8\xA8\xD9\x8B\xD8\xA7", 9, 5},
      {"CR LF", "a\r\nb", 4, 3},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(count(c.text, "codepoint"), c.codepoints) << c.name;
    EXPECT_EQ(count(c.text, "grapheme"), c.graphemes) << c.name;
  }
}

TEST(Units, HangulJamoComposeUnderNfcAndClusterWithout) {
  const std::string jamo = "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB";  // ᄒ ᅡ ᆫ
  EXPECT_EQ(count(jamo, "codepoint", "nfc"), 1);                    // 한
  EXPECT_EQ(count(jamo, "codepoint", "none"), 3);
  EXPECT_EQ(count(jamo, "grapheme", "none"), 1);
}

TEST(Units, GraphemeRoundTripKeepsEveryByte) {
  TokenizerConfig c;
  c.unit = Unit::grapheme;
  Tokenizer tok(c);
  const std::string text = "I \xF0\x9F\x87\xAF\xF0\x9F\x87\xB5 q\xCC\x87\xCC\xA3\r\n\xE4\xB8\xAD!";
  const std::string prepared = tok.prepare(text, "t");
  Vocabulary v = tok.build_vocabulary(prepared);
  std::string back;
  for (int32_t id : tok.encode(v, prepared, "t")) back += v.symbol(id);
  EXPECT_EQ(back, prepared);
  EXPECT_GE(v.find("\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5"), 0);  // the flag is one symbol
}

TEST(Normalization, NfkcFoldsCompatibilityCharactersNfcDoesNot) {
  const std::string text = "\xEF\xAC\x81 \xEF\xBC\xA1 \xE2\x91\xA0";  // ﬁ Ａ ①
  TokenizerConfig nfkc;
  nfkc.normalize = Normalize::nfkc;
  EXPECT_EQ(Tokenizer(nfkc).prepare(text, "t"), "fi A 1");
  EXPECT_EQ(Tokenizer({}).prepare(text, "t"), text);
}

TEST(Normalization, NfcMakesCanonicalEquivalentsEqual) {
  Tokenizer tok({});
  EXPECT_EQ(tok.prepare("A\xCC\x8A", "t"), tok.prepare("\xC3\x85", "t"));  // Å two ways
  EXPECT_EQ(tok.prepare("\xE2\x84\xAB", "t"), "\xC3\x85");                 // Angstrom sign
}

TEST(Unknown, MinCountMapsRareSymbolsToOneStoredUnknown) {
  TokenizerConfig c;
  c.min_count = 2;
  Tokenizer tok(c);
  Vocabulary v = tok.build_vocabulary("aaabbc\xE4\xB8\xAD");  // c and 中 occur once
  ASSERT_EQ(v.size(), 3);                                     // a, b, <unk>
  EXPECT_EQ(v.unknown_id(), 2);
  EXPECT_EQ(v.symbol(2), kUnknownSymbol);
  EXPECT_EQ(tok.encode(v, "abcz", "t"), (std::vector<int32_t>{0, 1, 2, 2}));
}

TEST(Unknown, MaxVocabKeepsTheMostFrequent) {
  TokenizerConfig c;
  c.max_vocab = 3;
  Tokenizer tok(c);
  Vocabulary v = tok.build_vocabulary("zzzzyyyxxw");
  ASSERT_EQ(v.size(), 3);
  EXPECT_EQ(v.symbol(0), "y");  // sorted by code point among the kept
  EXPECT_EQ(v.symbol(1), "z");
  EXPECT_EQ(v.symbol(2), kUnknownSymbol);
}

TEST(Unknown, NoUnknownWhenEverySymbolIsKept) {
  Vocabulary v = Tokenizer({}).build_vocabulary("abc");
  EXPECT_EQ(v.unknown_id(), -1);
  EXPECT_EQ(v.find(kUnknownSymbol), -1);
}

TEST(InvalidUtf8, ErrorAtStartMiddleAndEnd) {
  Tokenizer tok({});
  const std::pair<std::string, std::string> cases[] = {
      {"\x80hello", "byte offset 0 (line 1, column 1)"},
      {"ab\ncd\xC3(ef", "byte offset 5 (line 2, column 3)"},
      {"hello\xE4\xB8", "byte offset 5 (line 1, column 6)"},
  };
  for (const auto& [text, where] : cases) {
    try {
      tok.prepare(text, "c.txt");
      ADD_FAILURE() << "no error for " << where;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
      EXPECT_NE(e.hint().find("on_invalid to replace"), std::string::npos) << e.hint();
      EXPECT_NE(e.hint_as([](const std::string& s) { return "--" + s; }).find("--on_invalid"),
                std::string::npos);
    }
  }
}

TEST(InvalidUtf8, ReplaceSubstitutesEachBadByte) {
  TokenizerConfig c;
  c.on_invalid = OnInvalid::replace;
  EXPECT_EQ(Tokenizer(c).prepare("\x80"
                                 "a\xFF\xFE"
                                 "b\xE4\xB8",
                                 "t"),
            "\xEF\xBF\xBD"
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(InvalidUtf8, BomIsDroppedEvenWhenRepairing) {
  TokenizerConfig c;
  c.on_invalid = OnInvalid::replace;
  EXPECT_EQ(Tokenizer(c).prepare("\xEF\xBB\xBFhi\xFF", "t"), "hi\xEF\xBF\xBD");
}

TEST(TokenizerConfig, BadSettingsAreUsageErrorsNamingTheField) {
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"unit", "word"}, {"normalize", "nfd"}, {"on_invalid", "skip"},
      {"min_count", 0}, {"max_vocab", -1},    {"script", "latin"}};
  for (const auto& [name, value] : bad) {
    TokenizerConfig c;
    try {
      tokenizer_options().set(c, name, value);
      ADD_FAILURE() << name << " accepted " << value;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::usage) << e.what();
      EXPECT_EQ(e.field(), name) << e.what();
    }
  }
  TokenizerConfig one;
  one.max_vocab = 1;
  try {
    Tokenizer t(one);
    ADD_FAILURE() << "max_vocab 1 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "max_vocab");
  }
}

}  // namespace
}  // namespace charrnn

namespace charrnn {
namespace {

std::string in_script(const char* script, const std::string& text) {
  TokenizerConfig c;
  tokenizer_options().set(c, "script", script);
  return Tokenizer(c).prepare(text, "t");
}

TEST(Script, SimplifiedAndTraditionalConvertKnownPairsBothWays) {
  EXPECT_EQ(in_script("simplified", "春眠不覺曉，處處聞啼鳥。"), "春眠不觉晓，处处闻啼鸟。");
  EXPECT_EQ(in_script("traditional", "春眠不觉晓，处处闻啼鸟。"), "春眠不覺曉，處處聞啼鳥。");
  EXPECT_EQ(in_script("simplified", "國 東 風 萬 長 樂 門"), "国 东 风 万 长 乐 门");
  EXPECT_EQ(in_script("traditional", "国 东 风 万 长 乐 门"), "國 東 風 萬 長 樂 門");
  EXPECT_EQ(in_script("keep", "覺觉"), "覺觉");
  EXPECT_EQ(in_script("simplified", "And God said"), "And God said");  // other scripts untouched
}

TEST(Script, AnUnknownScriptIsAUsageErrorNamingTheField) {
  try {
    in_script("cyrillic", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::usage);
    EXPECT_EQ(e.field(), "script");
  }
}

}  // namespace
}  // namespace charrnn
