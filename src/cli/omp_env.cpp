// omp_env.cpp — libgomp's spin-wait, shortened by re-executing with GOMP_SPINCOUNT set.
//
// A libgomp thread waiting at a barrier spins GOMP_SPINCOUNT times (300,000 by default) before
// it sleeps. When two processes share the cores, the thread it waits for is often parked by the
// scheduler, and the spin burns the core that thread needs. Measured on 2 cores (Xeon, 2x512 LSTM
// training, 2 threads each): two runs at once made 3,889 + 3,848 tokens/s against 12,147 alone;
// with GOMP_SPINCOUNT=1000, 5,827 + 5,718 against 12,209 alone (idle speed unchanged).
//
// libgomp reads its environment once, in a shared-library constructor that runs before main().
// Setting the variable from a .preinit_array entry does not work either: libc's initializer,
// which runs after it, resets environ to the original array. So the process re-executes itself
// once with the variable set (about 5 ms). A value the user set (GOMP_SPINCOUNT or
// OMP_WAIT_POLICY) is left alone, which also ends the recursion.
#include "omp_env.h"

#include <unistd.h>

#include <cstdlib>

namespace charrnn::cli {

void reexec_with_short_omp_spin(char** argv) {
  if (std::getenv("GOMP_SPINCOUNT") || std::getenv("OMP_WAIT_POLICY")) return;
  if (setenv("GOMP_SPINCOUNT", "1000", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // Only reached when exec failed (no /proc): run on with libgomp's default spin.
}

}  // namespace charrnn::cli
