// test_threads.cpp — the automatic thread count (threads.h) and the spin-wait the binary sets.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/threads.h"
#include "test_util.h"

namespace charrnn {
namespace {

TEST(Threads, AnExplicitCountIsKeptWhateverTheLoad) {
  EXPECT_EQ(choose_threads(3, Workload::infer, 2, 2), 3);
  EXPECT_EQ(choose_threads(1, Workload::train, 8, 0), 1);
}

TEST(Threads, TrainingTakesEveryCore) {
  EXPECT_EQ(choose_threads(0, Workload::train, 2, 2), 2);
  EXPECT_EQ(choose_threads(0, Workload::train, 16, 0), 16);
}

TEST(Threads, InferenceTakesTheIdleCoresAndAtLeastOne) {
  EXPECT_EQ(choose_threads(0, Workload::infer, 2, 0), 2);
  EXPECT_EQ(choose_threads(0, Workload::infer, 2, 1), 1);
  EXPECT_EQ(choose_threads(0, Workload::infer, 2, 2), 1);
  EXPECT_EQ(choose_threads(0, Workload::infer, 8, 3), 5);
}

TEST(Threads, BusyCoresSeesACoreKeptBusy) {
  const int cores = int(std::thread::hardware_concurrency());
  std::atomic<bool> stop{false};
  std::thread spinner([&] {
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  const int busy = busy_cores(200);
  stop = true;
  spinner.join();
  EXPECT_GE(busy, 1);
  EXPECT_LE(busy, cores);
}

// libgomp prints its settings under OMP_DISPLAY_ENV: the binary has restarted itself with
// GOMP_SPINCOUNT=1000, and leaves a value the user gave alone.
TEST(Threads, TheBinaryShortensTheOpenMpSpinUnlessTheUserSetIt) {
  testing::Result r = testing::run_charrnn_cmd("OMP_DISPLAY_ENV=verbose " CHARRNN_BIN " --version",
                                               testing::temp_root());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("GOMP_SPINCOUNT = '1000'"), std::string::npos) << r.err;
  r = testing::run_charrnn_cmd("GOMP_SPINCOUNT=5000 OMP_DISPLAY_ENV=verbose " CHARRNN_BIN
                               " --version",
                               testing::temp_root());
  EXPECT_NE(r.err.find("GOMP_SPINCOUNT = '5000'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("GOMP_SPINCOUNT = '1000'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace charrnn
