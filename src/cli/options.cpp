// options.cpp — shared flag parsing and small formatting helpers for the verbs.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <iostream>

#include "base/threads.h"
#include "charrnn/error.h"
#include "cli.h"

namespace charrnn::cli {

bool parse(int argc, char** argv, const std::string& usage,
           const std::vector<po::options_description>& groups, po::variables_map& vm,
           const po::positional_options_description* positional) {
  po::options_description all;
  po::options_description help("Help");
  help.add_options()("help,h", "show this help");
  for (const auto& g : groups) all.add(g);
  all.add(help);
  po::command_line_parser parser(argc, argv);
  // No guessing from prefixes: "--out DIR" would silently become --output-dropout and fail on
  // the number; an unknown flag must be named as unknown.
  parser.style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing);
  parser.options(all);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n\n" << all << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

void set_threads(int threads, Workload w) {
  if (threads < 0 || threads > 1024)
    fail_usage("--threads must be between 0 (automatic) and 1024, got " + std::to_string(threads));
  if (threads == 0) {  // the cores are shared among the ranks mpirun started on this machine
    const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const int ranks_here = local ? std::max(1, std::atoi(local)) : 1;
    const int cores = std::max(1, omp_get_num_procs() / ranks_here);
    // 50 ms at 100 ticks/s: 5 ticks a core, enough to tell a busy core from an idle one.
    threads = choose_threads(0, w, cores, w == Workload::infer ? busy_cores(50) : 0);
  }
  omp_set_num_threads(threads);
}

Dtype resolve_dtype(const std::string& name) {
  const Dtype d = parse_dtype(name);
  if (d == Dtype::bf16 && !cpu_has_bf16()) {
    std::fprintf(
        stderr,
        "charrnn: warning: this CPU has no bf16 instructions (AVX512-BF16 or AMX); using f32\n");
    return Dtype::f32;
  }
  return d;
}

std::string with_commas(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace charrnn::cli
