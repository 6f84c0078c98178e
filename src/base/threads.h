// threads.h — how many threads a run takes when the user leaves it to charrnn (--threads 0).
//
// Two OpenMP teams on the same cores make each other's speed a lottery: a thread that waits at
// a barrier for a partner the scheduler has parked burns its time slice spinning. Generation
// takes one barrier per primitive per symbol, so beside a training run that keeps every core
// busy it fell from 84,000 to 40 symbols/s with two threads, while one thread (no barriers)
// kept 36,000-54,000. So the inference verbs take only the cores that other processes leave
// idle, measured from /proc/stat over a short window; training takes every core, as before.
#pragma once

namespace charrnn {

enum class Workload { train, infer };

// The number of cores kept busy by other processes over `window_ms` (0 where /proc/stat cannot
// be read). The caller sleeps meanwhile, so its own threads do not count.
int busy_cores(int window_ms);
// The same, not counting this process's own CPU time (a server measuring while it works).
int other_busy_cores(int window_ms);

// The thread count for `requested` (0: automatic) on a machine with `cores` cores, `busy` of
// them busy with other work: training takes all cores; inference takes the idle ones, at least 1.
int choose_threads(int requested, Workload w, int cores, int busy);

}  // namespace charrnn
