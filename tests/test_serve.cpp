// test_serve.cpp — `charrnn serve`, the real binary on a free port, one server for the suite:
// every endpoint and field, streamed = whole = `charrnn generate`, stop strings, n > 1, usage,
// every error status, 32 streaming clients at once and the OpenAI library. Servers with their
// own flags (the key, one slot, --watch, hostile bytes, poem forms): test_serve_alone.cpp.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "charrnn/charrnn.h"
#include "serve_util.h"

namespace charrnn {
namespace {

using json = nlohmann::json;
using testing::kKjv;
using testing::parse_sse;
using testing::Result;
using testing::ServerProcess;
using testing::Streamed;

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::fresh_dir("charrnn_serve"));  // no test is running yet
    // 32 clients at once from 127.0.0.1 is the default per-address cap, and the connections of
    // the suite's earlier requests may still be closing when ThirtyTwoStreamingClients starts:
    // the cap is not what this suite tests (test_serve_alone's AnAddressPastItsCap... does), so
    // it is raised.
    server_ = new ServerProcess({"--model", kKjv, "--slots", "16", "--queue", "64", "--max-tokens",
                                 "2000", "--max-connections-per-ip", "48"},
                                *dir_);
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

// A prompt of only a byte-order mark has no symbols: it starts as an empty prompt does.
TEST_F(Serve, APromptOfOnlyAByteOrderMarkIsAnEmptyPrompt) {
  const json bom = json::parse(
      post("/v1/completions", {{"prompt", "\xEF\xBB\xBF"}, {"max_tokens", 20}, {"seed", 3}})->body);
  const json empty =
      json::parse(post("/v1/completions", {{"prompt", ""}, {"max_tokens", 20}, {"seed", 3}})->body);
  ASSERT_TRUE(bom.contains("choices")) << bom;
  EXPECT_EQ(bom["choices"][0]["text"], empty["choices"][0]["text"]);
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
  auto not_utf8 = server_->client().Get("/v1/%FF%FE");  // decoded to bytes that are not UTF-8
  ASSERT_TRUE(not_utf8);
  EXPECT_EQ(not_utf8->status, 404);
  EXPECT_NE(json::parse(not_utf8->body)["error"]["message"].get<std::string>().find(
                "GET /v1/\xEF\xBF\xBD"),  // U+FFFD
            std::string::npos)
      << not_utf8->body;
  auto short_text = post("/v1/score", {{"text", "A"}});
  EXPECT_EQ(short_text->status, 400);
  EXPECT_EQ(json::parse(short_text->body)["error"]["param"], "text");
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

}  // namespace
}  // namespace charrnn
