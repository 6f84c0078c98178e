// server.h — `charrnn serve`: a trained model over HTTP, in OpenAI's shapes (so the OpenAI
// client libraries work with base URL http://host:port/v1), streaming by Server-Sent Events,
// many clients at once through continuous batching (engine.h), and a web page at /.
//
// Endpoints: GET /health, GET /v1/models, GET /v1/model (and /props: the model card),
// POST /v1/completions, POST /v1/score, GET / (the page). Errors are OpenAI's error object
// {"error": {"message", "type", "param", "code"}} with the status: 400 bad request, 401 key,
// 404, 413 body too large, 503 (with Retry-After) when slots and queue are full.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace charrnn::serve {

struct ServerConfig {
  std::string model;  // checkpoint directory or installed model name
  std::string host = "127.0.0.1";
  int port = 8080;           // 0: any free port (the URL printed on start tells which)
  int slots = 16;            // completions generated at once (rows of the batch)
  int queue = 64;            // completions waiting for a slot; beyond: 503
  std::string api_key;       // empty: no key needed
  int threads = 1;           // OpenMP threads of the engine and of prompt warm-up
  bool follow_load = false;  // --threads 0: fewer threads while other processes keep cores busy
                             // (a training run started later), back up to `threads` after
  std::string dtype = "f32";
  int64_t max_tokens = 4096;  // the largest max_tokens a request may ask
  std::string cors_origin;    // Access-Control-Allow-Origin, when set
  bool watch = false;         // reload the model when `charrnn train` saves a new one
  size_t max_body_bytes = 1 << 20;
  int timeout_seconds = 5;              // each read of a request, each write of a response
  double request_timeout_seconds = 10;  // a request's whole head and body (serve/guard.h)
  int max_connections_per_peer = 32;    // connections one address may hold at once
};

// One line per event: the URL on start, one line per request, reloads. The caller prints; it
// is called from the HTTP threads and the engine's at once.
using LogFn = std::function<void(const std::string& line)>;

// Serves until *stop becomes true, then stops accepting, cancels what runs, and returns.
// Throws charrnn::Error when the model cannot be loaded or the port cannot be bound.
void run_server(const ServerConfig& config, const std::atomic<bool>* stop, const LogFn& log);

}  // namespace charrnn::serve
