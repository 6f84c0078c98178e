// guard.cpp — connection limits, request deadlines and the bounded pool (see guard.h).
#include "serve/guard.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

thread_local int t_accepted = -1;    // the socket this (listener) thread accepted last
thread_local uint64_t t_ticket = 0;  // the connection this worker serves

}  // namespace

// accept(2), wrapped: the same call, and the socket remembered for GuardedPool::enqueue, which
// cpp-httplib's listener thread calls right after (see guard.h for why).
extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
  using Accept = int (*)(int, sockaddr*, socklen_t*);
  static const Accept real = reinterpret_cast<Accept>(::dlsym(RTLD_NEXT, "accept"));
  const int sock = real(fd, addr, len);
  t_accepted = sock;
  return sock;
}

// listen(2), wrapped: cpp-httplib 0.11 is compiled (Debian's libcpp-httplib) with a backlog of
// 5, so a burst of connections overflows the accept queue and the kernel drops the SYNs of
// everyone else, who retry a second later (measured: ~2,800 drops in 25 s of 300 trickling
// connections, and a /health from another address waiting 1 s). The guard answers the overflow
// itself, at once; the kernel's queue only has to hold what arrives between two accepts.
extern "C" int listen(int fd, int backlog) {
  using Listen = int (*)(int, int);
  static const Listen real = reinterpret_cast<Listen>(::dlsym(RTLD_NEXT, "listen"));
  return real(fd, backlog < SOMAXCONN ? SOMAXCONN : backlog);
}

namespace charrnn::serve {
namespace {

std::string peer_of(int sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, host, sizeof host);
  else if (addr.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, host, sizeof host);
  return host;
}

}  // namespace

void ConnectionGuard::answer_and_close(int sock, const char* status, const char* message) {
  char body[256];
  std::snprintf(body, sizeof body,
                "{\"error\":{\"message\":\"%s\",\"type\":\"server_error\",\"param\":null,"
                "\"code\":\"overloaded\"}}",
                message);
  char head[512];
  const int n = std::snprintf(head, sizeof head,
                              "HTTP/1.1 %s\r\nContent-Type: application/json\r\nRetry-After: "
                              "1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                              status, std::strlen(body), body);
  const ssize_t sent = ::send(sock, head, size_t(n), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)sent;  // a client that cannot take 200 bytes gets nothing
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

uint64_t ConnectionGuard::admit(int sock) {
  const std::string peer = peer_of(sock);
  std::lock_guard<std::mutex> lock(mu_);
  if (per_peer_[peer] >= limits_.per_peer) return 0;
  ++per_peer_[peer];
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(limits_.request_seconds));
  const uint64_t ticket = next_ticket_++;
  connections_[ticket] = {peer, ::dup(sock), true, deadline};
  return ticket;
}

void ConnectionGuard::serving(uint64_t ticket) {
  t_ticket = ticket;
}

void ConnectionGuard::close(uint64_t ticket) {
  t_ticket = 0;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(ticket);
  if (it == connections_.end()) return;
  if (it->second.watch_fd >= 0) ::close(it->second.watch_fd);
  if (--per_peer_[it->second.peer] == 0) per_peer_.erase(it->second.peer);
  connections_.erase(it);
}

void ConnectionGuard::request_arrived() {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(t_ticket);
  if (it != connections_.end()) it->second.deadline_on = false;
}

void ConnectionGuard::response_sent() {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(t_ticket);
  if (it == connections_.end()) return;
  it->second.deadline_on = true;
  it->second.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(limits_.request_seconds));
}

bool ConnectionGuard::client_left() {
  int fd = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = connections_.find(t_ticket);
    if (it != connections_.end()) fd = it->second.watch_fd;  // closed only by this thread
  }
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

void ConnectionGuard::tick() {
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [ticket, c] : connections_)
    if (c.deadline_on && now > c.deadline && c.watch_fd >= 0) {
      ::shutdown(c.watch_fd, SHUT_RDWR);  // the worker's read returns; it closes the socket
      c.deadline_on = false;
      cut_.fetch_add(1);
    }
}

int ConnectionGuard::open_connections() {
  std::lock_guard<std::mutex> lock(mu_);
  return int(connections_.size());
}

GuardedPool::GuardedPool(ConnectionGuard* guard, int workers, int waiting)
    : guard_(guard), waiting_(waiting) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  rejector_ = std::thread([this] { reject(); });
}

GuardedPool::~GuardedPool() {
  shutdown();
}

// On cpp-httplib's listener thread, right after accept: refusals are decided here, so that a
// flood of connections never takes a worker.
void GuardedPool::enqueue(std::function<void()> fn) {
  Task task{std::move(fn), t_accepted};
  t_accepted = -1;
  if (task.sock >= 0) {
    task.ticket = guard_->admit(task.sock);
    if (task.ticket == 0) task.refusal = "429 Too Many Requests";
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (task.sock >= 0 && !task.refusal && idle_ == 0 && int(jobs_.size()) >= waiting_) {
      guard_->close(task.ticket);
      task.ticket = 0;
      task.refusal = "503 Service Unavailable";
    }
    if (task.refusal) {
      rejects_.push_back(std::move(task));
      reject_cv_.notify_one();
      return;
    }
    jobs_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void GuardedPool::work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // stopping, nothing left
    Task task = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    if (task.ticket) guard_->serving(task.ticket);
    task.fn();  // serves the connection and closes its socket
    if (task.ticket) guard_->close(task.ticket);
    lock.lock();
  }
}

void GuardedPool::reject() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    reject_cv_.wait(lock, [&] { return stop_ || !rejects_.empty(); });
    if (rejects_.empty()) return;
    Task task = std::move(rejects_.front());
    rejects_.pop_front();
    lock.unlock();
    guard_->refused_.fetch_add(1);
    const bool per_peer = task.refusal[0] == '4';
    ConnectionGuard::answer_and_close(task.sock, task.refusal,
                                      per_peer ? "too many connections from this address; close "
                                                 "some and retry"
                                               : "every worker is busy; retry shortly");
    lock.lock();
  }
}

void GuardedPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  reject_cv_.notify_all();
  for (auto& t : threads_) t.join();
  rejector_.join();
}

}  // namespace charrnn::serve
