// test_decoder.cpp — the one decoding loop's row (generate/decoder.h) on hand-made logits at a
// three-symbol vocabulary: the penalties as llama.cpp and OpenAI define them, their window,
// and why a row ends.
#include <gtest/gtest.h>

#include "generate/decoder.h"

namespace charrnn {
namespace {

const std::vector<std::string> kSymbols = {"a", "b", "c"};
const float kLogits[] = {2.0f, 1.9f, 0.0f};  // a just ahead of b

// The greedy choice after `prompt` (ids) under options `o`.
std::string greedy_after(SampleOptions o, const std::vector<int32_t>& prompt) {
  o.temperature = 0;
  RowDecoder row(o, kSymbols, -1, 10, prompt);
  std::string out;
  row.next(kLogits, out);
  return out;
}

TEST(Decoder, WithoutPenaltiesTheBestSymbolWins) {
  EXPECT_EQ(greedy_after({}, {0, 0}), "a");
}

TEST(Decoder, RepetitionPenaltyDividesASeenPositiveLogit) {
  SampleOptions o;
  o.repetition_penalty = 1.1;  // 2.0 / 1.1 = 1.82 < 1.9
  EXPECT_EQ(greedy_after(o, {0}), "b");
  EXPECT_EQ(greedy_after(o, {2}), "a");  // only seen symbols are penalized
}

TEST(Decoder, FrequencyPenaltyCountsEachOccurrence) {
  SampleOptions o;
  o.frequency_penalty = 0.06;
  EXPECT_EQ(greedy_after(o, {0}), "a");     // 2.0 - 0.06 = 1.94
  EXPECT_EQ(greedy_after(o, {0, 0}), "b");  // 2.0 - 0.12 = 1.88
}

TEST(Decoder, PresencePenaltyCountsOnce) {
  SampleOptions o;
  o.presence_penalty = 0.12;
  EXPECT_EQ(greedy_after(o, {0}), "b");        // 1.88
  EXPECT_EQ(greedy_after(o, {0, 0, 0}), "b");  // still 1.88
  o.presence_penalty = 0.05;
  EXPECT_EQ(greedy_after(o, {0, 0, 0}), "a");  // 1.95
}

TEST(Decoder, OnlyTheLastNSymbolsCount) {
  SampleOptions o;
  o.repetition_penalty = 1.1;
  o.penalty_last_n = 2;
  EXPECT_EQ(greedy_after(o, {0, 2, 2}), "a");  // the a left the window
  EXPECT_EQ(greedy_after(o, {2, 0, 2}), "b");
}

TEST(Decoder, ARowEndsAtItsLengthAtAStopStringOrWhenStopped) {
  SampleOptions o;
  o.temperature = 0;
  RowDecoder length(o, kSymbols, -1, 2, {0});
  std::string out;
  length.next(kLogits, out);
  EXPECT_EQ(length.finished(), Finish::none);
  length.next(kLogits, out);
  EXPECT_EQ(length.finished(), Finish::length);
  EXPECT_EQ(out, "aa");
  o.stop = {"aa"};
  RowDecoder stop(o, kSymbols, -1, 10, {0});
  out.clear();
  stop.next(kLogits, out);
  EXPECT_EQ(out, "");  // held back: it may start the stop string
  stop.next(kLogits, out);
  EXPECT_EQ(stop.finished(), Finish::stop);
  EXPECT_EQ(out + stop.flush(), "");
  RowDecoder stopped(o, kSymbols, -1, 10, {0});
  out.clear();
  stopped.next(kLogits, out);
  stopped.stop();
  EXPECT_EQ(finish_name(stopped.finished()), "stopped");
  EXPECT_EQ(stopped.flush(), "a");  // the held text was generated: it is the output's
}

TEST(Decoder, BadOptionsNameTheirField) {
  SampleOptions o;
  o.stop = {""};
  try {
    RowDecoder row(o, kSymbols, -1, 10, {0});
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "stop");
  }
  o.stop.clear();
  o.repetition_penalty = 0;
  try {
    validate_sample_config(o);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "repetition_penalty");
  }
}

}  // namespace
}  // namespace charrnn
