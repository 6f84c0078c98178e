// test_serve.cpp — `charrnn serve`, the real binary on a free port: every endpoint and field,
// streamed = whole = `charrnn generate`, stop strings, n > 1, usage, every error status, the
// key, a disconnect that frees its slot, 32 streaming clients at once, --watch and SIGTERM.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "charrnn/charrnn.h"
#include "serve_util.h"
#include "text/tokenizer.h"

namespace charrnn {
namespace {

using json = nlohmann::json;
using testing::Result;
using testing::ServerProcess;

const std::string kKjv = std::string(CHARRNN_MODELS_DIR) + "/kjv-small";

// The text of a streamed completion (SSE), with each choice's finish_reason and the [DONE].
struct Streamed {
  std::vector<std::string> text;
  std::vector<std::string> finish;
  int chunks = 0;
  bool done = false;
};

Streamed parse_sse(const std::string& body) {
  Streamed s;
  for (size_t at = 0; (at = body.find("data: ", at)) != std::string::npos;) {
    const size_t end = body.find("\n\n", at);
    const std::string data = body.substr(at + 6, end - at - 6);
    at = end;
    if (data == "[DONE]") {
      s.done = true;
      continue;
    }
    const json c = json::parse(data)["choices"][0];
    const size_t i = c["index"];
    if (s.text.size() <= i) s.text.resize(i + 1), s.finish.resize(i + 1);
    s.text[i] += c["text"].get<std::string>();
    if (!c["finish_reason"].is_null()) s.finish[i] = c["finish_reason"];
    ++s.chunks;
  }
  return s;
}

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::fresh_dir("charrnn_serve"));  // no test is running yet
    server_ = new ServerProcess(
        {"--model", kKjv, "--slots", "16", "--queue", "64", "--max-tokens", "2000"}, *dir_);
  }
  static void TearDownTestSuite() {
    delete server_;
    remove_tree(*dir_);
    delete dir_;
  }
  void SetUp() override { ASSERT_GT(server_->port(), 0) << testing::slurp(*dir_ + "/serve.err"); }
  static httplib::Result post(const std::string& path, const json& body) {
    return server_->client().Post(path.c_str(), body.dump(), "application/json");
  }
  static std::string generate(const std::string& args) {
    Result r = testing::run_charrnn("generate --model " + kKjv + " " + args, *dir_);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
  }
  static std::string* dir_;
  static ServerProcess* server_;
};
std::string* Serve::dir_ = nullptr;
ServerProcess* Serve::server_ = nullptr;

TEST_F(Serve, HealthModelsAndTheModelCard) {
  auto h = server_->client().Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body), json({{"status", "ok"}}));
  auto m = server_->client().Get("/v1/models");
  const json models = json::parse(m->body);
  EXPECT_EQ(models["object"], "list");
  EXPECT_EQ(models["data"][0]["id"], "kjv-small");
  EXPECT_EQ(models["data"][0]["object"], "model");
  for (const char* path : {"/v1/model", "/props"}) {
    const json card = json::parse(server_->client().Get(path)->body);
    EXPECT_EQ(card["id"], "kjv-small");
    EXPECT_EQ(card["architecture"]["cell"], "lstm");
    EXPECT_FALSE(card["history"].empty());
    EXPECT_TRUE(card["best"]["val_loss"].is_number());
  }
  auto page = server_->client().Get("/");
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>charrnn</title>"), std::string::npos);
}

// The penalties are written once (generate/decoder.h): the command, the C++ API and the server
// give the same text for the same seed, and the text differs from the unpenalized one.
TEST_F(Serve, PenaltiesGiveTheSameTextFromTheCommandTheApiAndTheServer) {
  const json req = {{"prompt", "And God said"},  {"max_tokens", 150},
                    {"temperature", 0.7},        {"seed", 4},
                    {"repetition_penalty", 1.3}, {"frequency_penalty", 0.4},
                    {"presence_penalty", 0.2},   {"penalty_last_n", 32}};
  auto r = post("/v1/completions", req);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string served = json::parse(r->body)["choices"][0]["text"];
  const std::string flags =
      "--prompt 'And God said' --length 150 --temperature 0.7 --seed 4 --repetition-penalty 1.3 "
      "--frequency-penalty 0.4 --presence-penalty 0.2 --penalty-last-n 32";
  EXPECT_EQ("And God said" + served, generate(flags));
  SampleOptions o;
  o.temperature = 0.7;
  o.seed = 4;
  o.repetition_penalty = 1.3;
  o.frequency_penalty = 0.4;
  o.presence_penalty = 0.2;
  o.penalty_last_n = 32;
  EXPECT_EQ(Model::open(kKjv).generate("And God said", 150, o).text, served);
  o.repetition_penalty = 1.0;
  o.frequency_penalty = o.presence_penalty = 0.0;
  EXPECT_NE(Model::open(kKjv).generate("And God said", 150, o).text, served);
  auto bad = post("/v1/completions", {{"prompt", "And"}, {"frequency_penalty", 3}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["param"], "frequency_penalty");
}

TEST_F(Serve, ACompletionIsWhatGenerateWritesAfterThePrompt) {
  const json req = {{"prompt", "And God said"},
                    {"max_tokens", 120},
                    {"temperature", 0.8},
                    {"top_k", 20},
                    {"top_p", 0.95},
                    {"seed", 11}};
  auto r = post("/v1/completions", req);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["model"], "kjv-small");
  EXPECT_TRUE(j["id"].is_string() && j["created"].is_number_integer());
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  const std::string text = j["choices"][0]["text"];
  EXPECT_EQ("And God said" + text, generate("--prompt 'And God said' --length 120 --temperature "
                                            "0.8 --top-k 20 --top-p 0.95 --seed 11"));
  EXPECT_EQ(j["usage"]["prompt_tokens"], 12);
  EXPECT_EQ(j["usage"]["completion_tokens"], 120);
  EXPECT_EQ(j["usage"]["total_tokens"], 132);
}

