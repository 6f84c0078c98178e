// engine.cpp — the continuous-batching loop (see engine.h).
#include "serve/engine.h"

#include <omp.h>

#include <algorithm>

namespace charrnn::serve {

Job::Job(const std::vector<int32_t>& prompt_ids, int64_t max, const SampleConfig& sample, int vocab,
         int banned, std::vector<std::string> stops)
    : prompt(prompt_ids), max_symbols(max), sampler(vocab, sample, banned), stop(std::move(stops)) {
  text.reserve(size_t(std::min<int64_t>(max, 1 << 16)) * 4);  // UTF-8: at most 4 bytes a symbol
  ends.reserve(size_t(std::min<int64_t>(max, 1 << 16)) + 1);
}

Job::Job(const std::vector<int32_t>& prompt_ids, int64_t max, const SampleConfig& sample, int vocab,
         int banned, std::vector<std::string> stops, const FormConstraint& constraint)
    : Job(prompt_ids, max, sample, vocab, banned, std::move(stops)) {
  form.push_back(constraint);
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
      masked_v_(size_t(ck.meta.model.vocab)),
      row_job_(size_t(slots)),
      ending_s_(size_t(slots), nullptr) {
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

void Engine::copy_row(Net& from, int from_row, Net& to, int to_row) {
  for (int l = 0; l < L_; ++l) {
    std::copy_n(from.initial_h(l).data() + size_t(from_row) * H_, H_,
                to.initial_h(l).data() + size_t(to_row) * H_);
    if (!from.initial_c(l).empty())
      std::copy_n(from.initial_c(l).data() + size_t(from_row) * H_, H_,
                  to.initial_c(l).data() + size_t(to_row) * H_);
  }
}

void Engine::fit(int rows) {
  size_t k = 0;
  while (nets_[k]->N() < rows) ++k;
  if (int(k) == current_) return;
  for (int r = 0; r < active_; ++r) copy_row(*nets_[size_t(current_)], r, *nets_[k], r);
  current_ = int(k);
}

// Moves queued jobs into the rows after the active ones: a row's state becomes the job's
// warmed state. Called with mu_ held.
void Engine::admit() {
  while (active_ < S_ && !queue_.empty()) {
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    fit(active_ + 1);
    Net& net = *nets_[size_t(current_)];
    const int r = active_++;
    for (int l = 0; l < L_; ++l) {
      std::copy_n(job->h_lh.data() + size_t(l) * H_, H_, net.initial_h(l).data() + size_t(r) * H_);
      if (!net.initial_c(l).empty())
        std::copy_n(job->c_lh.data() + size_t(l) * H_, H_,
                    net.initial_c(l).data() + size_t(r) * H_);
    }
    x_s_[size_t(r)] = job->prompt.back();
    row_job_[size_t(r)] = std::move(job);
    if (row_job_[size_t(r)]->max_symbols <= 0) finish(r, "length");
  }
}

// Ends the job in row r; the last active row moves into r, so the rows stay packed.
void Engine::finish(int r, const char* reason) {
  std::shared_ptr<Job> job = std::move(row_job_[size_t(r)]);
  {
    std::lock_guard<std::mutex> lock(job->mu);
    if (reason != std::string("stop")) {
      const std::string rest = job->stop.flush();
      if (!rest.empty()) {
        job->text += rest;
        job->ends.push_back(uint32_t(job->text.size()));
      }
    }
    job->done = true;
    job->finish_reason = reason;
  }
  job->cv.notify_all();
  const int last = --active_;
  if (r != last) {
    Net& net = *nets_[size_t(current_)];
    copy_row(net, last, net, r);
    x_s_[size_t(r)] = x_s_[size_t(last)];
    row_job_[size_t(r)] = std::move(row_job_[size_t(last)]);
  }
  --in_flight_;
}

// One batched step of the smallest net that holds the active rows; each samples its symbol.
// Rows end after all have sampled (from the last down), so that moving a row into an ended
// one never moves logits not yet read.
void Engine::advance() {
  fit(active_);
  Net& net = *nets_[size_t(current_)];
  net.forward(x_s_.data(), nullptr, nullptr);
  net.carry_state();
  steps_.fetch_add(1);
  const float* logits_rv = net.logits();
  const std::vector<std::string>& symbols = ck_.meta.symbols;
  for (int r = 0; r < active_; ++r) {
    Job& job = *row_job_[size_t(r)];
    ending_s_[size_t(r)] = nullptr;
    if (job.cancelled.load()) {
      ending_s_[size_t(r)] = "cancelled";
      continue;
    }
    const float* row_v = logits_rv + size_t(r) * V_;
    if (!job.form.empty()) {  // the mask on a copy: the net's logits stay as computed
      std::copy(row_v, row_v + V_, masked_v_.begin());
      job.form[0].mask(masked_v_.data());
      row_v = masked_v_.data();
    }
    const int id = job.sampler.sample(row_v);
    if (!job.form.empty()) job.form[0].advance(id);
    x_s_[size_t(r)] = id;
    {
      std::lock_guard<std::mutex> lock(job.mu);
      const std::string piece = job.stop.push(symbols[size_t(id)]);
      if (!piece.empty()) {
        job.text += piece;
        job.ends.push_back(uint32_t(job.text.size()));
      }
      ++job.symbols;
    }
    job.cv.notify_all();
    if (job.stop.stopped() || (!job.form.empty() && job.form[0].done()))
      ending_s_[size_t(r)] = "stop";
    else if (job.symbols >= job.max_symbols)
      ending_s_[size_t(r)] = "length";
  }
  for (int r = active_ - 1; r >= 0; --r)
    if (ending_s_[size_t(r)]) finish(r, ending_s_[size_t(r)]);
}

void Engine::run() {
  // Built here, not in the constructor: oneDNN's library scratchpad belongs to the thread that
  // creates a primitive, and executing it from another thread crashed (measured, libdnnl 2.6).
  omp_set_num_threads(threads_.load());
  for (int n = 1;; n = std::min(2 * n, S_)) {
    nets_.push_back(
        std::make_unique<Net>(ck_.meta.model, 1, n, Net::Mode::infer, ck_.params.data(), nullptr));
    nets_.back()->reset_state();
    if (n == S_) break;
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] {
      return stopping_ || !queue_.empty() || active_ > 0 || !pending_params_.empty();
    });
    if (stopping_) break;
    if (!pending_params_.empty()) {  // between two steps: running jobs go on with the new weights
      std::unique_lock<std::shared_mutex> weights(weights_mu_);
      std::copy(pending_params_.begin(), pending_params_.end(), ck_.params.begin());
      pending_params_.clear();
      for (auto& net : nets_) net->sync_weights();
    }
    admit();
    if (active_ == 0) continue;
    lock.unlock();
    omp_set_num_threads(threads_.load());
    advance();
    lock.lock();
  }
  lock.unlock();
  while (active_ > 0) finish(active_ - 1, "cancelled");
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
