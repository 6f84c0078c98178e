// progress.cpp — rate-limited progress lines (see progress.h).
#include "progress.h"

#include <unistd.h>

#include <cmath>

#include "cli/flags.h"

namespace charrnn::cli {

Progress::Progress(std::FILE* out, bool quiet)
    : out_(out),
      quiet_(quiet),
      tty_(::isatty(::fileno(out)) != 0),
      last_(std::chrono::steady_clock::now() - std::chrono::hours(1)),
      interval_s_(tty_ ? 0.25 : 10.0) {}

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) return "?";
  long s = long(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

void Progress::step(const TrainProgress& r) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_).count() < interval_s_) return;
  last_ = now;
  char total[32] = "";
  if (r.total_steps > 0) std::snprintf(total, sizeof total, "/%lld", (long long)r.total_steps);
  char val[48] = "";
  if (!std::isnan(r.val_loss)) std::snprintf(val, sizeof val, " | val %.4f", r.val_loss);
  char text[256];
  std::snprintf(text, sizeof text,
                "step %lld%s | epoch %.2f | loss %.4f | %.0f tok/s | %s elapsed | eta %s%s",
                (long long)r.step, total, r.epoch, r.loss, r.tokens_per_s,
                format_duration(r.seconds).c_str(), format_duration(r.eta_seconds).c_str(), val);
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", text);
    live_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", text);
  }
  std::fflush(out_);
}

void Progress::event(const TrainProgress& e) {
  switch (e.kind) {
    case TrainProgress::Kind::info:
      line(Error::spelled(e.text, as_flag));
      break;
    case TrainProgress::Kind::step:
      step(e);
      break;
    case TrainProgress::Kind::warning:
      if (live_open_) std::fputs("\r\033[K", out_);
      live_open_ = false;
      std::fflush(out_);
      std::fprintf(stderr, "charrnn: warning: %s\n", Error::spelled(e.text, as_flag).c_str());
      break;
    case TrainProgress::Kind::sample: {
      char head[96];
      std::snprintf(head, sizeof head, "--- sample at step %lld, temperature %g ---",
                    (long long)e.step, e.temperature);
      line(head);
      line(e.text);
      break;
    }
    case TrainProgress::Kind::eval: {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "step %lld | train %.4f | val %.4f nats (%.3f bits/char)%s | %s",
                    (long long)e.step, e.loss, e.val_loss, e.val_loss / std::log(2.0),
                    e.improved ? " | best, saved" : " | saved", format_duration(e.seconds).c_str());
      line(buf);
      if (e.patience_exhausted > 0)
        line("no improvement in " + std::to_string(e.patience_exhausted) +
             " evaluations: stopping (--patience)");
      break;
    }
  }
}

void Progress::line(const std::string& text) {
  if (quiet_) return;
  if (live_open_) std::fputs("\r\033[K", out_);
  live_open_ = false;
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace charrnn::cli
