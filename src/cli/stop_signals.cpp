// stop_signals.cpp — SIGINT/SIGTERM for `charrnn train`, taken by one watcher thread.
//
// Why a thread and not a handler: oneDNN 2.6's avx512_core JIT kernels (the LSTM training
// path) keep live data below the stack pointer. A signal delivered to a thread running one of
// them has its frame written over that data, which corrupts the heap ("corrupted size vs.
// prev_size", exit 134). Measured: a no-op SIGUSR1 handler flooded during training aborts
// 8 runs of 8; the same handler on a sigaltstack, 0 of 6. So the stop signals are blocked in
// every compute thread (OpenMP workers inherit the mask) and sigwait()ed by a thread that
// runs no kernel: compute threads are never interrupted at all.
//
// First signal: set the flag; the trainer finishes its step, saves and exits 130. Second
// signal: the default action at once (death by that signal); saves are atomic renames, so
// the last complete checkpoint stays intact.
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "cli.h"
#include "train/comm.h"

namespace charrnn::cli {
namespace {

// SIGUSR2 only wakes the watcher when training is over.
sigset_t watched_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  return set;
}

void say(const char* text) {
  if (::write(STDERR_FILENO, text, std::strlen(text)) < 0) {
    // nothing to do: stderr is gone, and the stop goes ahead anyway
  }
}

}  // namespace

StopSignals::StopSignals(std::string first_message) : first_message_(std::move(first_message)) {
  const sigset_t set = watched_set();
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);  // before any other thread exists
  watcher_ = std::thread([this] { watch(); });
}

StopSignals::~StopSignals() {
  done_.store(true);
  pthread_kill(watcher_.native_handle(), SIGUSR2);
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void StopSignals::watch() {
  const sigset_t set = watched_set();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR2) {
      if (done_.load()) return;
      continue;
    }
    if (!stop_.exchange(true)) {
      if (comm::rank() == 0)  // mpirun signals every rank; one line is enough
        say(first_message_.c_str());
      continue;
    }
    // Second signal: die of it now, as an unhandled signal would.
    std::signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    raise(sig);
  }
}

}  // namespace charrnn::cli
