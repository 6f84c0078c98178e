// test_checkpoint.cpp — SHA-256 vectors, safetensors and whole-checkpoint round trips
// (bit-exact), and the damage a loader must refuse.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "base/fsutil.h"
#include "base/hash.h"
#include "charrnn/error.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/safetensors.h"
#include "test_util.h"

namespace charrnn {
namespace {

std::string testing_slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string temp_dir(const std::string& name) {
  std::string d = testing::fresh_dir("charrnn_test_" + name);
  remove_tree(d);  // the tests create it themselves
  return d;
}

CheckpointMeta small_meta() {
  CheckpointMeta m;
  m.model.vocab = 5;
  m.model.embed = 3;
  m.model.hidden = 4;
  m.model.layers = 2;
  m.symbols = {"\n", "a", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80"};
  m.train_config = {{"lr", 0.002}};
  m.state.step = 42;
  m.state.tokens = 4200;
  m.state.epoch = 1;
  m.state.window = 7;
  m.state.rng = {1, 2, 0xffffffffffffffffULL, 4};
  m.history = {{21, 2100, 1.5, 0.5, 2.0, 2.1}, {42, 4200, 3.0, 1.0, 1.5, 1.6}};
  m.best_step = 42;
  m.best_val_loss = 1.6;
  m.corpus = {"c.txt", "abc", 10, 10, 9, 1};
  return m;
}

std::vector<float> random_params(const ModelConfig& c, uint64_t seed) {
  std::vector<float> p(parameter_count(c));
  init_parameters(c, p.data(), seed);
  return p;
}

// A fresh checkpoint of small_meta() with best weights only, in temp_dir(name).
std::string saved_checkpoint(const std::string& name) {
  const std::string dir = temp_dir(name);
  CheckpointMeta m = small_meta();
  auto p = random_params(m.model, 1);
  save_checkpoint(dir, m, {p.data(), nullptr, nullptr, nullptr, 0, {}, {}});
  return dir;
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(m.data(), m.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Safetensors, RoundTripIsBitExact) {
  const std::string dir = temp_dir("st");
  make_dirs(dir);
  std::vector<float> a = {1.5f, -0.0f, 3.25e-30f, 7.0f, 1e30f, -2.0f};
  write_safetensors(dir + "/t.safetensors", {{"a", {2, 3}, a.data()}}, {{"k", "v"}});
  SafetensorsReader r(dir + "/t.safetensors");
  std::vector<float> b(6);
  r.read("a", {2, 3}, b.data());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * 6), 0);
  EXPECT_EQ(r.metadata().at("k"), "v");
  EXPECT_THROW(r.read("a", {3, 2}, b.data()), Error);  // wrong shape is refused
  remove_tree(dir);
}

TEST(Safetensors, HeaderFieldsOfTheWrongTypeAreAnError) {  // found by fuzz_safetensors
  const std::string header = R"({"w":{"dtype":["F32"],"shape":[1],"data_offsets":[0,4]}})";
  std::string file(8, '\0');
  file[0] = char(header.size());
  file += header + std::string(4, '\0');
  const std::string msg =
      testing::error_of([&] { SafetensorsReader r(file, "bad.safetensors"); }).what();
  EXPECT_NE(msg.find("bad.safetensors"), std::string::npos) << msg;
}

TEST(Checkpoint, RoundTripIsBitExact) {
  const std::string dir = temp_dir("ck");
  CheckpointMeta m = small_meta();
  auto best = random_params(m.model, 1), last = random_params(m.model, 2);
  std::vector<float> am(best.size(), 0.25f), av(best.size(), 0.5f);
  save_checkpoint(dir, m, {best.data(), last.data(), am.data(), av.data(), 42});
  LoadedCheckpoint b = load_checkpoint(dir, WhichWeights::best, true);
  LoadedCheckpoint l = load_checkpoint(dir, WhichWeights::last);
  EXPECT_EQ(std::memcmp(b.params.data(), best.data(), best.size() * 4), 0);
  EXPECT_EQ(std::memcmp(l.params.data(), last.data(), last.size() * 4), 0);
  EXPECT_EQ(b.adam_m, am);
  EXPECT_EQ(b.adam_steps, 42);
  EXPECT_EQ(b.meta.symbols, m.symbols);
  EXPECT_EQ(b.meta.state.rng, m.state.rng);
  EXPECT_EQ(b.meta.state.window, 7);
  ASSERT_EQ(b.meta.history.size(), 2u);
  EXPECT_EQ(b.meta.history[1].val_loss, 1.6);
  EXPECT_EQ(b.meta.model.hidden, 4);
  remove_tree(dir);
}

TEST(Checkpoint, SavingAgainReplacesTheWholeDirectory) {
  const std::string dir = temp_dir("ck2");
  CheckpointMeta m = small_meta();
  auto p1 = random_params(m.model, 1), p2 = random_params(m.model, 2);
  save_checkpoint(dir, m, {p1.data(), nullptr, nullptr, nullptr, 0});
  save_checkpoint(dir, m, {p2.data(), nullptr, nullptr, nullptr, 0});
  EXPECT_EQ(load_checkpoint(dir).params, p2);
  EXPECT_FALSE(path_exists(checkpoint_aside_dir(dir)));
  remove_tree(dir);
}

// A save that died between its two renames (where the file system has no RENAME_EXCHANGE)
// left the checkpoint only aside. The next save puts it back before anything can fail, so
// that a second failure (here: a file size limit) still leaves it in place.
TEST(Checkpoint, ASaveAfterAnInterruptedSwapPutsThePreviousCheckpointBackFirst) {
  const std::string dir = temp_dir("ck_aside");
  CheckpointMeta m = small_meta();
  auto p1 = random_params(m.model, 1), p2 = random_params(m.model, 2);
  save_checkpoint(dir, m, {p1.data(), nullptr, nullptr, nullptr, 0});
  ASSERT_EQ(std::rename(dir.c_str(), checkpoint_aside_dir(dir).c_str()), 0);
  rlimit unlimited{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &unlimited), 0);
  std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
  const rlimit small{64, unlimited.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  EXPECT_THROW(save_checkpoint(dir, m, {p2.data(), nullptr, nullptr, nullptr, 0}), Error);
  ::setrlimit(RLIMIT_FSIZE, &unlimited);
  std::signal(SIGXFSZ, SIG_DFL);
  EXPECT_TRUE(is_checkpoint_dir(dir));
  EXPECT_EQ(load_checkpoint(dir).params, p1);
  save_checkpoint(dir, m, {p2.data(), nullptr, nullptr, nullptr, 0});
  EXPECT_EQ(load_checkpoint(dir).params, p2);
  EXPECT_FALSE(path_exists(checkpoint_aside_dir(dir)));
  remove_tree(dir);
}

TEST(Checkpoint, FlippedByteIsDetected) {
  const std::string dir = saved_checkpoint("flip");
  {
    std::fstream f(dir + "/weights.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  const std::string msg = testing::error_of([&] { load_checkpoint(dir); }).what();
  EXPECT_NE(msg.find("SHA-256"), std::string::npos) << msg;
  remove_tree(dir);
}

TEST(Checkpoint, TruncatedTensorFileIsDetected) {
  const std::string dir = saved_checkpoint("trunc");
  const std::string full = testing_slurp(dir + "/weights.safetensors");
  std::ofstream(dir + "/weights.safetensors", std::ios::binary) << full.substr(0, full.size() / 2);
  EXPECT_THROW(load_checkpoint(dir), Error);
  remove_tree(dir);
}

TEST(Checkpoint, HandEditedHugeArchitectureIsRefusedWithoutAllocating) {
  const std::string dir = saved_checkpoint("huge");
  LoadedCheckpoint ck = load_checkpoint(dir);
  ck.json["architecture"]["layers"] = 16;
  ck.json["architecture"]["hidden"] = 8192;  // about 34 GB of parameters
  std::ofstream(dir + "/model.json") << ck.json.dump();
  const std::string msg = testing::error_of([&] { load_checkpoint(dir); }).what();
  EXPECT_NE(msg.find("smaller than"), std::string::npos) << msg;
  remove_tree(dir);
}

TEST(Checkpoint, MissingDirectoryAndNonCheckpointAreClearErrors) {
  EXPECT_THROW(load_checkpoint("/nonexistent/charrnn/model"), Error);
  const std::string dir = temp_dir("empty");
  make_dirs(dir);
  const std::string msg = testing::error_of([&] { load_checkpoint(dir); }).what();
  EXPECT_NE(msg.find("no model.json"), std::string::npos) << msg;
  remove_tree(dir);
}

TEST(Checkpoint, WrongVersionIsRefused) {
  const std::string dir = saved_checkpoint("ver");
  LoadedCheckpoint ck = load_checkpoint(dir);
  ck.json["version"] = 99;
  std::ofstream(dir + "/model.json") << ck.json.dump();
  const std::string msg = testing::error_of([&] { load_checkpoint(dir); }).what();
  EXPECT_NE(msg.find("version 99"), std::string::npos) << msg;
  remove_tree(dir);
}

}  // namespace
}  // namespace charrnn
