// model_impl.h — what a public Model holds (charrnn.h): the loaded checkpoint, its card, its
// tokenizer and vocabulary. Internal: the server (serve/) shares one of these, behind a
// shared pointer, for its card, /v1/score and completions alike.
#pragma once

#include <string>
#include <vector>

#include "charrnn/charrnn.h"
#include "checkpoint/checkpoint.h"
#include "text/tokenizer.h"

namespace charrnn {

struct Model::Impl {
  LoadedCheckpoint ck;
  ModelCard card;
  Tokenizer tokenizer;
  Vocabulary vocab;
  explicit Impl(LoadedCheckpoint loaded);
  // The prompt's ids (no symbols: from a new line); symbols the model lacks are an Error.
  // `from_prompt`, when given, receives how many of the ids are the prompt's (0 for the new
  // line that stands for no prompt).
  std::vector<int32_t> encode_prompt(const std::string& prompt,
                                     int64_t* from_prompt = nullptr) const;
};

// Applies set_threads's count, if it was called, to the calling thread's OpenMP team: every
// public call that computes starts with it (library.cpp).
void take_threads();

// The Impl behind a public Model (the server shares it rather than loading a second copy).
std::shared_ptr<const Model::Impl> impl_of(const Model& m);

}  // namespace charrnn
