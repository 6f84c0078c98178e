// openmp.h — <omp.h>, or one-thread stand-ins for the few calls we make where the build has no
// OpenMP (the fuzz build), so that kernels can ask for their thread without an #ifdef each.
#pragma once

#ifdef _OPENMP
#include <omp.h>
#else
inline int omp_get_num_threads() {
  return 1;
}
inline int omp_get_thread_num() {
  return 0;
}
inline int omp_get_max_threads() {
  return 1;
}
inline int omp_get_num_procs() {
  return 1;
}
#endif
