// plot.cpp — the loss.svg renderer (see plot.h).
#include "train/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace charrnn {
namespace {

constexpr double kW = 640, kH = 400, kLeft = 70, kRight = 20, kTop = 40, kBottom = 60;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

// Round ticks (1, 2 or 5 times a power of ten) from at or below lo to at or above hi, about
// `count` steps: the axis spans them, so every point is inside the frame.
std::vector<double> round_ticks(double lo, double hi, int count) {
  const double raw = (hi - lo) / count, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double n = raw / mag, step = (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
  std::vector<double> ticks;
  for (double v = std::floor(lo / step + 1e-9) * step; v < hi + step * (1 - 1e-9); v += step)
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return ticks;
}

std::string tokens_label(double x) {  // 0, 500k, 1M, 2.5M
  return x >= 1e6 ? fmt("%gM", x / 1e6) : x >= 1e3 ? fmt("%gk", x / 1e3) : fmt("%g", x);
}

}  // namespace

std::string loss_svg(const std::vector<HistoryPoint>& history, const std::string& title) {
  double x_max = 1, y_min = 1e300, y_max = -1e300;
  for (const HistoryPoint& h : history) {
    x_max = std::max(x_max, double(h.tokens));
    for (double y : {h.train_loss, h.val_loss})
      if (std::isfinite(y)) {
        y_min = std::min(y_min, y);
        y_max = std::max(y_max, y);
      }
  }
  if (y_min > y_max) {
    y_min = 0;
    y_max = 1;
  }
  if (y_max - y_min < 1e-6) {
    y_min -= 0.5;
    y_max += 0.5;
  }
  const std::vector<double> y_ticks = round_ticks(y_min, y_max, 5),
                            x_ticks = round_ticks(0, x_max, 5);
  y_min = y_ticks.front();
  y_max = y_ticks.back();
  x_max = x_ticks.back();
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto X = [&](double t) { return kLeft + pw * t / x_max; };
  auto Y = [&](double y) { return kTop + ph * (y_max - y) / (y_max - y_min); };
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"640\" height=\"400\" "
      "fill=\"white\"/>\n";
  s += "<text x=\"320\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" + escape(title) +
       "</text>\n";
  for (double y : y_ticks) {  // grid and tick labels
    s += "<line x1=\"" + fmt("%.1f", kLeft) + "\" x2=\"" + fmt("%.1f", kW - kRight) + "\" y1=\"" +
         fmt("%.1f", Y(y)) + "\" y2=\"" + fmt("%.1f", Y(y)) + "\" stroke=\"#ddd\"/>\n";
    s += "<text x=\"" + fmt("%.1f", kLeft - 6) + "\" y=\"" + fmt("%.1f", Y(y) + 4) +
         "\" text-anchor=\"end\">" + fmt("%g", y) + "</text>\n";
  }
  for (double x : x_ticks)
    s += "<text x=\"" + fmt("%.1f", X(x)) + "\" y=\"" + fmt("%.1f", kH - kBottom + 16) +
         "\" text-anchor=\"middle\">" + tokens_label(x) + "</text>\n";
  s += "<text x=\"320\" y=\"" + fmt("%.0f", kH - 18) +
       "\" text-anchor=\"middle\">tokens seen</text>\n";
  s += "<text transform=\"translate(18 " + fmt("%.0f", kTop + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">loss (nats/symbol)</text>\n";
  const char* colors[2] = {"#1f77b4", "#d62728"};
  const char* names[2] = {"train", "validation"};
  for (int k = 0; k < 2; ++k) {
    std::string pts;
    for (const HistoryPoint& h : history) {
      const double y = k == 0 ? h.train_loss : h.val_loss;
      if (std::isfinite(y)) pts += fmt("%.1f,", X(double(h.tokens))) + fmt("%.1f ", Y(y));
    }
    s += "<polyline fill=\"none\" stroke=\"" + std::string(colors[k]) +
         "\" stroke-width=\"2\" points=\"" + pts + "\"/>\n";
    const double ly = kTop + 10 + 18 * k;
    s += "<line x1=\"" + fmt("%.0f", kW - 150) + "\" x2=\"" + fmt("%.0f", kW - 126) + "\" y1=\"" +
         fmt("%.0f", ly) + "\" y2=\"" + fmt("%.0f", ly) + "\" stroke=\"" + colors[k] +
         "\" stroke-width=\"2\"/>\n";
    s += "<text x=\"" + fmt("%.0f", kW - 120) + "\" y=\"" + fmt("%.0f", ly + 4) + "\">" + names[k] +
         "</text>\n";
  }
  return s + "</svg>\n";
}

}  // namespace charrnn
