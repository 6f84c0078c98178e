// engine.cpp — the continuous-batching loop (see engine.h).
#include "serve/engine.h"

#include <omp.h>

#include <algorithm>
#include <chrono>

namespace charrnn::serve {

Job::Job(LoadedModel m, std::vector<int32_t> prompt_ids, RowDecoder d)
    : model(std::move(m)), prompt(std::move(prompt_ids)), decoder(std::move(d)) {
  text.reserve(1 << 12);
  ends.reserve(1 << 10);
}

Engine::Engine(LoadedModel model, int slots, int queue, int threads)
    : S_(slots),
      queue_cap_(queue),
      L_(model->ck.meta.model.layers),
      H_(model->ck.meta.model.hidden),
      V_(model->ck.meta.model.vocab),
      threads_(threads),
      model_(std::move(model)),
      x_s_(size_t(slots), 0),
      row_job_(size_t(slots)),
      ending_s_(size_t(slots), Finish::none) {
  piece_.reserve(64);
  worker_ = std::thread([this] { run(); });
}

Engine::~Engine() {
  shutdown();
}

LoadedModel Engine::model() const {
  std::lock_guard<std::mutex> lock(model_mu_);
  return model_;
}

bool Engine::submit(const std::vector<std::shared_ptr<Job>>& choices) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int n = int(choices.size());
    if (stopping_ || in_flight_ + n > S_ + queue_cap_) return false;
    in_flight_ += n;
    queue_.push_back({choices, false, {}, {}});
  }
  cv_.notify_one();
  return true;
}

void Engine::reload(LoadedModel model, Built built) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = std::move(model);
    pending_built_ = std::move(built);
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

void Engine::build_nets(const LoadedModel& model) {
  std::vector<std::unique_ptr<Net>> nets;
  for (int n = 1;; n = std::min(2 * n, S_)) {
    nets.push_back(std::make_unique<Net>(model->ck.meta.model, 1, n, Net::Mode::infer,
                                         model->ck.params.data(), nullptr));
    nets.back()->reset_state();
    if (n == S_) break;
  }
  auto warmer = std::make_unique<PromptWarmer>(model->ck.meta.model, model->ck.params.data());
  // Nothing below allocates: a build that throws leaves the loaded model's nets as they were.
  if (!nets_.empty())  // running jobs keep their state
    for (int r = 0; r < active_; ++r)
      copy_row(*nets_[size_t(current_)], r, *nets[size_t(current_)], r);
  nets_ = std::move(nets);
  warmer_ = std::move(warmer);
  if (warming_) warming_->warmed = false;  // read again with the new weights
  warming_ = nullptr;
  std::lock_guard<std::mutex> lock(model_mu_);
  model_ = model;
}

void Engine::fit(int rows) {
  size_t k = 0;
  while (nets_[k]->N() < rows) ++k;
  if (int(k) == current_) return;
  for (int r = 0; r < active_; ++r) copy_row(*nets_[size_t(current_)], r, *nets_[k], r);
  current_ = int(k);
}

// Reads prompt chunks of the requests not yet warmed, in order, for at most kWarmSlice (and at
// least one chunk), with mu_ released meanwhile (HTTP threads keep submitting; a deque keeps a
// request's address while it grows, and only this thread removes requests). One chunk per step
// made the 32nd of 32 simultaneous requests wait 64 batch steps for its 3-symbol prompt (first
// symbol 64.6 ms p50 at 32 clients); a slice warms them all between two steps while bounding
// what the running rows wait.
void Engine::warm_prompts(std::unique_lock<std::mutex>& lock) {
  const auto t0 = std::chrono::steady_clock::now();
  do {
    if (!warming_) {
      for (Request& r : queue_)
        if (!r.warmed) {
          warming_ = &r;
          warmer_->start(r.choices.front()->prompt);
          break;
        }
      if (!warming_) return;
    }
    lock.unlock();
    const bool read = warmer_->advance();
    lock.lock();
    if (read) {
      warmer_->state(warming_->h_lh, warming_->c_lh);
      warming_->warmed = true;
      warming_ = nullptr;
    }
  } while (!stopping_ && !pending_ && std::chrono::steady_clock::now() - t0 < kWarmSlice);
}

