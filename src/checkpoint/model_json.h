// model_json.h — model.json, section by section: each section is written (*_to_json) and read
// back with validation (*_from_json, errors naming the field) side by side in model_json.cpp.
// docs/checkpoint-format.md documents the format; "files" (the tensor files and their hashes)
// is written by save_checkpoint and checked by load_checkpoint.
#pragma once

#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint.h"
#include "checkpoint/json_fields.h"

namespace charrnn {

// Every section but "files": format, version, created, tool, architecture, tokenizer,
// training (config and state), history, best, corpus.
nlohmann::ordered_json meta_to_json(const CheckpointMeta& m);
CheckpointMeta meta_from_json(const nlohmann::json& j, const Fields& f);

}  // namespace charrnn
