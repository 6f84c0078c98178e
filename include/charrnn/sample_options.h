// sample_options.h — how generated text is drawn: one struct for the charrnn command, the C++
// API, the HTTP server and Python alike (charrnn.h includes it). Its table of names, ranges
// and help (the flags, the request fields) is the library's sample_options_table(), in
// generate/sampler.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace charrnn {

struct SampleOptions {
  double temperature = 1.0;       // 0: greedy (always the most likely symbol)
  int top_k = 0;                  // sample among the k most likely symbols; 0: all
  double top_p = 1.0;             // nucleus: the smallest set whose probability reaches p; 1: all
  uint64_t seed = 0;              // the same model, prompt, options and seed give the same text
  std::vector<std::string> stop;  // the text ends before the first occurrence of any of them
  // Classical poems: `form` 5 or 7 characters a line, punctuated ，then 。; `lines` lines
  // (0: the acrostic's length, else 4); `acrostic`: line k starts with its k-th character.
  // The text then ends with the poem (finish_reason "stop").
  int form = 0;
  int lines = 0;
  std::string acrostic;
  // Penalties on symbols seen in the last `penalty_last_n` symbols (prompt included), as
  // llama.cpp applies them: repetition_penalty (CTRL's: a positive logit is divided by it, a
  // negative one multiplied; 1: off), and OpenAI's frequency_penalty (times the count) and
  // presence_penalty (once if present) subtracted from the logit (0: off).
  double repetition_penalty = 1.0;
  double frequency_penalty = 0.0;
  double presence_penalty = 0.0;
  int penalty_last_n = 64;
};

}  // namespace charrnn
