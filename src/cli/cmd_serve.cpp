// cmd_serve.cpp — `charrnn serve`: flags -> ServerConfig -> run_server(), printing the URL on
// start and one line per request on stderr; SIGINT/SIGTERM stop it cleanly (exit 0).
#include <omp.h>

#include <cstdio>
#include <fstream>

#include "base/fsutil.h"
#include "charrnn/error.h"
#include "cli.h"
#include "serve/server.h"

namespace charrnn::cli {
namespace {

const char* kServeUsage =
    "usage: charrnn serve --model DIR|NAME [--port 8080] [options]\n"
    "\n"
    "Serves a trained model over HTTP: OpenAI-style POST /v1/completions (streaming with\n"
    "\"stream\": true), POST /v1/score, GET /v1/models, /v1/model, /health, and a web page at /.\n"
    "The OpenAI client libraries work with base URL http://HOST:PORT/v1 (any key when none is "
    "set).";

}  // namespace

int cmd_serve(int argc, char** argv, const std::atomic<bool>* stop) {
  serve::ServerConfig c;
  std::string key_file;
  int threads = 0;
  po::options_description opts("Server");
  opts.add_options()("model", po::value(&c.model)->required(),
                     "checkpoint directory or installed model name")(
      "host", po::value(&c.host)->default_value(c.host), "address to listen on")(
      "port", po::value(&c.port)->default_value(c.port), "port (0: any free port)")(
      "slots", po::value(&c.slots)->default_value(c.slots), "completions generated at once")(
      "queue", po::value(&c.queue)->default_value(c.queue),
      "completions waiting beyond the slots (more: 503)")(
      "api-key", po::value(&c.api_key),
      "require this key (Authorization: Bearer KEY or X-Api-Key)")(
      "api-key-file", po::value(&key_file), "read the key from this file (first line)")(
      "threads", po::value(&threads)->default_value(0),
      "CPU threads (0: the cores other processes leave idle)")(
      "dtype", po::value(&c.dtype)->default_value(c.dtype), "compute precision: f32 or bf16")(
      "max-tokens", po::value(&c.max_tokens)->default_value(c.max_tokens),
      "the largest max_tokens a request may ask")(
      "cors-origin", po::value(&c.cors_origin),
      "allow this origin (Access-Control-Allow-Origin), e.g. *")(
      "watch", po::bool_switch(&c.watch), "reload the model when charrnn train saves a new best")(
      "request-timeout",
      po::value(&c.request_timeout_seconds)->default_value(c.request_timeout_seconds),
      "seconds a request's head and body may take to arrive, however slowly")(
      "max-connections-per-ip",
      po::value(&c.max_connections_per_peer)->default_value(c.max_connections_per_peer),
      "connections one address may hold at once (more: 429)");
  po::variables_map vm;
  if (!parse(argc, argv, kServeUsage, {opts}, vm)) return kExitOk;
  if (c.port < 0 || c.port > 65535) fail_usage("--port must be between 0 and 65535");
  if (c.slots < 1 || c.slots > 256) fail_usage("--slots must be between 1 and 256");
  if (c.queue < 0 || c.queue > 4096) fail_usage("--queue must be between 0 and 4096");
  if (!(c.request_timeout_seconds > 0 && c.request_timeout_seconds <= 3600))
    fail_usage("--request-timeout must be in (0, 3600] seconds");
  if (c.max_connections_per_peer < 1 || c.max_connections_per_peer > 100000)
    fail_usage("--max-connections-per-ip must be between 1 and 100000");
  if (c.max_tokens < 1 || c.max_tokens > 1000000)
    fail_usage("--max-tokens must be between 1 and 1000000");
  if (!key_file.empty()) {
    const std::string text = read_file(key_file, "API key file");
    c.api_key = text.substr(0, text.find('\n'));
    if (c.api_key.empty()) fail_usage("the API key file " + key_file + " is empty");
  }
  set_threads(threads, Workload::infer);
  c.threads = omp_get_max_threads();  // the engine's and prompt warm-up's threads take it too
  c.follow_load = threads == 0;
  c.dtype = dtype_name(resolve_dtype(c.dtype));
  serve::run_server(c, stop, [](const std::string& line) {
    if (line.rfind("listening on ", 0) == 0) {  // the URL on stdout, for people and scripts
      std::printf("charrnn serve: %s\n", line.c_str());
      std::fflush(stdout);
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  });
  return kExitOk;
}

}  // namespace charrnn::cli
