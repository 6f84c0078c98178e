// comm.cpp — MPI behind the comm.h calls; one rank and identities when MPI is absent.
#include "train/comm.h"

#include "charrnn/error.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#ifdef CHARRNN_WITH_MPI
#include <mpi.h>
#endif

namespace charrnn::comm {
namespace {

int g_rank = 0, g_size = 1;

}  // namespace

bool compiled_in() {
#ifdef CHARRNN_WITH_MPI
  return true;
#else
  return false;
#endif
}

int rank() {
  return g_rank;
}
int size() {
  return g_size;
}

namespace {

// x /= K, as a product with 1/K: the same operation on every path, so the same bits.
void scale_by_ranks(float* x, size_t n) {
  const float scale = 1.f / float(g_size);
  const int64_t count = int64_t(n);
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < count; ++i) x[i] *= scale;
}

}  // namespace

#ifdef CHARRNN_WITH_MPI

namespace {

bool g_active = false;                   // MPI_Init was called
int g_thread_level = MPI_THREAD_SINGLE;  // what MPI_Init_thread provided

// Launched by mpirun? (Open MPI sets OMPI_COMM_WORLD_SIZE; PMI-based launchers PMI_SIZE.)
bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

}  // namespace

void init(int* argc, char*** argv) {
  if (g_active || !launched_by_mpirun()) return;
  MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &g_thread_level);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_active = true;
}

void finish(bool failed, int exit_code) {
  if (!g_active) return;
  g_active = false;
  if (failed && g_size > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);  // ends every rank
  MPI_Finalize();
}

namespace {

// In place: x = sum over ranks. MPI counts are int: large blocks go in chunks of 2^30 floats.
void allreduce_sum(float* x, size_t n) {
  for (size_t done = 0; done < n;) {
    const int count = int(std::min<size_t>(n - done, size_t(1) << 30));
    MPI_Allreduce(MPI_IN_PLACE, x + done, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    done += size_t(count);
  }
}

bool threads_may_communicate() {
  return g_thread_level >= MPI_THREAD_SERIALIZED;
}

}  // namespace

void allreduce_mean(float* x, size_t n) {
  if (g_size == 1) return;
  allreduce_sum(x, n);
  scale_by_ranks(x, n);
}

double allreduce_mean(double x) {
  if (g_size == 1) return x;
  double sum = 0;
  MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return sum / double(g_size);
}

bool any(bool flag) {
  if (g_size == 1) return flag;
  int mine = flag ? 1 : 0, out = 0;
  MPI_Allreduce(&mine, &out, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
  return out != 0;
}

std::vector<uint64_t> allgather(uint64_t word) {
  std::vector<uint64_t> all(size_t(g_size), word);
  if (g_size > 1)
    MPI_Allgather(&word, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
  return all;
}

void gather(const float* mine, size_t n, float* root) {
  if (g_size == 1) {
    std::memcpy(root, mine, n * sizeof(float));
    return;
  }
  MPI_Gather(mine, int(n), MPI_FLOAT, root, int(n), MPI_FLOAT, 0, MPI_COMM_WORLD);
}

void scatter(const float* root, size_t n, float* mine) {
  if (g_size == 1) {
    std::memcpy(mine, root, n * sizeof(float));
    return;
  }
  MPI_Scatter(root, int(n), MPI_FLOAT, mine, int(n), MPI_FLOAT, 0, MPI_COMM_WORLD);
}

void barrier() {
  if (g_size > 1) MPI_Barrier(MPI_COMM_WORLD);
}

#else  // one process, no MPI

namespace {
void allreduce_sum(float*, size_t) {}
bool threads_may_communicate() {
  return false;
}
}  // namespace

void init(int*, char***) {}
void finish(bool, int) {}
void allreduce_mean(float*, size_t) {}
double allreduce_mean(double x) {
  return x;
}
bool any(bool flag) {
  return flag;
}
std::vector<uint64_t> allgather(uint64_t word) {
  return {word};
}
void gather(const float* mine, size_t n, float* root) {
  std::memcpy(root, mine, n * sizeof(float));
}
void scatter(const float* root, size_t n, float* mine) {
  std::memcpy(mine, root, n * sizeof(float));
}
void barrier() {}

#endif

// Room for every bucket of a step: the Net hands over L + 2 (head, layers, embedding).
constexpr size_t kMaxBuckets = 1024;

GradientReducer::GradientReducer(float* grads_p, size_t count, bool overlap)
    : grads_p_(grads_p), count_(count) {
  buckets_.reserve(kMaxBuckets);
  if (overlap && g_size > 1 && threads_may_communicate()) worker_ = std::thread([this] { work(); });
}

GradientReducer::~GradientReducer() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void GradientReducer::ready(size_t offset, size_t count) {
  if (g_size == 1) return;
  if (buckets_.size() == kMaxBuckets) fail("internal: more gradient buckets than reserved");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    buckets_.push_back({offset, count});
  }
  if (worker_.joinable()) changed_.notify_all();
}

void GradientReducer::finish() {
  if (g_size == 1) return;
  size_t covered = 0;
  if (worker_.joinable()) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return reduced_ == buckets_.size(); });
  } else {
    for (const Bucket& b : buckets_) reduce(b);
  }
  for (const Bucket& b : buckets_) covered += b.count;
  if (covered != count_) fail("internal: the gradient buckets do not cover the block");
  buckets_.clear();  // keeps its capacity
  reduced_ = 0;
  scale_by_ranks(grads_p_, count_);
}

void GradientReducer::reduce(const Bucket& b) {
  allreduce_sum(grads_p_ + b.offset, b.count);
}

void GradientReducer::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return quit_ || reduced_ < buckets_.size(); });
    if (quit_) return;
    const Bucket b = buckets_[reduced_];
    lock.unlock();
    reduce(b);  // while backward goes on
    lock.lock();
    ++reduced_;
    changed_.notify_all();
  }
}

}  // namespace charrnn::comm
