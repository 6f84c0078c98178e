// completion.cpp — completions on the engine, answered whole or streamed (see completion.h).
#include "serve/completion.h"

#include <chrono>
#include <ctime>
#include <optional>
#include <random>
#include <string_view>

#include "charrnn/error.h"
#include "nn/recurrent_layer.h"
#include "serve/request.h"

namespace charrnn::serve {
namespace {

using json = nlohmann::json;

using Jobs = std::vector<std::shared_ptr<Job>>;

// One completion object, or one SSE chunk of it ("text_completion" either way).
json completion_json(const std::string& id, int64_t created, const std::string& model,
                     const json& choices) {
  return {{"id", id},
          {"object", "text_completion"},
          {"created", created},
          {"model", model},
          {"choices", choices}};
}

json choice_json(int index, const std::string& text, const std::string& finish_reason) {
  return {{"text", text},
          {"index", index},
          {"logprobs", nullptr},
          {"finish_reason", finish_reason.empty() ? json(nullptr) : json(finish_reason)}};
}

// OpenAI says "length" or "stop"; a job the server stopped (shutdown) ends as "length".
std::string reason_of(const Job& job) {
  return job.finish == Finish::stop ? "stop" : "length";
}

void cancel(const Jobs& jobs) {
  for (const auto& job : jobs) job->cancelled = true;
}

// Waits until a job has news (text or done), at most `ms`; copies the new text into `text`
// (whose buffer is reused) and clears the job's, which keeps its capacity for the engine.
bool take(Job& job, std::string& text, std::vector<uint32_t>& ends, bool& done, int ms) {
  std::unique_lock<std::mutex> lock(job.mu);
  job.cv.wait_for(lock, std::chrono::milliseconds(ms),
                  [&] { return !job.text.empty() || job.done; });
  text.assign(job.text);
  ends.assign(job.ends.begin(), job.ends.end());
  job.text.clear();
  job.ends.clear();
  done = job.done;
  return !text.empty() || done;
}

// Appends `text` as the body of a JSON string (quotes, backslashes and control characters
// escaped; UTF-8 as it is).
void append_json_string(std::string& out, std::string_view text) {
  static const char* hex = "0123456789abcdef";
  for (unsigned char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += char(ch);
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch < 0x20) {
      out += "\\u00";
      out += hex[ch >> 4];
      out += hex[ch & 15];
    } else {
      out += char(ch);
    }
  }
}

// One SSE event of a streamed completion, written into a buffer that is reused, so that the
// stream allocates nothing per symbol: the JSON of completion_json() with one choice.
class EventWriter {
 public:
  EventWriter(const std::string& id, int64_t created, const std::string& model) {
    head_ = "data: {\"id\":\"";
    append_json_string(head_, id);
    head_ += "\",\"object\":\"text_completion\",\"created\":" + std::to_string(created) +
             ",\"model\":\"";
    append_json_string(head_, model);
    head_ += "\",\"choices\":[{\"text\":\"";
    event_.reserve(1 << 12);
    text_.reserve(1 << 12);
    ends_.reserve(1 << 12);
  }
  // finish_reason empty: null (more text follows).
  const std::string& event(std::string_view text, size_t index, const std::string& finish_reason) {
    event_.assign(head_);
    append_json_string(event_, text);
    event_ += "\",\"index\":";
    event_ += std::to_string(index);
    event_ += ",\"logprobs\":null,\"finish_reason\":";
    event_ += finish_reason.empty() ? std::string("null") : "\"" + finish_reason + "\"";
    event_ += "}]}\n\n";
    return event_;
  }
  std::string& text() { return text_; }  // the buffers take() fills
  std::vector<uint32_t>& ends() { return ends_; }

 private:
  std::string head_, event_, text_;
  std::vector<uint32_t> ends_;
};

// The Server-Sent Events of a streamed completion: a chunk per piece of text of each choice,
// a last chunk per choice with its finish_reason, then "data: [DONE]".
// The text as the client asked to see it: converted to another Chinese script, or as it is.
using Display = std::shared_ptr<const Tokenizer>;
std::string shown(const Display& display, std::string_view text) {
  return display ? display->prepare(text, "text") : std::string(text);
}

void stream(httplib::Response& res, Jobs jobs, std::string id, int64_t created, std::string model,
            int64_t* symbols, Display display) {
  auto finished = std::make_shared<std::vector<char>>(jobs.size(), 0);
  auto writer = std::make_shared<EventWriter>(id, created, model);
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [jobs, finished, writer, symbols, display](size_t, httplib::DataSink& sink) {
        auto send = [&](const std::string& event) {
          return sink.write(event.data(), event.size());
        };
        size_t open = 0;
        bool sent = true;  // false once a write fails: the client is gone
        for (size_t i = 0; i < jobs.size() && sent; ++i) {
          if ((*finished)[i]) continue;
          ++open;
          std::string& text = writer->text();
          std::vector<uint32_t>& ends = writer->ends();
          bool done = false;
          if (!take(*jobs[i], text, ends, done, jobs.size() == 1 ? 200 : 20)) continue;
          for (size_t p = 0, begin = 0; p < ends.size() && sent; begin = ends[p++])
            sent = send(writer->event(
                display ? std::string_view(
                              shown(display, std::string_view(text).substr(begin, ends[p] - begin)))
                        : std::string_view(text).substr(begin, ends[p] - begin),
                i, ""));
          if (sent && done) {
            *symbols += jobs[i]->symbols;
            (*finished)[i] = 1;
            sent = send(writer->event("", i, reason_of(*jobs[i])));
          }
        }
        if (sent && open == 0) {
          const std::string last = "data: [DONE]\n\n";
          sink.write(last.data(), last.size());
          sink.done();
          return true;
        }
        // Only a failed write says the client left (is_writable() is a zero-timeout select, false
        // whenever the send buffer is momentarily full); its slots are freed at the next step.
        if (!sent) {
          cancel(jobs);
          return false;
        }
        return true;
      },
      [jobs](bool success) {
        if (!success) cancel(jobs);
      });
}

}  // namespace

