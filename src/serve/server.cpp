// server.cpp — the HTTP side of `charrnn serve` (see server.h): routes, keys, errors, logging,
// streaming, --watch and shutdown. Completions run on the Engine; score and the model card on
// the public API's Model.
#include "serve/server.h"

#include <httplib.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include "api/model_impl.h"
#include "base/threads.h"
#include "charrnn/charrnn.h"
#include "checkpoint/checkpoint.h"
#include "serve/completion.h"
#include "serve/engine.h"
#include "serve/guard.h"
#include "serve/page.h"
#include "serve/request.h"

namespace charrnn::serve {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// What the logger reports of the request this worker thread is serving.
thread_local Clock::time_point t_start;
thread_local int64_t t_symbols = 0;

json error_object(const std::string& message, const std::string& type, const std::string& param,
                  const std::string& code) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& param = {}) {
  const char* type = status == 401   ? "authentication_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  const char* code = status == 401   ? "invalid_api_key"
                     : status == 404 ? "not_found"
                     : status == 413 ? "payload_too_large"
                     : status == 503 ? "overloaded"
                                     : "";
  res.status = status;
  // The message may quote what the client sent (a URL path): bytes that are not UTF-8 become
  // U+FFFD rather than an exception outside every handler.
  res.set_content(
      error_object(message, type, param, code).dump(-1, ' ', false, json::error_handler_t::replace),
      "application/json");
}

void send_json(httplib::Response& res, const json& body) {
  res.set_content(body.dump(), "application/json");
}

// The key, as "Authorization: Bearer KEY" or "X-Api-Key: KEY".
bool has_key(const httplib::Request& req, const std::string& key) {
  const std::string auth = req.get_header_value("Authorization");
  return auth == "Bearer " + key || req.get_header_value("X-Api-Key") == key;
}

class Service {
 public:
  Service(const ServerConfig& c, const LogFn& log) : cfg_(c), log_(log) {
    dir_ = locate_model(c.model);
    model_ = std::make_shared<const Model>(Model::open(dir_, {"best", c.dtype}));
    completions_ = std::make_unique<Completions>(impl_of(*model_), c);
    id_ = model_->card().name;
    if (c.watch) watched_ = model_->card().steps;
  }

  // Each handler runs once the head and the body are in (httplib reads a body after the
  // pre-routing handler): only then does the request's deadline come off, so a body sent a
  // byte at a time is cut like slow headers are.
  void routes(httplib::Server& svr, ConnectionGuard& guard) {
    using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
    auto arrived = [&guard](Handler h) {
      return [&guard, h](const httplib::Request& req, httplib::Response& res) {
        guard.request_arrived();  // no deadline while it is answered
        h(req, res);
      };
    };
    svr.Get("/health", arrived([](const httplib::Request&, httplib::Response& res) {
              send_json(res, {{"status", "ok"}});
            }));
    svr.Get("/", arrived([](const httplib::Request&, httplib::Response& res) {
              res.set_content(page_html(), "text/html");
            }));
    svr.Get("/v1/models", arrived([this](const httplib::Request&, httplib::Response& res) {
              send_json(res, {{"object", "list"},
                              {"data", json::array({{{"id", id_},
                                                     {"object", "model"},
                                                     {"created", 0},
                                                     {"owned_by", "charrnn"}}})}});
            }));
    const Handler card = arrived(
        [this](const httplib::Request&, httplib::Response& res) { send_json(res, card_json()); });
    svr.Get("/v1/model", card);
    svr.Get("/props", card);
    svr.Post("/v1/completions",
             arrived([this, &guard](const httplib::Request& req, httplib::Response& res) {
               completions_->handle(req.body, id_, res, t_symbols,
                                    [&guard] { return guard.client_left(); });
             }));
    svr.Post("/v1/score", arrived([this](const httplib::Request& req, httplib::Response& res) {
               score(req, res);
             }));
  }

  // --watch: a new best checkpoint in the directory is taken between two engine steps.
  void poll_model() {
    if (!cfg_.watch) return;
    std::shared_ptr<const Model> fresh;
    try {
      // model.json alone says whether a new checkpoint is there: the weights are read and
      // hashed only then, not every second.
      if (read_checkpoint_meta(dir_).state.step == watched_) return;
      fresh = std::make_shared<const Model>(Model::open(dir_, {"best", cfg_.dtype}));
    } catch (const std::exception&) {  // Error, or bad_alloc and oneDNN's from the new model
      return;  // mid-save, damaged or too big: keep serving the loaded one, try again next poll
    }
    if (fresh->card().steps == watched_) return;
    watched_ = fresh->card().steps;
    const std::string at = fresh->card().dir + " at step " + std::to_string(watched_);
    // The card and /v1/score change only once the engine serves the new weights, so all three
    // always describe one model. The lines are made here: the callback runs just after a build
    // that may have failed for want of memory.
    auto built = [this, fresh, done = "reloaded " + at,
                  failed = "could not build the nets of " + at +
                           " (out of memory?); keeping the loaded one"](bool ok) {
      if (!ok) return log_(failed);
      {
        std::lock_guard<std::mutex> lock(model_mu_);
        model_ = fresh;
      }
      log_(done);
    };
    if (!completions_->reload(impl_of(*fresh), built))
      log_("model in " + fresh->card().dir +
           " changed shape; keeping the loaded one (restart to serve it)");
  }

  void shutdown() { completions_->shutdown(); }
  void set_threads(int threads) { completions_->set_threads(threads); }

 private:
  std::shared_ptr<const Model> model() {
    std::lock_guard<std::mutex> lock(model_mu_);
    return model_;
  }

