// test_serve_alone.cpp — `charrnn serve` started per test with its own flags: the key, a full
// server's 503 and the slot a disconnect frees, the per-address cap, a slow body's deadline,
// --watch, hostile requests, poem forms.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "serve/guard.h"
#include "serve_util.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

using json = nlohmann::json;
using testing::kKjv;
using testing::parse_sse;
using testing::Result;
using testing::ServerProcess;

// A server with one slot and no queue, and a request that streams until its client leaves.
const std::vector<std::string> kOneSlot = {"--model", kKjv, "--slots",      "1",
                                           "--queue", "0",  "--max-tokens", "1000000"};
std::string endless_stream() {
  return testing::completion_request(
      json({{"prompt", "And"}, {"max_tokens", 1000000}, {"stream", true}}).dump());
}

// Posts a short completion every 20 ms until one is served, for up to 2 s (a slot the
// server frees is free at its next step); the last status.
int status_once_served(ServerProcess& s) {
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto r = s.client().Post("/v1/completions", R"({"prompt": "And", "max_tokens": 5})",
                             "application/json");
    status = r ? r->status : 0;
  }
  return status;
}

TEST(ServeAlone, TheKeyIsRequiredEverywhereButHealth) {
  const std::string dir = testing::scratch_dir("charrnn_serve_key");
  ServerProcess s({"--model", kKjv, "--api-key", "sekret"}, dir);
  ASSERT_GT(s.port(), 0);
  EXPECT_EQ(s.client().Get("/health")->status, 200);
  auto none = s.client().Get("/v1/models");
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["code"], "invalid_api_key");
  EXPECT_EQ(s.client().Get("/v1/models", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(s.client().Get("/v1/models", {{"Authorization", "Bearer sekret"}})->status, 200);
  EXPECT_EQ(s.client().Get("/v1/models", {{"X-Api-Key", "sekret"}})->status, 200);
  remove_tree(dir);
}

// One slot, no queue: a second request is refused with 503 while the first streams; when the
// first client disconnects, its slot is free at once for the next.
TEST(ServeAlone, FullIsA503AndADisconnectFreesTheSlot) {
  const std::string dir = testing::scratch_dir("charrnn_serve_full");
  ServerProcess s(kOneSlot, dir);
  ASSERT_GT(s.port(), 0);
  std::atomic<bool> got_some{false};
  std::thread hog([&] {  // a streaming client that stays, reading, until the server goes
    const int fd = testing::connect_and_send(s.port(), endless_stream());
    if (fd < 0) return;
    char buf[4096];
    while (::recv(fd, buf, sizeof buf, 0) > 0) got_some = true;
    ::close(fd);
  });
  for (int i = 0; i < 200 && !got_some; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(got_some);
  auto busy = s.client().Post("/v1/completions", R"({"prompt": "And", "max_tokens": 5})",
                              "application/json");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->get_header_value("Retry-After"), "1");
  EXPECT_EQ(s.terminate(), 0);  // SIGTERM ends even a server that is streaming: exit 0
  hog.join();                   // its stream ended with the server
  remove_tree(dir);
}

TEST(ServeAlone, AClientThatLeavesFreesItsSlotAtOnce) {
  const std::string dir = testing::scratch_dir("charrnn_serve_leave");
  ServerProcess s(kOneSlot, dir);
  ASSERT_GT(s.port(), 0);
  EXPECT_NE(testing::raw_exchange(s.port(), endless_stream(), 300).find("data: "),
            std::string::npos);  // then we hang up
  EXPECT_EQ(status_once_served(s), 200);
  remove_tree(dir);
}

// The same for a whole (not streamed) completion: the server notices the closed connection
// while it waits for the text, and cancels the job.
TEST(ServeAlone, AClientThatLeavesAWholeCompletionFreesItsSlot) {
  const std::string dir = testing::scratch_dir("charrnn_serve_leave_whole");
  ServerProcess s(kOneSlot, dir);
  ASSERT_GT(s.port(), 0);
  const std::string whole = testing::completion_request(
      json({{"prompt", "And"}, {"max_tokens", 1000000}, {"stream", false}}).dump());
  EXPECT_EQ(testing::raw_exchange(s.port(), whole, 300), "");  // no answer yet: we hang up
  EXPECT_EQ(status_once_served(s), 200);
  remove_tree(dir);
}

// One address may hold --max-connections-per-ip connections at once: its next one is refused
// with a 429 that says why, while a client at another address is served as before, and the
// address is served again once it closes some.
TEST(ServeAlone, AnAddressPastItsCapGetsA429WhileOthersAreServed) {
  const std::string dir = testing::scratch_dir("charrnn_serve_per_ip");
  ServerProcess s({"--model", kKjv, "--max-connections-per-ip", "2"}, dir);
  ASSERT_GT(s.port(), 0);
  const std::string health = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  // Two connections that send nothing yet: each is admitted (in accept order) and held.
  const int held[2] = {testing::connect_and_send(s.port(), ""),
                       testing::connect_and_send(s.port(), "")};
  ASSERT_GE(held[0], 0);
  ASSERT_GE(held[1], 0);
  const std::string third = testing::raw_exchange(s.port(), health, 3000);
  EXPECT_EQ(third.compare(0, 12, "HTTP/1.1 429"), 0) << third;
  EXPECT_NE(third.find("too many connections from this address"), std::string::npos) << third;
  const std::string other = testing::raw_exchange(s.port(), health, 3000, "127.0.0.2");
  EXPECT_EQ(other.compare(0, 12, "HTTP/1.1 200"), 0) << other;
  ::close(held[0]);
  ::close(held[1]);
  std::string again;
  for (int i = 0; i < 100 && again.compare(0, 12, "HTTP/1.1 200") != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    again = testing::raw_exchange(s.port(), health, 3000);
  }
  EXPECT_EQ(again.compare(0, 12, "HTTP/1.1 200"), 0) << again;
  remove_tree(dir);
}

// A request's deadline (--request-timeout) covers its body too: a body sent a byte at a time,
// each byte well within the read timeout, is cut as slow headers are.
TEST(ServeAlone, ABodySentAByteAtATimeIsCutAtTheRequestTimeout) {
  const std::string dir = testing::scratch_dir("charrnn_serve_slow_body");
  ServerProcess s({"--model", kKjv, "--request-timeout", "1"}, dir);
  ASSERT_GT(s.port(), 0);
  const int fd = testing::connect_and_send(
      s.port(),
      "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n{");
  ASSERT_GE(fd, 0);
  const auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {  // 40 bytes in 8 s: the body would take 8 s
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    char c;
    cut = ::send(fd, " ", 1, MSG_NOSIGNAL) < 0 || ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  EXPECT_TRUE(cut);
  EXPECT_LT(waited, 5.0);
  EXPECT_EQ(s.client().Get("/health")->status, 200);
  remove_tree(dir);
}

// A worker closes its socket before it tells the guard; by then the kernel may have given the
// number to the next connection. The guard keeps the two apart: the first one's close leaves
// the second guarded, and both free their address's places.
TEST(ServeGuard, ASocketNumberReusedBeforeItsWorkerFinishedIsAnotherConnection) {
  serve::GuardLimits limits;
  limits.per_peer = 2;
  serve::ConnectionGuard guard(limits);
  int first_pair[2], second_pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, first_pair), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, second_pair), 0);
  const int number = first_pair[0];
  const uint64_t first = guard.admit(number);
  ASSERT_NE(first, 0u);
  ASSERT_EQ(::dup2(second_pair[0], number), number);  // the number now names another socket
  const uint64_t second = guard.admit(number);
  ASSERT_NE(second, 0u);
  EXPECT_NE(first, second);
  EXPECT_EQ(guard.open_connections(), 2);
  guard.close(first);
  EXPECT_EQ(guard.open_connections(), 1);
  guard.close(second);
  EXPECT_EQ(guard.open_connections(), 0);
  const uint64_t again[2] = {guard.admit(number), guard.admit(number)};  // the places are free
  EXPECT_TRUE(again[0] != 0 && again[1] != 0);
  for (uint64_t t : again) guard.close(t);
  for (int fd : {number, first_pair[1], second_pair[0], second_pair[1]}) ::close(fd);
}