// Moves warmed requests, in order, into the rows after the active ones: each choice's row
// starts from the request's warmed state. Called with mu_ held.
void Engine::admit() {
  while (!queue_.empty() && queue_.front().warmed &&
         active_ + int(queue_.front().choices.size()) <= S_) {
    Request request = std::move(queue_.front());
    queue_.pop_front();
    for (std::shared_ptr<Job>& job : request.choices) {
      fit(active_ + 1);
      Net& net = *nets_[size_t(current_)];
      const int r = active_++;
      for (int l = 0; l < L_; ++l) {
        std::copy_n(request.h_lh.data() + size_t(l) * H_, H_,
                    net.initial_h(l).data() + size_t(r) * H_);
        if (!net.initial_c(l).empty())
          std::copy_n(request.c_lh.data() + size_t(l) * H_, H_,
                      net.initial_c(l).data() + size_t(r) * H_);
      }
      x_s_[size_t(r)] = job->prompt.back();
      row_job_[size_t(r)] = std::move(job);
      const Finish already = row_job_[size_t(r)]->decoder.finished();  // max_tokens 0
      if (already != Finish::none) finish(r, already);
    }
  }
}

// Ends the job in row r; the last active row moves into r, so the rows stay packed.
void Engine::finish(int r, Finish why) {
  std::shared_ptr<Job> job = std::move(row_job_[size_t(r)]);
  {
    std::lock_guard<std::mutex> lock(job->mu);
    if (why == Finish::stopped) job->decoder.stop();
    const std::string rest = job->decoder.flush();  // held back for a stop string that never came
    if (!rest.empty()) {
      job->text += rest;
      job->ends.push_back(uint32_t(job->text.size()));
    }
    job->done = true;
    job->finish = why;
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

// One batched step of the smallest net that holds the active rows; each row's decoder draws
// its symbol. Rows end after all have drawn (from the last down), so that moving a row into an
// ended one never moves logits not yet read.
void Engine::advance() {
  fit(active_);
  Net& net = *nets_[size_t(current_)];
  net.forward(x_s_.data(), nullptr, nullptr);
  net.carry_state();
  steps_.fetch_add(1);
  const float* logits_rv = net.logits();
  for (int r = 0; r < active_; ++r) {
    Job& job = *row_job_[size_t(r)];
    ending_s_[size_t(r)] = Finish::none;
    if (job.cancelled.load()) {
      ending_s_[size_t(r)] = Finish::stopped;
      continue;
    }
    piece_.clear();
    x_s_[size_t(r)] = job.decoder.next(logits_rv + size_t(r) * V_, piece_);
    {
      std::lock_guard<std::mutex> lock(job.mu);
      if (!piece_.empty()) {
        job.text += piece_;
        job.ends.push_back(uint32_t(job.text.size()));
      }
      job.symbols = job.decoder.symbols();
    }
    job.cv.notify_all();
    ending_s_[size_t(r)] = job.decoder.finished();
  }
  for (int r = active_ - 1; r >= 0; --r)
    if (ending_s_[size_t(r)] != Finish::none) finish(r, ending_s_[size_t(r)]);
}

void Engine::run() {
  // Built here, not in the constructor: oneDNN's library scratchpad belongs to the thread that
  // creates a primitive, and executing it from another thread crashed (measured, libdnnl 2.6).
  omp_set_num_threads(threads_.load());
  build_nets(model());
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || active_ > 0 || pending_; });
    if (stopping_) break;
    if (pending_) {  // between two steps: running jobs go on with the new weights
      LoadedModel fresh = std::move(pending_);
      Built built = std::move(pending_built_);
      pending_.reset();
      pending_built_ = nullptr;
      bool ok = true;
      try {
        build_nets(fresh);
      } catch (const std::exception&) {  // out of memory, or oneDNN's: serve the loaded model
        ok = false;
      }
      if (built) {  // unlocked: a slow log must not hold up the HTTP threads' submits
        lock.unlock();
        try {
          built(ok);
        } catch (const std::exception&) {  // a line that could not be logged stops nothing
        }
        lock.lock();
      }
    }
    omp_set_num_threads(threads_.load());
    warm_prompts(lock);  // a slice of prompt reading between two steps
    admit();
    if (active_ == 0) continue;
    lock.unlock();
    advance();
    lock.lock();
  }
  lock.unlock();
  while (active_ > 0) finish(active_ - 1, Finish::stopped);
  lock.lock();
  for (Request& request : queue_)
    for (auto& job : request.choices) {
      {
        std::lock_guard<std::mutex> jl(job->mu);
        job->done = true;
        job->finish = Finish::stopped;
      }
      job->cv.notify_all();
      --in_flight_;
    }
  queue_.clear();
}

}  // namespace charrnn::serve