Completions::Completions(LoadedModel model, const ServerConfig& c) : cfg_(c) {
  engine_ = std::make_unique<Engine>(std::move(model), c.slots, c.queue, c.threads);
}

Completions::~Completions() {
  engine_->shutdown();
}

void Completions::handle(const std::string& body, const std::string& model_id,
                         httplib::Response& res, int64_t& symbols,
                         const std::function<bool()>& client_left) {
  const CompletionRequest r = parse_completion_request(body, cfg_.max_tokens, cfg_.slots);
  const LoadedModel model = engine_->model();
  std::vector<int32_t> ids;
  int64_t prompt_symbols = 0;
  try {
    ids = model->encode_prompt(r.prompt, &prompt_symbols);
  } catch (const Error& e) {
    throw client_text_error(e, "prompt");
  }
  const uint64_t seed = r.seeded ? r.sample.seed : std::random_device{}();
  Jobs jobs;
  for (int i = 0; i < r.n; ++i) {  // a form the vocabulary cannot write: a 400 before any job
    SampleOptions so = r.sample;
    so.seed = seed + uint64_t(i);
    jobs.push_back(std::make_shared<Job>(
        model, ids,
        RowDecoder(so, model->ck.meta.symbols, model->ck.meta.unknown_id, r.max_tokens, ids)));
  }
  {  // the choices share the prompt: the engine warms it once
    if (!engine_->submit(jobs)) {
      cancel(jobs);
      res.set_header("Retry-After", "1");
      res.status = 503;
      res.set_content(json{{"error",
                            {{"message", "every slot is busy and the queue is full; retry shortly"},
                             {"type", "server_error"},
                             {"param", nullptr},
                             {"code", "overloaded"}}}}
                          .dump(),
                      "application/json");
      return;
    }
  }
  const std::string id =
      "cmpl-" + std::to_string(next_id_.fetch_add(1)) + "-" + std::to_string(seed);
  const int64_t created = int64_t(std::time(nullptr));
  Display display;
  if (r.script != "keep") {
    TokenizerConfig tc;
    tc.normalize = Normalize::none;
    tokenizer_options().set(tc, "script", r.script);
    display = std::make_shared<const Tokenizer>(tc);
  }
  if (r.stream) {
    stream(res, jobs, id, created, model_id, &symbols, display);
    return;
  }
  // Whatever ends this wait (the client leaving, an exception) cancels the jobs still running:
  // no slot works for an answer nobody reads.
  struct CancelOnExit {
    const Jobs& jobs;
    ~CancelOnExit() { cancel(jobs); }
  } cancel_on_exit{jobs};
  json choices = json::array();
  int64_t completion = 0;
  auto checked = std::chrono::steady_clock::now();
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::string text, piece;
    std::vector<uint32_t> ends;
    bool done = false;
    while (!done) {
      take(*jobs[i], piece, ends, done, 200);
      text += piece;
      const auto now = std::chrono::steady_clock::now();
      if (done || now - checked < std::chrono::milliseconds(100)) continue;
      checked = now;
      if (client_left()) {  // nothing will be read: the status is for the log (nginx's 499)
        res.status = 499;
        return;
      }
    }
    completion += jobs[i]->symbols;
    choices.push_back(choice_json(int(i), shown(display, text), reason_of(*jobs[i])));
  }
  symbols = completion;
  json out = completion_json(id, created, model_id, choices);
  out["usage"] = {{"prompt_tokens", prompt_symbols},
                  {"completion_tokens", completion},
                  {"total_tokens", prompt_symbols + completion}};
  res.set_content(out.dump(), "application/json");
}

bool Completions::reload(LoadedModel fresh, Engine::Built built) {
  const CheckpointMeta &a = fresh->ck.meta, &b = engine_->model()->ck.meta;
  if (a.model.cell != b.model.cell || a.model.layers != b.model.layers ||
      a.model.hidden != b.model.hidden || a.model.embed != b.model.embed || a.symbols != b.symbols)
    return false;
  engine_->reload(std::move(fresh), std::move(built));
  return true;
}

}  // namespace charrnn::serve