TEST(ServeAlone, WatchTakesTheNewCheckpointOfATrainingRun) {
  const std::string dir = testing::scratch_dir("charrnn_serve_watch");
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "watch the model learn, line " + std::to_string(i % 11) + "\n";
  testing::write_text(dir + "/c.txt", text);
  const std::string train = "train --corpus " + dir + "/c.txt --model " + dir +
                            "/m --layers 1 --hidden 24 --embed 8 "
                            "--seq 16 --batch 4 --eval-every 5 --threads 1 --quiet";
  ASSERT_EQ(testing::run_charrnn(train + " --steps 5", dir).code, 0);
  ServerProcess s({"--model", dir + "/m", "--watch"}, dir);
  ASSERT_GT(s.port(), 0);
  EXPECT_EQ(json::parse(s.client().Get("/v1/model")->body)["training"]["state"]["step"], 5);
  ASSERT_EQ(testing::run_charrnn(train + " --steps 15 --resume " + dir + "/m", dir).code, 0);
  int64_t step = 5;
  for (int i = 0; i < 60 && step != 15; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    step = json::parse(s.client().Get("/v1/model")->body)["training"]["state"]["step"];
  }
  EXPECT_EQ(step, 15);
  auto r = s.client().Post("/v1/completions", R"({"prompt": "watch", "max_tokens": 10})",
                           "application/json");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(testing::slurp(dir + "/serve.err").find("reloaded"), std::string::npos);
  remove_tree(dir);
}