TEST_F(Serve, StreamedTextEqualsTheWholeResponse) {
  json req = {{"prompt", "In the beginning"}, {"max_tokens", 80}, {"seed", 5}};
  const std::string whole = json::parse(post("/v1/completions", req)->body)["choices"][0]["text"];
  req["stream"] = true;
  auto r = post("/v1/completions", req);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  const Streamed s = parse_sse(r->body);
  ASSERT_EQ(s.text.size(), 1u);
  EXPECT_EQ(s.text[0], whole);
  EXPECT_EQ(s.finish[0], "length");
  EXPECT_TRUE(s.done);
  EXPECT_GT(s.chunks,
            2);  // as it is generated (a symbol, or a few when the writer lags), not one block
}

TEST_F(Serve, StopStringsEndTheTextBeforeThem) {
  const json base = {{"prompt", "And"}, {"max_tokens", 300}, {"seed", 2}};
  const std::string full = json::parse(post("/v1/completions", base)->body)["choices"][0]["text"];
  const size_t cut = full.find("the");
  ASSERT_NE(cut, std::string::npos) << full;
  json req = base;
  req["stop"] = {"the", "zzzz"};
  const json j = json::parse(post("/v1/completions", req)->body);
  EXPECT_EQ(j["choices"][0]["text"], full.substr(0, cut));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  req["stream"] = true;  // the same when streamed: nothing of the stop string leaks out
  const Streamed s = parse_sse(post("/v1/completions", req)->body);
  EXPECT_EQ(s.text[0], full.substr(0, cut));
  EXPECT_EQ(s.finish[0], "stop");
  req = base;
  req["stop"] = full.substr(0, 1);  // the very first symbol: empty text
  EXPECT_EQ(json::parse(post("/v1/completions", req)->body)["choices"][0]["text"], "");
  req["stop"] = "never in a bible";
  EXPECT_EQ(json::parse(post("/v1/completions", req)->body)["choices"][0]["finish_reason"],
            "length");
}

