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
  // The prompt's ids (empty text: from a new line); symbols the model lacks are an Error.
  std::vector<int32_t> encode_prompt(const std::string& prompt) const;
};

// The Impl behind a public Model (the server shares it rather than loading a second copy).
std::shared_ptr<const Model::Impl> impl_of(const Model& m);

}  // namespace charrnn
