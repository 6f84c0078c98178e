// test_mpi.cpp — data-parallel training under mpirun, with the real binary: 2 ranks on this
// machine (loopback, --oversubscribe, 1 thread each) against one process on the same streams,
// exact resume under MPI and on another rank count, and jobs that must end with a message
// instead of hanging. Several hosts (network namespaces, TCP) are scripts/test-multihost.sh's.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "base/fsutil.h"
#include "checkpoint/checkpoint.h"
#include "test_util.h"
#include "train/comm.h"

namespace charrnn {
namespace {

using testing::Result;

class Mpi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!comm::compiled_in())
      GTEST_SKIP() << "charrnn was built without MPI (make deps installs Open MPI)";
    if (std::system("command -v mpirun >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "mpirun is not installed";
    dir_ = testing::scratch_dir("charrnn_mpi");
    std::string text;
    for (int i = 0; i < 300; ++i)
      text += "To be, or not to be, that is the question " + std::to_string(i % 23) + ".\n";
    corpus_ = dir_ + "/corpus.txt";
    testing::write_text(corpus_, text);
  }
  void TearDown() override {
    if (!dir_.empty()) remove_tree(dir_);
  }
  // CI runs as root, which Open MPI refuses unless told; leak checking is off because Open
  // MPI's own allocations outlive MPI_Finalize (ASan builds); no single-copy shared memory,
  // which containers without ptrace rights refuse. `timeout`: never hang the suite.
  Result mpirun(const std::string& ranks_and_args) {
    const std::string env =
        "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 "
        "OMPI_MCA_btl_vader_single_copy_mechanism=none ";
    return testing::run_charrnn_cmd(
        env + "timeout 120 mpirun --oversubscribe --bind-to none " + ranks_and_args, dir_);
  }
  std::string train(const std::string& model, int batch, const std::string& extra = "") {
    return std::string(CHARRNN_BIN) + " train --corpus " + corpus_ + " --model " + dir_ + "/" +
           model + " --layers 2 --hidden 24 --embed 8 --seq 16 --batch " + std::to_string(batch) +
           " --eval-batch 8 --lr-schedule constant --dtype f32 --threads 1 --quiet " + extra;
  }
  std::vector<float> weights(const std::string& model) {
    return load_checkpoint(dir_ + "/" + model, WhichWeights::last).params;
  }
  nlohmann::json history(const std::string& model) {
    return nlohmann::json::parse(testing::slurp(dir_ + "/" + model + "/model.json"))["history"];
  }
  std::string dir_, corpus_;
};

TEST_F(Mpi, TwoRanksEqualOneProcessWithTheCombinedBatch) {
  Result r = mpirun("-np 2 " + train("two", 8, "--steps 6 --eval-every 3"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = testing::run_charrnn_cmd(train("one", 16, "--steps 6 --eval-every 3"), dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<float> a = weights("two"), b = weights("one");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << "parameter " << i;
  const auto ha = history("two"), hb = history("one");
  ASSERT_EQ(ha.size(), hb.size());
  for (size_t i = 0; i < ha.size(); ++i) {
    EXPECT_NEAR(ha[i]["train_loss"].get<double>(), hb[i]["train_loss"].get<double>(), 1e-5);
    EXPECT_NEAR(ha[i]["val_loss"].get<double>(), hb[i]["val_loss"].get<double>(), 1e-5);
  }
  EXPECT_EQ(ha.back()["tokens"], hb.back()["tokens"]);  // K * N * T per step
}

TEST_F(Mpi, AveragingDuringBackwardGivesTheSameBitsAsAfterIt) {
  ASSERT_EQ(mpirun("-np 2 " + train("during", 8, "--steps 4 --dropout 0.2")).code, 0);
  Result r = mpirun("-np 2 " + train("after", 8, "--steps 4 --dropout 0.2") +
                    " --allreduce-after-backward");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<float> a = weights("during"), b = weights("after");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "parameter " << i;
}

TEST_F(Mpi, ResumeUnderMpiEqualsAnUninterruptedRun) {
  // Dropout on: each rank's own generator must be saved and restored; --ema: rank 0's average.
  ASSERT_EQ(
      mpirun("-np 2 " + train("whole", 8, "--dropout 0.2 --ema 0.9 --steps 8 --eval-every 4")).code,
      0);
  ASSERT_EQ(
      mpirun("-np 2 " + train("parts", 8, "--dropout 0.2 --ema 0.9 --steps 4 --eval-every 4")).code,
      0);
  Result r = mpirun("-np 2 " + std::string(CHARRNN_BIN) + " train --resume " + dir_ +
                    "/parts --steps 8 --threads 1 --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<float> a = weights("whole"), b = weights("parts");
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-6) << "parameter " << i;
  EXPECT_NEAR(history("whole").back()["val_loss"].get<double>(),
              history("parts").back()["val_loss"].get<double>(), 1e-6);
}

TEST_F(Mpi, ResumingOnAnotherRankCountKeepsTheGlobalBatchAndTheRun) {
  ASSERT_EQ(mpirun("-np 2 " + train("k2", 8, "--steps 3 --eval-every 3")).code, 0);
  EXPECT_NE(testing::run_charrnn("inspect " + dir_ + "/k2", dir_).out.find("; f32, 2 MPI ranks"),
            std::string::npos);
  Result r = testing::run_charrnn("train --resume " + dir_ + "/k2 --steps 6 --quiet", dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming a run of 2 process(es) on 1: the same 16 streams, 16 per process"),
            std::string::npos)
      << r.err;
  ASSERT_EQ(testing::run_charrnn_cmd(train("one", 16, "--steps 6 --eval-every 3"), dir_).code, 0);
  const std::vector<float> a = weights("k2"), b = weights("one");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << "parameter " << i;
  EXPECT_NEAR(history("k2").back()["val_loss"].get<double>(),
              history("one").back()["val_loss"].get<double>(), 1e-5);
}

TEST_F(Mpi, ResumingOnARankCountThatCannotShareTheStreamsIsRefused) {
  ASSERT_EQ(mpirun("-np 2 " + train("k2", 8, "--steps 2")).code, 0);
  Result r = mpirun("-np 3 " + std::string(CHARRNN_BIN) + " train --resume " + dir_ +
                    "/k2 --steps 4 --threads 1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.code, 124) << "the job hung until timeout killed it";
  EXPECT_NE(r.err.find("its 16 streams cannot be shared equally by 3 process(es)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("hint: resume it with a process count that divides 16"), std::string::npos)
      << r.err;
}

TEST_F(Mpi, RanksWithDifferentConfigurationsEndTheJobWithAMessageFromRankZero) {
  Result r = mpirun("-np 1 " + train("mix", 8, "--steps 50") + " : -np 1 " +
                    train("mix", 8, "--steps 50 --lr 1e-3"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("charrnn (rank 0 of 2): rank 1 has a different configuration"),
            std::string::npos)
      << r.err;
}

TEST_F(Mpi, RanksRunningDifferentBinariesEndTheJobWithAMessageFromRankZero) {
  // A copy with one byte appended still runs, but its digest differs: another build.
  const std::string other = dir_ + "/charrnn-other";
  ASSERT_EQ(
      std::system(
          ("cp " + std::string(CHARRNN_BIN) + " " + other + " && echo x >> " + other).c_str()),
      0);
  std::string args = train("bin", 8, "--steps 50");
  args = args.substr(args.find(" train "));  // the same flags for both binaries
  Result r = mpirun("-np 1 " + std::string(CHARRNN_BIN) + args + " : -np 1 " + other + args);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("charrnn (rank 0 of 2): rank 1 runs a different charrnn binary than rank 0"),
            std::string::npos)
      << r.err;
}

TEST_F(Mpi, ARankThatFailsEndsTheJobInsteadOfHanging) {
  Result r = mpirun("-np 1 " + train("fail", 8, "--steps 50") + " : -np 1 " +
                    train("fail", 8, "--steps 50 --corpus " + dir_ + "/missing.txt"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.code, 124) << "the job hung until timeout killed it";
  EXPECT_NE(r.err.find("charrnn (rank 1 of 2): corpus " + dir_ + "/missing.txt"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace charrnn
