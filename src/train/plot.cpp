// plot.cpp — the loss.svg renderer (see plot.h).
#include "train/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

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
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto X = [&](double t) { return kLeft + pw * t / x_max; };
  auto Y = [&](double y) { return kTop + ph * (y_max - y) / (y_max - y_min); };
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"640\" height=\"400\" "
      "fill=\"white\"/>\n";
  s += "<text x=\"320\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" + escape(title) +
       "</text>\n";
  for (int i = 0; i <= 5; ++i) {  // grid and tick labels
    const double y = y_min + (y_max - y_min) * i / 5, x = x_max * i / 5;
    s += "<line x1=\"" + fmt("%.1f", kLeft) + "\" x2=\"" + fmt("%.1f", kW - kRight) + "\" y1=\"" +
         fmt("%.1f", Y(y)) + "\" y2=\"" + fmt("%.1f", Y(y)) + "\" stroke=\"#ddd\"/>\n";
    s += "<text x=\"" + fmt("%.1f", kLeft - 6) + "\" y=\"" + fmt("%.1f", Y(y) + 4) +
         "\" text-anchor=\"end\">" + fmt("%.2f", y) + "</text>\n";
    s += "<text x=\"" + fmt("%.1f", X(x)) + "\" y=\"" + fmt("%.1f", kH - kBottom + 16) +
         "\" text-anchor=\"middle\">" +
         (x_max >= 1e6 ? fmt("%.1fM", x / 1e6) : fmt("%.0fk", x / 1e3)) + "</text>\n";
  }
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
