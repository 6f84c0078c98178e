// comm.h — data-parallel training across processes (ranks) through MPI.
//
// Letters: K ranks, P parameters, N streams per rank, H hidden width.
// Every rank holds the same parameters and trains on its own N of the K*N streams; the flat
// gradient block (P) is averaged with one MPI_Allreduce before clipping and Adam, so the ranks
// stay bit-identical. Without MPI compiled in, or without mpirun, there is one rank and every
// call below is the identity: a single process behaves exactly as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace charrnn::comm {

// Starts MPI when this process was launched by mpirun (Open MPI's or a PMI launcher's
// environment), with MPI_THREAD_FUNNELED: only the main thread communicates.
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

}  // namespace charrnn::comm
