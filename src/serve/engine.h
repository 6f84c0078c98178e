// engine.h — continuous batching: every active completion advances together, one batched
// T = 1 forward step per symbol on a network of `slots` rows; a completion joins and leaves
// at a step boundary, with its own prompt and RowDecoder (generate/decoder.h: the one decoding
// loop, so a completion's sampler, form, penalties and stop strings are generate's).
//
// Letters: S slots (the batch N of the step net), L layers, H hidden, V vocabulary.
//
// Exactness: a completion gives the same text as `charrnn generate` with the same prompt,
// options and seed, whatever shares the batch. Its prompt is warmed with the very computation
// Generator does (generate/warmer.h), on the engine's thread, in chunks of at most 64 symbols
// for a slice of kWarmSlice between two batch steps, so the batch waits at most a slice and a
// chunk for prompts and no request builds a network (the warmer's are built once); a row's logits
// do not depend on the other rows of the step nor on its position or the number of rows
// (tests/test_batch_rows.cpp checks this bitwise).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/model_impl.h"
#include "generate/decoder.h"
#include "generate/warmer.h"
#include "nn/model.h"

namespace charrnn::serve {

using LoadedModel = std::shared_ptr<const Model::Impl>;

// One completion choice, shared by the HTTP thread that reads it and the engine that writes it.
struct Job {
  // `model` keeps the vocabulary the decoder reads alive.
  Job(LoadedModel model, std::vector<int32_t> prompt_ids, RowDecoder decoder);

  LoadedModel model;
  std::vector<int32_t> prompt;
  RowDecoder decoder;                  // the engine's after submit()
  std::atomic<bool> cancelled{false};  // the client left, or the server stops

  // Written by the engine, read by the HTTP thread: take new text under `mu`.
  std::mutex mu;
  std::condition_variable cv;
  std::string text;            // generated text not yet taken
  std::vector<uint32_t> ends;  // where each emitted piece of `text` ends (one per symbol, but
                               // for text held back by a stop string): one SSE event each
  int64_t symbols = 0;         // symbols generated so far
  bool done = false;
  Finish finish = Finish::none;
};

class Engine {
 public:
  Engine(LoadedModel model, int slots, int queue, int threads);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues the choices of one request (they share a prompt, warmed once); false when the
  // slots and the queue cannot take them all.
  bool submit(const std::vector<std::shared_ptr<Job>>& choices);
  // A model of the same architecture and vocabulary, taken between two steps; running jobs
  // continue with its weights. `built` is called on the engine's thread once its nets are
  // built (true) or could not be (false: out of memory; the loaded model goes on serving).
  // A reload replaced by a newer one before the next step is never called.
  using Built = std::function<void(bool built)>;
  void reload(LoadedModel model, Built built);
  LoadedModel model() const;
  // Ends every job (Finish::stopped) and the worker.
  void shutdown();

  int slots() const { return S_; }
  int64_t steps() const { return steps_.load(); }
  void set_threads(int threads) { threads_.store(threads); }

 private:
  // The choices of one request, waiting for their prompt to be read and for slots.
  struct Request {
    std::vector<std::shared_ptr<Job>> choices;
    bool warmed = false;
    std::vector<float> h_lh, c_lh;  // (L, H) the state after all but the last prompt symbol
  };
  void run();
  void build_nets(const LoadedModel& model);              // T = 1, N = 1, 2, 4, ... S; the warmer
  void warm_prompts(std::unique_lock<std::mutex>& lock);  // queued prompts, for a slice
  void admit();
  void advance();
  void finish(int row, Finish why);
  void fit(int rows);  // moves the packed rows to the smallest net of at least `rows` rows
  void copy_row(Net& from, int from_row, Net& to, int to_row);

  // How long prompts are read between two steps: the gap the running rows see grows by at most
  // this and one chunk (the p99 between symbols must stay under 25 ms).
  static constexpr std::chrono::milliseconds kWarmSlice{4};

  const int S_, queue_cap_, L_, H_, V_;
  std::atomic<int> threads_;
  mutable std::mutex model_mu_;  // guards model_ (the HTTP threads read it)
  LoadedModel model_;            // the weights the nets read
  std::vector<std::unique_ptr<Net>> nets_;
  std::unique_ptr<PromptWarmer> warmer_;
  Request* warming_ = nullptr;  // the request the warmer is reading (the queue's first unwarmed)
  int current_ = 0;             // the net that holds the rows' state
  std::vector<int32_t> x_s_;    // (S) each row's next input symbol
  std::string piece_;           // a row's text of this step (reused)
  std::vector<std::shared_ptr<Job>> row_job_;  // (S) rows 0 .. active_-1 hold a job
  std::vector<Finish> ending_s_;               // (S) this step's finish, or none
  std::mutex mu_;                              // guards queue_, pending_, stopping_
  std::condition_variable cv_;
  std::deque<Request> queue_;
  LoadedModel pending_;  // a reload waiting for the next step boundary
  Built pending_built_;  // and whom to tell how its build went
  bool stopping_ = false;
  std::atomic<int> in_flight_{0};  // jobs queued or in a slot
  int active_ = 0;                 // jobs in a slot (worker thread only)
  std::atomic<int64_t> steps_{0};
  std::thread worker_;
};

}  // namespace charrnn::serve
