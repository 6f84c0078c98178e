// guard.h — a server that slow or greedy clients cannot shut for everyone else.
//
// cpp-httplib gives every connection a worker thread, and its read timeout applies to each
// read, not to the request: a client that sends a header line every few seconds holds its
// worker forever, and enough of them hold every worker (measured: 150 such connections made
// /health time out for everyone). The guard adds three limits:
//   * a deadline on each request's head and body, however slowly the bytes come (the watcher
//     cuts a connection past it; the deadline is lifted while the request is answered and set
//     again for the next request on a kept-alive connection);
//   * a bound on the connections one peer address may hold at once (the others are answered
//     429 and closed at once);
//   * a bounded pool: when every worker is busy and a few connections wait, a new connection is
//     answered 503 with Retry-After at once by a thread of its own, instead of queueing.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace charrnn::serve {

struct GuardLimits {
  int workers = 96;             // connections served at once
  int waiting = 16;             // connections that may wait for a worker; beyond: 503
  int per_peer = 32;            // connections one address may hold
  double request_seconds = 10;  // a request's head and body must arrive within this
};

// The connections being served: their peers and their deadlines.
class ConnectionGuard {
 public:
  explicit ConnectionGuard(const GuardLimits& limits) : limits_(limits) {}
  // A new connection on socket `sock`: 0 when its peer holds too many already (the caller
  // answers 429); else it is registered, with a deadline for its first request, under the
  // ticket returned. Tickets, not socket numbers, name connections: the kernel gives a closed
  // socket's number to the next connection before its worker has called close().
  uint64_t admit(int sock);
  void serving(uint64_t ticket);  // a worker starts serving it (this thread's connection)
  void close(uint64_t ticket);    // served, or refused: forget it (the socket is closed elsewhere)
  // The request on this thread's connection has arrived, head and body (call from each
  // handler: cpp-httplib reads the body after the pre-routing handler).
  void request_arrived();
  // The response has been sent: the next request on the connection gets a new deadline (call
  // from the logger).
  void response_sent();
  // True when the peer of this thread's connection has closed or reset it: a handler that
  // waits for its answer stops waiting.
  bool client_left();
  // Cuts the connections past their deadline (call every few hundred ms).
  void tick();
  int open_connections();
  int64_t cut() const { return cut_.load(); }
  int64_t refused() const { return refused_.load(); }
  // Answers `status` with an OpenAI error object and closes the socket.
  static void answer_and_close(int sock, const char* status, const char* message);

 private:
  using Clock = std::chrono::steady_clock;
  struct Connection {
    std::string peer;
    int watch_fd;  // a dup of the socket: ours to shut down; its number is never reused early
    bool deadline_on;
    Clock::time_point deadline;
  };
  GuardLimits limits_;
  std::mutex mu_;
  std::map<uint64_t, Connection> connections_;  // by ticket
  uint64_t next_ticket_ = 1;
  std::map<std::string, int> per_peer_;
  std::atomic<int64_t> cut_{0}, refused_{0};
  friend class GuardedPool;
};

// cpp-httplib's worker pool, replaced: a fixed number of threads, a bounded wait, a thread that
// answers the overflow with 503 at once, and the guard around every connection. cpp-httplib
// 0.11 (Debian 12) has no hook between accepting a connection and handing it to the pool (its
// per-connection entry point is private), so guard.cpp wraps accept(2) to learn the socket the
// listener thread has just accepted: the task enqueued next on that thread serves it.
class GuardedPool : public httplib::TaskQueue {
 public:
  GuardedPool(ConnectionGuard* guard, int workers, int waiting);
  ~GuardedPool() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  struct Task {
    std::function<void()> fn;
    int sock;
    uint64_t ticket = 0;            // the guard's name for the connection; 0: not admitted
    const char* refusal = nullptr;  // the rejector's answer, when it is refused
  };
  void work();
  void reject();
  ConnectionGuard* guard_;
  std::mutex mu_;
  std::condition_variable cv_, reject_cv_;
  std::deque<Task> jobs_, rejects_;
  int idle_ = 0, waiting_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
  std::thread rejector_;
};

}  // namespace charrnn::serve
