// comm.h — data-parallel training across processes (ranks) through MPI.
//
// Letters: K ranks, P parameters, N streams per rank, H hidden width.
// Every rank holds the same parameters and trains on its own N of the K*N streams; the flat
// gradient block (P) is averaged bucket by bucket (GradientReducer) before clipping and Adam,
// so the ranks stay bit-identical. Without MPI compiled in, or without mpirun, there is one
// rank and every call below is the identity: a single process behaves exactly as before.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace charrnn::comm {

// Starts MPI when this process was launched by mpirun (Open MPI's or a PMI launcher's
// environment), with MPI_THREAD_SERIALIZED: GradientReducer's thread and the main thread both
// communicate, never at the same time.
void init(int* argc, char*** argv);
// Ends MPI: MPI_Finalize, or after a failure with K > 1 MPI_Abort(exit_code), so that no
// other rank waits forever in a collective.
void finish(bool failed, int exit_code);

bool compiled_in();  // built with MPI
int rank();          // 0 without MPI
int size();          // K; 1 without MPI

// In place: x = mean over ranks of x (sum, then / K).
void allreduce_mean(float* x, size_t n);
double allreduce_mean(double x);
bool any(bool flag);                             // logical OR over ranks
std::vector<uint64_t> allgather(uint64_t word);  // [rank] = that rank's word
// Rank r's n floats land at root[r * n]; `root` is only written on rank 0.
void gather(const float* mine, size_t n, float* root);
// The inverse: rank r receives root[r * n .. r * n + n) (read on rank 0 only).
void scatter(const float* root, size_t n, float* mine);
void barrier();

// Averages the gradient block over the ranks in buckets, in the order backward finishes them
// (head, top layer ... first layer and embedding), as PyTorch DDP's reducer does. Overlapped, a
// communication thread reduces each bucket while backward computes the layers below it, so
// only the last bucket's transfer adds to the step. Not overlapped, the same buckets are
// reduced in the same order after backward: the same sums in the same order, the same bits.
// One rank: nothing to do. Allocates at construction only.
class GradientReducer {
 public:
  GradientReducer(float* grads_p, size_t count, bool overlap);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // grads_p[offset, offset + count) is final for this step (called by the backward pass).
  void ready(size_t offset, size_t count);
  // Returns when every bucket is reduced and the block holds the mean over the ranks; checks
  // that the buckets of this step covered the block once.
  void finish();
  bool overlapping() const { return worker_.joinable(); }

 private:
  struct Bucket {
    size_t offset, count;
  };
  void work();  // the communication thread: reduce buckets as they come
  void reduce(const Bucket& b);

  float* grads_p_;
  size_t count_;
  std::vector<Bucket> buckets_;  // this step's, in order; capacity fixed at construction
  size_t reduced_ = 0;           // buckets_[0, reduced_) are done
  bool quit_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread worker_;
};

}  // namespace charrnn::comm
