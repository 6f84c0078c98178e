// main.cpp — charrnn's entry point: picks the verb and maps every error to an exit code.
// This is the only place that catches exceptions.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include <unistd.h>

#include "charrnn/error.h"
#include "cli.h"
#include "cli/flags.h"
#include "omp_env.h"
#include "train/comm.h"

namespace {

const char* kUsage =
    "charrnn — character-level LSTM language models on the CPU\n"
    "\n"
    "usage: charrnn <command> [options]     (charrnn <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  train     --corpus FILE --model DIR   learn a model from UTF-8 text, save checkpoints\n"
    "  generate  --model DIR [--prompt TEXT] write text from a checkpoint\n"
    "  inspect   DIR [--json]                describe a checkpoint\n"
    "  eval      --model DIR --text FILE     loss, bits per char and perplexity of a text\n"
    "  serve     --model DIR [--port P]      HTTP: OpenAI-style completions, a web page\n"
    "\n"
    "exit codes: 0 ok, 1 runtime error, 2 usage error, 130 interrupted (after saving)\n";

int dispatch(int argc, char** argv, const std::atomic<bool>* stop) {
  namespace cli = charrnn::cli;
  const std::string verb = argv[1];
  if (verb == "train") return cli::cmd_train(argc - 1, argv + 1, stop);
  if (verb == "generate") return cli::cmd_generate(argc - 1, argv + 1);
  if (verb == "inspect") return cli::cmd_inspect(argc - 1, argv + 1);
  if (verb == "eval") return cli::cmd_eval(argc - 1, argv + 1);
  if (verb == "serve") return cli::cmd_serve(argc - 1, argv + 1, stop);
  charrnn::fail_usage("unknown command '" + verb + "'", "run charrnn --help for the commands");
}

// "charrnn: " alone, or with the rank when several processes train together.
std::string prefix() {
  namespace comm = charrnn::comm;
  if (comm::size() == 1) return "charrnn: ";
  return "charrnn (rank " + std::to_string(comm::rank()) + " of " + std::to_string(comm::size()) +
         "): ";
}

// The whole report in one write(2): under mpirun, other processes' output (MPI_ABORT's banner)
// must not land between the prefix and the message, as it did with piecewise std::cerr.
void report(const std::string& text) {
  std::cout.flush();
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(2, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += size_t(n);
  }
}

int run(int argc, char** argv, const std::atomic<bool>* stop) {
  namespace cli = charrnn::cli;
  try {
    return dispatch(argc, argv, stop);
  } catch (const charrnn::Error& e) {
    const std::string hint = e.hint_as(cli::as_flag);
    report(prefix() + e.what_as(cli::as_flag) + "\n" +
           (hint.empty() ? "" : "hint: " + hint + "\n"));
    return e.kind() == charrnn::Error::Kind::usage ? cli::kExitUsage : cli::kExitRuntime;
  } catch (const boost::program_options::error& e) {
    report(std::string("charrnn ") + argv[1] + ": " + e.what() + "\nhint: run charrnn " + argv[1] +
           " --help\n");
    return cli::kExitUsage;
  } catch (const dnnl::error& e) {
    report(prefix() + "oneDNN error: " + e.what() + "\n");
    return cli::kExitRuntime;
  } catch (const std::bad_alloc&) {
    report(prefix() + "out of memory\nhint: use a smaller --hidden, --batch or --seq\n");
    return cli::kExitRuntime;
  } catch (const std::exception& e) {
    report(prefix() + e.what() + "\n");
    return cli::kExitRuntime;
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = charrnn::cli;
  cli::reexec_with_short_omp_spin(argv);  // before anything else: it may start the process again
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? cli::kExitUsage : cli::kExitOk;
  }
  if (!std::strcmp(argv[1], "--version")) {
    const dnnl_version_t* v = dnnl_version();
    std::cout << "charrnn " << CHARRNN_VERSION << " (oneDNN " << v->major << "." << v->minor << "."
              << v->patch << ", MPI: " << (charrnn::comm::compiled_in() ? "yes" : "no") << ")\n";
    return cli::kExitOk;
  }
  // Over a file-size limit (ulimit -f) the kernel would kill the process with SIGXFSZ; ignored,
  // the write fails with EFBIG instead, and the error path keeps the last checkpoint intact.
  std::signal(SIGXFSZ, SIG_IGN);
  // Training takes SIGINT/SIGTERM on a watcher thread. It blocks them first, so that every
  // later thread (OpenMP's, MPI's) inherits the mask; then MPI starts, under mpirun only.
  // serve takes them the same way: the first stops it cleanly (exit 0).
  const bool training = !std::strcmp(argv[1], "train");
  std::optional<cli::StopSignals> stop_signals;
  if (training)
    stop_signals.emplace(
        "\ncharrnn: stopping after this step and saving (press Ctrl-C again to abort at once)\n");
  else if (!std::strcmp(argv[1], "serve"))
    stop_signals.emplace("charrnn serve: stopping: no new requests; running completions end now\n");
  if (training) charrnn::comm::init(&argc, &argv);
  const int code = run(argc, argv, stop_signals ? stop_signals->flag() : nullptr);
  // After an error with several ranks, MPI_Abort ends the others: none waits forever.
  if (training) charrnn::comm::finish(code == cli::kExitRuntime || code == cli::kExitUsage, code);
  return code;
}
