// omp_env.h — called first thing in main(): see omp_env.cpp for why a re-exec.
#pragma once

namespace charrnn::cli {

// Returns only where GOMP_SPINCOUNT or OMP_WAIT_POLICY is already set, or exec failed;
// otherwise the process starts again with GOMP_SPINCOUNT=1000.
void reexec_with_short_omp_spin(char** argv);

}  // namespace charrnn::cli
