// main.cpp — charrnn's entry point: picks the verb and maps every error to an exit code.
// This is the only place that catches exceptions.
#include <oneapi/dnnl/dnnl.hpp>

#include <csignal>
#include <cstring>
#include <iostream>

#include "charrnn/error.h"
#include "cli.h"

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
    "\n"
    "exit codes: 0 ok, 1 runtime error, 2 usage error, 130 interrupted (after saving)\n";

int dispatch(int argc, char** argv) {
  namespace cli = charrnn::cli;
  const std::string verb = argv[1];
  if (verb == "train") return cli::cmd_train(argc - 1, argv + 1);
  if (verb == "generate") return cli::cmd_generate(argc - 1, argv + 1);
  if (verb == "inspect") return cli::cmd_inspect(argc - 1, argv + 1);
  if (verb == "eval") return cli::cmd_eval(argc - 1, argv + 1);
  charrnn::fail_usage("unknown command '" + verb + "'", "run charrnn --help for the commands");
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = charrnn::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? cli::kExitUsage : cli::kExitOk;
  }
  if (!std::strcmp(argv[1], "--version")) {
    const dnnl_version_t* v = dnnl_version();
    std::cout << "charrnn " << CHARRNN_VERSION << " (oneDNN " << v->major << "." << v->minor << "."
              << v->patch << ", MPI: no)\n";
    return cli::kExitOk;
  }
  // Over a file-size limit (ulimit -f) the kernel would kill the process with SIGXFSZ; ignored,
  // the write fails with EFBIG instead, and the error path keeps the last checkpoint intact.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return dispatch(argc, argv);
  } catch (const charrnn::Error& e) {
    std::cout.flush();
    std::cerr << "charrnn: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    return e.kind() == charrnn::Error::Kind::usage ? cli::kExitUsage : cli::kExitRuntime;
  } catch (const boost::program_options::error& e) {
    std::cerr << "charrnn " << argv[1] << ": " << e.what() << "\n"
              << "hint: run charrnn " << argv[1] << " --help\n";
    return cli::kExitUsage;
  } catch (const dnnl::error& e) {
    std::cerr << "charrnn: oneDNN error: " << e.what() << "\n";
    return cli::kExitRuntime;
  } catch (const std::bad_alloc&) {
    std::cerr << "charrnn: out of memory\nhint: use a smaller --hidden, --batch or --seq\n";
    return cli::kExitRuntime;
  } catch (const std::exception& e) {
    std::cerr << "charrnn: " << e.what() << "\n";
    return cli::kExitRuntime;
  }
}