TEST_F(Serve, ChoiceIUsesSeedPlusI) {
  const json j = json::parse(
      post("/v1/completions", {{"prompt", "And"}, {"max_tokens", 40}, {"seed", 9}, {"n", 3}})
          ->body);
  ASSERT_EQ(j["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["choices"][i]["index"], i);
    EXPECT_EQ("And" + j["choices"][i]["text"].get<std::string>(),
              generate("--prompt And --length 40 --seed " + std::to_string(9 + i)));
  }
  EXPECT_EQ(j["usage"]["completion_tokens"], 120);
}

TEST_F(Serve, ScoreIsWhatEvalSays) {
  const std::string text = "And God said, Let there be light: and there was light.\n";
  testing::write_text(*dir_ + "/t.txt", text);
  const json s = json::parse(post("/v1/score", {{"text", text}})->body);
  const json e = json::parse(
      testing::run_charrnn("eval --model " + kKjv + " --text " + *dir_ + "/t.txt --json", *dir_)
          .out);
  EXPECT_NEAR(s["nats_per_char"].get<double>(), e["nats_per_char"].get<double>(), 1e-9);
  EXPECT_NEAR(s["bits_per_char"].get<double>(), e["bits_per_char"].get<double>(), 1e-9);
  EXPECT_NEAR(s["perplexity"].get<double>(), e["perplexity"].get<double>(), 1e-6);
}

// status, and the error object's param, for each bad request.
TEST_F(Serve, BadRequestsGetOpenAiErrorsWithTheRightStatus) {
  struct Case {
    std::string body;
    int status;
    const char* param;
  };
  const std::vector<Case> cases = {
      {"{not json", 400, nullptr},
      {"[1, 2]", 400, nullptr},
      {R"({"prompt": 5})", 400, "prompt"},
      {R"({"prompt": "And", "max_tokens": -1})", 400, "max_tokens"},
      {R"({"prompt": "And", "max_tokens": 999999})", 400, "max_tokens"},
      {R"({"prompt": "And", "max_tokens": 1e400})", 400,
       nullptr},  // beyond a double: not JSON to the parser
      {R"({"prompt": "And", "temperature": "hot"})", 400, "temperature"},
      {R"({"prompt": "And", "top_p": 0})", 400, "top_p"},
      {R"({"prompt": "And", "top_k": -3})", 400, "top_k"},
      {R"({"prompt": "And", "seed": -1})", 400, "seed"},
      {R"({"prompt": "And", "n": 0})", 400, "n"},
      {R"({"prompt": "And", "stop": [1]})", 400, "stop"},
      {R"({"prompt": "And", "stream": "yes"})", 400, "stream"},
      {R"({"prompt": "And \u6625"})", 400, "prompt"},
  };
  for (const Case& c : cases) {
    auto r = server_->client().Post("/v1/completions", c.body, "application/json");
    ASSERT_TRUE(r) << c.body;
    EXPECT_EQ(r->status, c.status) << c.body << " -> " << r->body;
    const json e = json::parse(r->body)["error"];
    EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty());
    EXPECT_EQ(e["type"], "invalid_request_error");
    if (c.param) EXPECT_EQ(e["param"], c.param) << c.body;
  }
  EXPECT_NE(json::parse(
                post("/v1/completions", {{"prompt", "And \xE6\x98\xA5"}})->body)["error"]["message"]
                .get<std::string>()
                .find("not in the model's vocabulary"),
            std::string::npos);
  auto missing = server_->client().Get("/v2/anything");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "not_found");
  auto big =
      server_->client().Post("/v1/completions", std::string(2 << 20, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST_F(Serve, ThirtyTwoStreamingClientsAllFinishWithTheirLengths) {
  std::vector<std::thread> clients;
  std::atomic<int> right{0};
  for (int i = 0; i < 32; ++i)
    clients.emplace_back([&, i] {
      const json req = {{"prompt", "And"}, {"max_tokens", 50 + i}, {"seed", i}, {"stream", true}};
      const auto [status, body] = testing::raw_post(server_->port(), "/v1/completions", req.dump());
      if (status != 200) {
        ADD_FAILURE() << "client " << i << ": " << status << " " << body;
        return;
      }
      const Streamed s = parse_sse(body);
      // One symbol of kjv-small is one byte (an ASCII vocabulary).
      if (s.done && s.text.size() == 1 && s.text[0].size() == size_t(50 + i) &&
          s.finish[0] == "length")
        ++right;
    });
  for (auto& c : clients) c.join();
  EXPECT_EQ(right.load(), 32) << testing::slurp(*dir_ + "/serve.err");
}

// The official OpenAI library (npm's `openai`, run by Node) with base URL .../v1: CI installs it
// into build-node/ and sets CHARRNN_REQUIRE_CLIENTS; elsewhere the test says how and skips.
TEST_F(Serve, TheOfficialOpenAiLibraryGetsTheSameText) {
  const std::string modules = std::string(CHARRNN_SOURCE_DIR) + "/build-node/node_modules";
  if (!path_exists(modules + "/openai") || std::system("node --version >/dev/null 2>&1") != 0) {
    if (std::getenv("CHARRNN_REQUIRE_CLIENTS"))
      FAIL() << "CHARRNN_REQUIRE_CLIENTS is set but " << modules << "/openai or node is missing";
    GTEST_SKIP() << "needs node and `npm install --prefix build-node openai@4`";
  }
  Result r = testing::run_charrnn_cmd(
      "NODE_PATH=" + modules + " node " + CHARRNN_SOURCE_DIR +
          "/tests/openai_client.cjs http://127.0.0.1:" + std::to_string(server_->port()),
      *dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["models"], json::array({"kjv-small"}));
  const std::string cli =
      generate("--prompt 'And God said' --length 40 --temperature 0.8 --top-p 0.95 --seed 3");
  EXPECT_EQ("And God said" + j["whole"].get<std::string>(), cli);
  EXPECT_EQ(j["streamed"], j["whole"]);
  EXPECT_EQ(j["finish"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 40);
  EXPECT_EQ(j["error"]["status"], 400);
  EXPECT_EQ(j["error"]["param"], "temperature");
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
  ServerProcess s({"--model", kKjv, "--slots", "1", "--queue", "0", "--max-tokens", "1000000"},
                  dir);
  ASSERT_GT(s.port(), 0);
  std::atomic<bool> got_some{false};
  std::thread hog([&] {  // a streaming client that stays, reading, until the server goes
    const int fd = testing::connect_and_send(
        s.port(), testing::completion_request(
                      json({{"prompt", "And"}, {"max_tokens", 1000000}, {"stream", true}}).dump()));
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
  ServerProcess s({"--model", kKjv, "--slots", "1", "--queue", "0", "--max-tokens", "1000000"},
                  dir);
  ASSERT_GT(s.port(), 0);
  const std::string request = testing::completion_request(
      json({{"prompt", "And"}, {"max_tokens", 1000000}, {"stream", true}}).dump());
  EXPECT_NE(testing::raw_exchange(s.port(), request, 300).find("data: "),
            std::string::npos);  // then we hang up
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto r = s.client().Post("/v1/completions", R"({"prompt": "And", "max_tokens": 5})",
                             "application/json");
    status = r ? r->status : 0;
  }
  EXPECT_EQ(status, 200);
  remove_tree(dir);
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
