// engine.h — continuous batching: every active completion advances together, one batched
// T = 1 forward step per symbol on a network of `slots` rows; a completion joins and leaves
// at a step boundary, with its own prompt, sampler (seed), stop strings and length.
//
// Letters: S slots (the batch N of the step net), L layers, H hidden, V vocabulary.
//
// Exactness: a completion gives the same text as `charrnn generate` with the same prompt,
// options and seed, whatever shares the batch. Its prompt is warmed by warm(), in the caller's
// thread, with the very computation Generator does (one T = P-1 forward on a network of its
// own); a row's logits do not depend on the other rows of the step
// nor on its position or the number of rows (tests/test_batch_rows.cpp checks this bitwise).
// The batch never waits for a prompt.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "generate/form.h"
#include "generate/sampler.h"
#include "generate/stop_matcher.h"
#include "nn/model.h"

namespace charrnn::serve {

// One completion choice, shared by the HTTP thread that reads it and the engine that writes it.
struct Job {
  Job(const std::vector<int32_t>& prompt_ids, int64_t max_symbols, const SampleConfig& sample,
      int vocab, int banned, std::vector<std::string> stops);
  // The same with a poem's form (form.h): it masks every draw and ends the text with the poem.
  Job(const std::vector<int32_t>& prompt_ids, int64_t max_symbols, const SampleConfig& sample,
      int vocab, int banned, std::vector<std::string> stops, const FormConstraint& form);

  // Set before submit(): the prompt, and (by Engine::warm) the state it leaves.
  std::vector<int32_t> prompt;
  int64_t max_symbols;
  Sampler sampler;
  StopMatcher stop;
  std::vector<FormConstraint> form;    // none, or the poem's form
  std::vector<float> h_lh, c_lh;       // (L, H) state after all but the last prompt symbol
  std::atomic<bool> cancelled{false};  // the client left, or the server stops

  // Written by the engine, read by the HTTP thread: take new text under `mu`.
  std::mutex mu;
  std::condition_variable cv;
  std::string text;            // generated text not yet taken
  std::vector<uint32_t> ends;  // where each emitted piece of `text` ends (one per symbol, but
                               // for text held back by a stop string): one SSE event each
  int64_t symbols = 0;         // symbols generated so far
  bool done = false;
  std::string finish_reason;  // "length", "stop" or "cancelled"
};

class Engine {
 public:
  // `ck` must outlive the engine; its params are the weights (reload() replaces them).
  Engine(LoadedCheckpoint& ck, int slots, int queue, int threads);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Warms job's prompt in the calling thread (Generator's computation). Thread-safe.
  void warm(Job& job) const;
  // Queues a warmed job; false when every slot is busy and the queue is full.
  bool submit(const std::shared_ptr<Job>& job);
  // New weights of the same architecture, taken between two steps; running jobs continue.
  void reload(const std::vector<float>& params);
  // Ends every job ("cancelled") and the worker.
  void shutdown();

  int slots() const { return S_; }
  int64_t steps() const { return steps_.load(); }
  void set_threads(int threads) { threads_.store(threads); }

 private:
  void run();
  void admit();
  void advance();
  void finish(int row, const char* reason);
  void fit(int rows);  // moves the packed rows to the smallest net of at least `rows` rows
  void copy_row(Net& from, int from_row, Net& to, int to_row);

  LoadedCheckpoint& ck_;
  const int S_, queue_cap_, L_, H_, V_;
  std::atomic<int> threads_;
  std::vector<std::unique_ptr<Net>> nets_;     // T = 1, N = 1, 2, 4, ... S (built in run())
  int current_ = 0;                            // the net that holds the rows' state
  std::vector<int32_t> x_s_;                   // (S) each row's next input symbol
  std::vector<float> masked_v_;                // (V) a row's logits under its form's mask
  std::vector<std::shared_ptr<Job>> row_job_;  // (S) rows 0 .. active_-1 hold a job
  std::vector<const char*> ending_s_;          // (S) this step's finish reason, or null
  std::mutex mu_;                              // guards queue_, pending_params_, stopping_
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<float> pending_params_;
  bool stopping_ = false;
  std::atomic<int> in_flight_{0};  // jobs queued or in a slot
  int active_ = 0;                 // jobs in a slot (worker thread only)
  std::atomic<int64_t> steps_{0};
  mutable std::shared_mutex weights_mu_;  // warm() reads the weights a reload replaces
  std::thread worker_;
};

}  // namespace charrnn::serve
