// cli.h — the charrnn command line: one function per verb, shared option plumbing.
//
// Each verb parses its own flags (Boost.Program_options, grouped as Data / Model /
// Optimization / Output, unknown flags rejected) and calls the core library. main.cpp holds the
// only try/catch and maps errors to exit codes: 0 ok, 1 runtime, 2 usage, 130 interrupted.
#pragma once

#include <boost/program_options.hpp>

#include "base/threads.h"
#include "nn/recurrent_layer.h"

#include <signal.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace charrnn::cli {

namespace po = boost::program_options;

constexpr int kExitOk = 0, kExitRuntime = 1, kExitUsage = 2, kExitInterrupted = 130;

int cmd_train(int argc, char** argv, const std::atomic<bool>* stop);  // stop: StopSignals::flag()
int cmd_generate(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_serve(int argc, char** argv, const std::atomic<bool>* stop);  // stop: StopSignals::flag()

// Parses argv (argv[0] is the verb) into vm. Prints help and returns false for --help.
bool parse(int argc, char** argv, const std::string& usage,
           const std::vector<po::options_description>& groups, po::variables_map& vm,
           const po::positional_options_description* positional = nullptr);
// Sets the OpenMP/oneDNN thread count. 0 is automatic (threads.h): training takes every core,
// inference the cores that other processes leave idle.
void set_threads(int threads, Workload w);
// --dtype: f32 or bf16; bf16 on a CPU without AVX512-BF16/AMX falls back to f32 with a warning.
Dtype resolve_dtype(const std::string& name);
std::string with_commas(long long n);

// While alive, SIGINT/SIGTERM are taken by a watcher thread (compute threads never see them):
// the first sets flag(), the second kills the process at once. Construct it before any other
// thread exists (see stop_signals.cpp for why a handler is not safe here).
class StopSignals {
 public:
  // `first_message` is printed (rank 0) when the first signal arrives.
  explicit StopSignals(std::string first_message);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  const std::atomic<bool>* flag() const { return &stop_; }

 private:
  void watch();
  std::atomic<bool> stop_{false}, done_{false};
  std::string first_message_;
  sigset_t old_mask_;
  std::thread watcher_;
};

}  // namespace charrnn::cli
