// serve_util.h — running the real `charrnn serve` from tests: started on a free port (the URL
// it prints), an HTTP client, raw sockets for hostile bytes, a clean stop, and the text of a
// streamed (SSE) completion.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.h"

extern char** environ;

namespace charrnn::testing {

class ServerProcess {
 public:
  // Starts `charrnn serve ARGS --port 0`, waits for the URL it prints; `scratch` holds its output.
  ServerProcess(const std::vector<std::string>& args, const std::string& scratch)
      : out_(scratch + "/serve.out") {
    std::vector<std::string> words = {CHARRNN_BIN, "serve", "--port", "0"};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (scratch + "/serve.err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, CHARRNN_BIN, &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 300 && port_ == 0 && pid_ > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      const std::string text = slurp(out_);
      const size_t at = text.find("http://127.0.0.1:");
      if (at != std::string::npos && text.find('/', at + 17) != std::string::npos)
        port_ = std::stoi(text.substr(at + 17));
    }
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  httplib::Client client(int timeout_s = 30) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(timeout_s, 0);
    return c;
  }
  // SIGTERM, then the exit code (-1 if it did not exit within 10 s).
  int terminate() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  std::string out_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
};

// A socket connected to 127.0.0.1:port that has sent `bytes`, or -1. The caller closes it.
// `from` is the local address to connect from (any of 127/8 on Linux): another client's.
inline int connect_and_send(int port, const std::string& bytes, const char* from = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (from) {
    ::inet_pton(AF_INET, from, &addr.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
  }
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  return fd;
}

// The raw HTTP/1.1 request of a POST of a JSON body to /v1/completions.
inline std::string completion_request(const std::string& body) {
  return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Sends raw bytes on a fresh connection and returns what comes back within `wait_ms` (the
// connection is closed by us after that, or by the server).
inline std::string raw_exchange(int port, const std::string& bytes, int wait_ms = 300,
                                const char* from = nullptr) {
  std::string reply;
  const int fd = connect_and_send(port, bytes, from);
  if (fd >= 0) {
    timeval tv{0, 20 * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {  // a stream never ends by itself
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
      if (n > 0) reply.append(buf, size_t(n));
    }
    ::close(fd);
  }
  return reply;
}

// POSTs `body` to `path` on a connection of its own (HTTP/1.1, Connection: close), reads until
// the server closes, and returns the status and the de-chunked body.
inline std::pair<int, std::string> raw_post(int port, const std::string& path,
                                            const std::string& body, int timeout_ms = 60000) {
  const std::string reply = raw_exchange(
      port,
      "POST " + path +
          " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body,
      timeout_ms);
  const size_t head_end = reply.find("\r\n\r\n");
  if (reply.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) return {0, reply};
  const int status = std::atoi(reply.c_str() + 9);
  std::string head = reply.substr(0, head_end), rest = reply.substr(head_end + 4), out;
  if (head.find("Transfer-Encoding: chunked") == std::string::npos) return {status, rest};
  for (size_t at = 0;;) {  // size in hex, CRLF, data, CRLF; a zero size ends it
    const size_t eol = rest.find("\r\n", at);
    if (eol == std::string::npos) break;
    const size_t n = std::stoul(rest.substr(at, eol - at), nullptr, 16);
    if (n == 0) break;
    out += rest.substr(eol + 2, n);
    at = eol + 2 + n + 2;
  }
  return {status, out};
}

// The text of a streamed completion (SSE), with each choice's finish_reason and the [DONE].
struct Streamed {
  std::vector<std::string> text;
  std::vector<std::string> finish;
  int chunks = 0;
  bool done = false;
};

inline Streamed parse_sse(const std::string& body) {
  Streamed s;
  for (size_t at = 0; (at = body.find("data: ", at)) != std::string::npos;) {
    const size_t end = body.find("\n\n", at);
    const std::string data = body.substr(at + 6, end - at - 6);
    at = end;
    if (data == "[DONE]") {
      s.done = true;
      continue;
    }
    const nlohmann::json c = nlohmann::json::parse(data)["choices"][0];
    const size_t i = c["index"];
    if (s.text.size() <= i) s.text.resize(i + 1), s.finish.resize(i + 1);
    s.text[i] += c["text"].get<std::string>();
    if (!c["finish_reason"].is_null()) s.finish[i] = c["finish_reason"];
    ++s.chunks;
  }
  return s;
}

}  // namespace charrnn::testing