// Random bytes, truncated and hostile JSON, invalid UTF-8, deep nesting, huge numbers, bad
// headers and half-sent requests; afterwards the server still answers, and correctly.
TEST(ServeAlone, HostileRequestsLeaveItAnsweringCorrectly) {
  const std::string dir = testing::scratch_dir("charrnn_serve_hostile");
  ServerProcess s({"--model", kKjv, "--max-tokens", "100"}, dir);
  ASSERT_GT(s.port(), 0);
  auto post = [](const std::string& body) {
    return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
           "application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  };
  const std::string good = R"({"prompt": "And God said", "max_tokens": 30, "seed": 4})";
  std::vector<std::string> hostile;
  uint64_t x = 88172645463325252ull;  // xorshift: random bytes, the same every run
  auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 60; ++i) {
    std::string bytes(size_t(next() % 300 + 1), '\0');
    for (char& b : bytes) b = char(next());
    hostile.push_back(i % 2 ? bytes : post(bytes));
  }
  for (size_t cut = 1; cut < good.size(); cut += 2)
    hostile.push_back(post(good.substr(0, cut)));  // truncated JSON
  for (const char* body :
       {R"({"prompt": "\xff\xfe"})", "{\"prompt\": \"\xc3\x28\"}", "{\"prompt\": \"\xed\xa0\x80\"}",
        R"({"prompt": "And", "max_tokens": 1e308})",
        R"({"prompt": "And", "max_tokens": 18446744073709551616})",
        R"({"prompt": "And", "seed": 1e30})", R"({"prompt": "And", "temperature": 1e-320})",
        R"({"prompt": "And", "top_k": 2147483648})", R"({"prompt": "And", "n": 100000})",
        R"({"prompt": "And", "stop": ["a","b","c","d","e"]})", R"({"prompt": null, "stop": ""})"})
    hostile.push_back(post(body));
  hostile.push_back(post(std::string(100000, '[') + std::string(100000, ']')));  // deep nesting
  hostile.push_back(post(std::string(40, '{')));
  hostile.push_back(post("{\"a\":" + std::string(5000, '[') + "}"));
  hostile.push_back("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  hostile.push_back(
      "POST /v1/completions HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n{}");
  hostile.push_back("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n");
  hostile.push_back("GET / HTTP/9.9\r\n" + std::string(9000, 'X') + ": y\r\n\r\n");
  hostile.push_back("\r\n\r\n\r\n");
  hostile.push_back("POST /v1/score HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"text\":1}");
  for (int i = 0; i < 100; ++i)
    hostile.push_back(post(good).substr(0, size_t(next() % 120)));  // half-sent
  ASSERT_GE(hostile.size(), 200u);
  for (const std::string& h : hostile) testing::raw_exchange(s.port(), h, 20);
  // Slow clients: a half-sent request that waits does not stall anyone else.
  std::vector<std::thread> slow;
  for (int i = 0; i < 4; ++i)
    slow.emplace_back([&] { testing::raw_exchange(s.port(), post(good).substr(0, 50), 3000); });
  auto r = s.client().Post("/v1/completions", good, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  Result g = testing::run_charrnn(
      "generate --model " + kKjv + " --prompt 'And God said' --length 30 --seed 4", dir);
  EXPECT_EQ("And God said" + json::parse(r->body)["choices"][0]["text"].get<std::string>(), g.out);
  EXPECT_EQ(s.client().Get("/health")->status, 200);
  for (auto& t : slow) t.join();
  EXPECT_EQ(s.terminate(), 0);
  remove_tree(dir);
}

// Form-aware generation through the server: the same masks as generate --form/--acrostic, so
// the same text for the same seed; an acrostic character the model lacks is a 400 naming it.
TEST(ServeAlone, PoemFormsAreWhatGenerateWritesAndAMissingAcrosticCharacterIsA400) {
  const std::string dir = testing::scratch_dir("charrnn_serve_form");
  const std::string tang = std::string(CHARRNN_MODELS_DIR) + "/tang-small";
  ServerProcess s({"--model", tang}, dir);
  ASSERT_GT(s.port(), 0);
  const json req = {
      {"prompt", "《春》\n"},  {"max_tokens", 200}, {"temperature", 0.8}, {"seed", 5}, {"form", 5},
      {"acrostic", "春夏秋冬"}};
  auto r = s.client().Post("/v1/completions", req.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  const std::string text = j["choices"][0]["text"];
  const testing::Result cli = testing::run_charrnn(
      "generate --model " + tang +
          " --prompt '《春》\n' --length 200 --temperature 0.8 --seed 5 --form 5 --acrostic "
          "春夏秋冬",
      dir);
  ASSERT_EQ(cli.code, 0) << cli.err;
  std::string cli_text = cli.out;
  if (!cli_text.empty() && cli_text.back() == '\n') cli_text.pop_back();  // a line's end, if any
  EXPECT_EQ("《春》\n" + text, cli_text);
  EXPECT_EQ(text.substr(0, 3), "春");
  auto bad = s.client().Post("/v1/completions",
                             json({{"prompt", "春"}, {"form", 5}, {"acrostic", "春☃"}}).dump(),
                             "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_EQ(json::parse(bad->body)["error"]["param"], "acrostic");
  EXPECT_NE(bad->body.find("☃"), std::string::npos) << bad->body;
  // "script": the same poem shown in traditional script, streamed or whole.
  json trad = req;
  trad["script"] = "traditional";
  auto t = s.client().Post("/v1/completions", trad.dump(), "application/json");
  ASSERT_EQ(t->status, 200) << t->body;
  TokenizerConfig to_traditional;
  to_traditional.normalize = Normalize::none;
  to_traditional.script = Script::traditional;
  const std::string expected = Tokenizer(to_traditional).prepare(text, "t");
  EXPECT_NE(expected, text);  // the poem has characters that differ between the scripts
  EXPECT_EQ(json::parse(t->body)["choices"][0]["text"], expected);
  trad["stream"] = true;
  auto st = s.client().Post("/v1/completions", trad.dump(), "application/json");
  EXPECT_EQ(parse_sse(st->body).text[0], expected);
  auto bad_script = s.client().Post(
      "/v1/completions", json({{"prompt", "春"}, {"script", "latin"}}).dump(), "application/json");
  EXPECT_EQ(bad_script->status, 400);
  EXPECT_EQ(json::parse(bad_script->body)["error"]["param"], "script");
  remove_tree(dir);
}

}  // namespace
}  // namespace charrnn
