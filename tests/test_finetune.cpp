// test_finetune.cpp — train --init-from: the vocabulary union keeps the parent's ids, the
// parent's tensors (and rows) are copied at tiny sizes, architecture flags are refused, and the
// checkpoint records its parent.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint.h"
#include "nn/model.h"
#include "test_util.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

TEST(FineTune, TheVocabularyUnionKeepsTheParentsIds) {
  const Vocabulary parent({"\n", "a", "c", kUnknownSymbol}, 3);
  const Vocabulary corpus({" ", "a", "b", "c", "z"});
  const Vocabulary joined = Tokenizer::extend_vocabulary(parent, corpus);
  EXPECT_EQ(joined.symbols(),
            (std::vector<std::string>{"\n", "a", "c", kUnknownSymbol, " ", "b", "z"}));
  EXPECT_EQ(joined.unknown_id(), 3);
}

TEST(FineTune, TheParentsTensorsAndRowsAreCopiedAndNewRowsStayFresh) {
  ModelConfig parent;
  parent.layers = 2;
  parent.hidden = 5;
  parent.embed = 3;
  parent.vocab = 4;
  ModelConfig child = parent;
  child.vocab = 7;
  std::vector<float> pp(parameter_count(parent)), cp(parameter_count(child)), fresh(cp.size());
  init_parameters(parent, pp.data(), 1);
  init_parameters(child, fresh.data(), 2);
  cp = fresh;
  copy_parent_parameters(parent, pp.data(), child, cp.data());
  const auto from = parameter_tensors(parent), to = parameter_tensors(child);
  for (size_t t = 0; t < to.size(); ++t) {
    const int64_t rows = to[t].shape[0];
    const size_t row = to[t].size / size_t(rows);
    const bool by_vocab = to[t].name == "embedding.weight" || to[t].name.rfind("head.", 0) == 0;
    for (int64_t r = 0; r < rows; ++r)
      for (size_t i = 0; i < row; ++i) {
        const float got = cp[to[t].offset + size_t(r) * row + i];
        if (by_vocab && r >= parent.vocab)
          EXPECT_EQ(got, fresh[to[t].offset + size_t(r) * row + i])
              << to[t].name << " new row " << r;
        else
          EXPECT_EQ(got, pp[from[t].offset + size_t(r) * row + i]) << to[t].name << " row " << r;
      }
  }
}

TEST(FineTune, TheCommandRefusesArchitectureFlagsAndRecordsTheParent) {
  const std::string dir = testing::scratch_dir("charrnn_finetune");
  std::string text;
  for (int i = 0; i < 200; ++i) text += "Fine & tuned, line " + std::to_string(i % 13) + "!\n";
  testing::write_text(dir + "/c.txt", text);
  const std::string kjv = std::string(CHARRNN_MODELS_DIR) + "/kjv-small";
  const std::string run = "train --corpus " + dir + "/c.txt --model " + dir + "/m --init-from " +
                          kjv + " --seq 16 --batch 4 --steps 6 --eval-every 3 --threads 1 --quiet";
  testing::Result bad = testing::run_charrnn(run + " --hidden 64", dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--hidden cannot be given with --init-from"), std::string::npos)
      << bad.err;
  testing::Result r = testing::run_charrnn(run, dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const LoadedCheckpoint parent = load_checkpoint(kjv), child = load_checkpoint(dir + "/m");
  EXPECT_EQ(child.meta.parent["path"], kjv);
  EXPECT_EQ(child.meta.parent["weights_sha256"], parent.json["files"]["weights"]["sha256"]);
  EXPECT_EQ(child.meta.model.hidden, parent.meta.model.hidden);
  ASSERT_GT(child.meta.symbols.size(), parent.meta.symbols.size());  // '&' is new
  for (size_t i = 0; i < parent.meta.symbols.size(); ++i)
    EXPECT_EQ(child.meta.symbols[i], parent.meta.symbols[i]);
  EXPECT_EQ(child.meta.symbols.back(), "&");
  remove_tree(dir);
}

}  // namespace
}  // namespace charrnn