  json card_json() {
    const std::shared_ptr<const Model> m = model();
    json j = json::parse(m->card().json);
    j["id"] = id_;
    return j;
  }

  void score(const httplib::Request& req, httplib::Response& res) {
    const std::string text = parse_score_request(req.body);
    ScoreOptions o;
    o.name = "text";
    Score s;
    // One score at a time, on the server's threads: scoring runs outside the engine's slots,
    // and many at once on every core would starve the completions.
    std::lock_guard<std::mutex> lock(score_mu_);
    charrnn::set_threads(cfg_.threads);  // the library's count, taken by score() on this thread
    try {
      s = model()->score(text, o);
    } catch (const Error& e) {
      throw client_text_error(e, "text");
    }
    send_json(res, {{"symbols", s.symbols},
                    {"predicted", s.predicted},
                    {"nats_per_char", s.nats_per_char},
                    {"bits_per_char", s.bits_per_char},
                    {"perplexity", s.perplexity}});
  }

  ServerConfig cfg_;
  LogFn log_;
  std::mutex model_mu_, score_mu_;
  std::shared_ptr<const Model> model_;  // the one loaded model: card, /v1/score, completions
  std::unique_ptr<Completions> completions_;
  std::string dir_;  // the checkpoint directory (a load may have read it from its aside copy)
  std::string id_;
  int64_t watched_ = -1;
};

void install_handlers(httplib::Server& svr, ConnectionGuard& guard, const ServerConfig& c,
                      const LogFn& log) {
  svr.set_pre_routing_handler([c](const httplib::Request& req, httplib::Response& res) {
    t_start = Clock::now();
    t_symbols = 0;
    if (!c.cors_origin.empty()) {
      res.set_header("Access-Control-Allow-Origin", c.cors_origin);
      res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Api-Key");
      res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    }
    if (req.method == "OPTIONS") {
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!c.api_key.empty() && req.path != "/health" && req.path != "/" &&
        !has_key(req, c.api_key)) {
      send_error(res, 401,
                 "a valid API key is required (Authorization: Bearer KEY, or X-Api-Key: KEY)");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const Error& e) {
          send_error(res, e.kind() == Error::Kind::usage ? 400 : 500, e.what(), e.field());
        } catch (const std::bad_alloc&) {
          send_error(res, 503, "out of memory");
        } catch (const std::exception& e) {
          send_error(res, 500, std::string("internal error: ") + e.what());
        }
      });
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [c](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours already
        if (res.status == 404)
          send_error(res, 404, "no such endpoint: " + req.method + " " + req.path);
        else if (res.status == 413)
          send_error(res, 413,
                     "the body is larger than " + std::to_string(c.max_body_bytes) + " bytes");
        else
          send_error(res, res.status,
                     "the request could not be served (HTTP " + std::to_string(res.status) + ")");
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_logger([log, &guard](const httplib::Request& req, const httplib::Response& res) {
    guard.response_sent();  // a kept-alive connection's next request has its own deadline
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t_start).count();
    char buf[64];
    std::snprintf(buf, sizeof buf, " %d %lld symbols %.1f ms", res.status, (long long)t_symbols,
                  ms);
    log(req.method + " " + req.path + buf);
  });
}

}  // namespace

void run_server(const ServerConfig& c, const std::atomic<bool>* stop, const LogFn& log) {
  Service service(c, log);
  GuardLimits limits;
  limits.workers = c.slots + c.queue + 16;  // every waiting client holds a thread
  limits.waiting = 16;
  // One address never holds more than half the workers: the other half stays for everyone else.
  limits.per_peer = std::min(c.max_connections_per_peer, std::max(1, limits.workers / 2));
  limits.request_seconds = c.request_timeout_seconds;
  ConnectionGuard guard(limits);
  httplib::Server svr;
  svr.new_task_queue = [&guard, limits] {
    return new GuardedPool(&guard, limits.workers, limits.waiting);
  };
  svr.set_payload_max_length(c.max_body_bytes);
  svr.set_read_timeout(c.timeout_seconds, 0);
  svr.set_write_timeout(c.timeout_seconds, 0);
  svr.set_keep_alive_timeout(2);  // an idle connection holds a worker thread
  install_handlers(svr, guard, c, log);
  service.routes(svr, guard);
  const int port =
      c.port == 0 ? svr.bind_to_any_port(c.host) : (svr.bind_to_port(c.host, c.port) ? c.port : -1);
  if (port < 0)
    fail("cannot listen on " + c.host + ":" + std::to_string(c.port),
         "is another server using the port? choose another {port}");
  log("listening on http://" + c.host + ":" + std::to_string(port) + "/ (" +
      std::to_string(c.slots) + " slots, " + std::to_string(c.threads) + " threads)");
  std::thread listener([&] { svr.listen_after_bind(); });
  for (int tick = 0; !stop->load(); ++tick) {  // the watcher: signals, --watch, the load
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    guard.tick();  // cuts requests past their deadline
    // Memory the connections' threads freed goes back to the system (glibc keeps it in
    // per-thread arenas otherwise: a burst of connections would leave the server larger).
    if (tick % 50 == 49) ::malloc_trim(0);
    if (tick % 10 == 9) service.poll_model();
    if (c.follow_load && tick % 20 == 19) {
      // Never above the count the networks were built with: their scratchpads are sized for it.
      const int cores = int(std::thread::hardware_concurrency());
      service.set_threads(std::clamp(cores - other_busy_cores(100), 1, c.threads));
    }
  }
  service.shutdown();  // running completions end ("cancelled"), their clients are answered
  svr.stop();
  listener.join();
}

}  // namespace charrnn::serve
