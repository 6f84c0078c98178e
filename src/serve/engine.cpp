// engine.cpp — the continuous-batching loop (see engine.h).
#include "serve/engine.h"

#include <omp.h>

#include <algorithm>

namespace charrnn::serve {

Job::Job(const std::vector<int32_t>& prompt_ids, int64_t max, const SampleConfig& sample, int vocab,
         int banned, std::vector<std::string> stops)
    : prompt(prompt_ids), max_symbols(max), sampler(vocab, sample, banned), stop(std::move(stops)) {
  text.reserve(size_t(std::min<int64_t>(max, 1 << 16)) * 4);  // UTF-8: at most 4 bytes a symbol
}

Engine::Engine(LoadedCheckpoint& ck, int slots, int queue, int threads)
    : ck_(ck),
      S_(slots),
      queue_cap_(queue),
      L_(ck.meta.model.layers),
      H_(ck.meta.model.hidden),
      V_(ck.meta.model.vocab),
      threads_(threads),
      x_s_(size_t(slots), 0),
      slot_job_(size_t(slots)) {
  worker_ = std::thread([this] { run(); });
}

Engine::~Engine() {
  shutdown();
}

void Engine::warm(Job& job) const {
  std::shared_lock<std::shared_mutex> weights(weights_mu_);
  omp_set_num_threads(threads_.load());
  job.h_lh.assign(size_t(L_) * H_, 0.f);
  job.c_lh.assign(size_t(L_) * H_, 0.f);
  const int P = int(job.prompt.size());
  if (P < 2) return;
  // All but the last prompt symbol in one call, as Generator::generate does.
  Net prompt_net(ck_.meta.model, P - 1, 1, Net::Mode::infer, ck_.params.data(), nullptr);
  prompt_net.reset_state();
  prompt_net.forward(job.prompt.data(), nullptr, nullptr);
  prompt_net.carry_state();  // initial <- final: the state the prompt leaves
  for (int l = 0; l < L_; ++l) {
    std::copy_n(prompt_net.initial_h(l).data(), H_, job.h_lh.data() + size_t(l) * H_);
    if (!prompt_net.initial_c(l).empty())
      std::copy_n(prompt_net.initial_c(l).data(), H_, job.c_lh.data() + size_t(l) * H_);
  }
}

bool Engine::submit(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || in_flight_ >= S_ + queue_cap_) return false;
    ++in_flight_;
    queue_.push_back(job);
  }
  cv_.notify_one();
  return true;
}

void Engine::reload(const std::vector<float>& params) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_params_ = params;
  }
  cv_.notify_one();
}

void Engine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (worker_.joinable()) worker_.join();
}

// Moves queued jobs into free rows: the row's state becomes the job's warmed state.
void Engine::admit(std::unique_lock<std::mutex>& lock) {
  for (int s = 0; s < S_ && !queue_.empty(); ++s) {
    if (slot_job_[size_t(s)]) continue;
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    slot_job_[size_t(s)] = job;
    ++active_;
    for (int l = 0; l < L_; ++l) {
      std::copy_n(job->h_lh.data() + size_t(l) * H_, H_,
                  step_net_->initial_h(l).data() + size_t(s) * H_);
      if (!step_net_->initial_c(l).empty())
        std::copy_n(job->c_lh.data() + size_t(l) * H_, H_,
                    step_net_->initial_c(l).data() + size_t(s) * H_);
    }
    x_s_[size_t(s)] = job->prompt.back();
    if (job->max_symbols <= 0) finish(s, "length");
  }
  (void)lock;
}

void Engine::finish(int s, const char* reason) {
  std::shared_ptr<Job> job = std::move(slot_job_[size_t(s)]);
  {
    std::lock_guard<std::mutex> lock(job->mu);
    if (reason != std::string("stop")) job->text += job->stop.flush();
    job->done = true;
    job->finish_reason = reason;
  }
  job->cv.notify_all();
  --active_;
  --in_flight_;
}

// One batched step: every row advances; active rows sample their next symbol.
void Engine::advance() {
  step_net_->forward(x_s_.data(), nullptr, nullptr);
  step_net_->carry_state();
  steps_.fetch_add(1);
  const float* logits_sv = step_net_->logits();
  const std::vector<std::string>& symbols = ck_.meta.symbols;
  for (int s = 0; s < S_; ++s) {
    Job* job = slot_job_[size_t(s)].get();
    if (!job) continue;
    if (job->cancelled.load()) {
      finish(s, "cancelled");
      continue;
    }
    const int id = job->sampler.sample(logits_sv + size_t(s) * V_);
    x_s_[size_t(s)] = id;
    {
      std::lock_guard<std::mutex> lock(job->mu);
      job->text += job->stop.push(symbols[size_t(id)]);
      ++job->symbols;
    }
    job->cv.notify_all();
    if (job->stop.stopped())
      finish(s, "stop");
    else if (job->symbols >= job->max_symbols)
      finish(s, "length");
  }
}

void Engine::run() {
  // Built here, not in the constructor: oneDNN's library scratchpad belongs to the thread that
  // creates a primitive, and executing it from another thread crashed (measured, libdnnl 2.6).
  omp_set_num_threads(threads_.load());
  step_net_ =
      std::make_unique<Net>(ck_.meta.model, 1, S_, Net::Mode::infer, ck_.params.data(), nullptr);
  step_net_->reset_state();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] {
      return stopping_ || !queue_.empty() || active_ > 0 || !pending_params_.empty();
    });
    if (stopping_) break;
    if (!pending_params_
             .empty()) {  // between two steps: the running jobs go on with the new weights
      std::unique_lock<std::shared_mutex> weights(weights_mu_);
      std::copy(pending_params_.begin(), pending_params_.end(), ck_.params.begin());
      pending_params_.clear();
      step_net_->sync_weights();
    }
    admit(lock);
    if (active_ == 0) continue;
    lock.unlock();
    omp_set_num_threads(threads_.load());
    advance();
    lock.lock();
  }
  lock.unlock();
  for (int s = 0; s < S_; ++s)
    if (slot_job_[size_t(s)]) finish(s, "cancelled");
  lock.lock();
  for (auto& job : queue_) {
    {
      std::lock_guard<std::mutex> jl(job->mu);
      job->done = true;
      job->finish_reason = "cancelled";
    }
    job->cv.notify_all();
    --in_flight_;
  }
  queue_.clear();
}

}  // namespace charrnn::serve
