// test_tokenizer.cpp — UTF-8 validation, NFC normalization, code-point vocabulary, round trips.
#include <gtest/gtest.h>

#include "charrnn/error.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

std::string round_trip(const std::string& text) {
  Tokenizer tok({});
  std::string prepared = tok.prepare(text, "test");
  Vocabulary vocab = tok.build_vocabulary(prepared);
  std::string out;
  for (int32_t id : tok.encode(vocab, prepared, "test")) out += vocab.symbol(id);
  return out;
}

// The message preparing `bytes` as a corpus gives; "" when it gives none.
std::string prepare_error(const std::string& bytes) {
  try {
    Tokenizer({}).prepare(bytes, "corpus.txt");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Tokenizer, RoundTripsAscii) {
  EXPECT_EQ(round_trip("First Citizen:\nBefore we proceed any further, hear me speak.\n"),
            "First Citizen:\nBefore we proceed any further, hear me speak.\n");
}

TEST(Tokenizer, RoundTripsChinese) {
  const std::string poem = "床前明月光，疑是地上霜。\n舉頭望明月，低頭思故鄉。\n";
  EXPECT_EQ(round_trip(poem), poem);
  Tokenizer tok({});
  // 24 hanzi and punctuation, and 2 newlines.
  EXPECT_EQ(tok.encode(tok.build_vocabulary(poem), poem, "t").size(), 26u);
}

TEST(Tokenizer, RoundTripsEmoji) {
  const std::string text = "I \xF0\x9F\x92\x96 text \xF0\x9F\x98\x80!";  // 💖 😀
  EXPECT_EQ(round_trip(text), text);
}

TEST(Tokenizer, NfcComposesCombiningMarks) {
  const std::string decomposed = "e\xCC\x81t\xC3\xA9";  // e + U+0301, then precomposed é
  const std::string prepared = Tokenizer({}).prepare(decomposed, "t");
  EXPECT_EQ(prepared, "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(Tokenizer({}).build_vocabulary(prepared).size(), 2);
}

TEST(Tokenizer, NormalizeNoneKeepsCombiningMarks) {
  TokenizerConfig cfg;
  cfg.normalize = Normalize::none;
  const std::string decomposed = "e\xCC\x81";
  Tokenizer tok(cfg);
  EXPECT_EQ(tok.prepare(decomposed, "t"), decomposed);
  EXPECT_EQ(tok.build_vocabulary(decomposed).size(), 2);
}

TEST(Tokenizer, DropsByteOrderMark) {
  EXPECT_EQ(Tokenizer({}).prepare("\xEF\xBB\xBFhi", "t"), "hi");
}

TEST(Tokenizer, VocabularyIsSortedByCodePoint) {
  Tokenizer tok({});
  Vocabulary v = tok.build_vocabulary(
      "ba\xE4\xB8\xAD"
      "a\n");
  ASSERT_EQ(v.size(), 4);
  EXPECT_EQ(v.symbol(0), "\n");
  EXPECT_EQ(v.symbol(1), "a");
  EXPECT_EQ(v.symbol(3), "\xE4\xB8\xAD");
}

TEST(Tokenizer, InvalidUtf8NamesOffsetLineAndColumn) {
  const std::string msg = prepare_error("ok\nab\xFFz");
  EXPECT_NE(msg.find("corpus.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte offset 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2, column 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0xFF"), std::string::npos) << msg;
}

TEST(Tokenizer, RejectsTruncatedOverlongAndSurrogateSequences) {
  // A sequence cut at the end.
  EXPECT_NE(prepare_error("abc\xE4\xB8").find("byte offset 3"), std::string::npos);
  // An overlong '/'.
  EXPECT_NE(prepare_error("\xC0\xAF").find("byte offset 0"), std::string::npos);
  // A surrogate.
  EXPECT_NE(prepare_error("x\xED\xA0\x80").find("byte offset 1"), std::string::npos);
  // Above U+10FFFF.
  EXPECT_NE(prepare_error("\xF4\x90\x80\x80").find("byte offset 0"), std::string::npos);
}

TEST(Tokenizer, UnknownSymbolsAreNamed) {
  Tokenizer tok({});
  Vocabulary v = tok.build_vocabulary("abc");
  try {
    tok.encode(v, "abxc\xE4\xB8\xAD", "--prompt");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'x'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'\xE4\xB8\xAD'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("2 symbol(s)"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace charrnn
