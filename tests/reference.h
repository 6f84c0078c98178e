// reference.h — a naive double-precision implementation of the whole model, for tests.
//
// Letters: V vocabulary, E embedding, H hidden, L layers, T time, N streams; gates i, f, g, o.
// It reads the same flat parameter block layout as charrnn::Net (parameter_tensors()), loops
// over time, batch and gates with no library calls, and returns the summed cross-entropy. The
// tests compare Net's forward against it and Net's gradients against its finite differences.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "nn/model.h"

namespace charrnn::testing {

inline double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// One time step of one stream for one layer, by the textbook equations in oneDNN's gate order
// (recurrent_layer.h): w_ih (G H, I), w_hh (G H, H), bias (Gb H). Updates h (H) and, for the LSTM,
// c (H).
inline void cell_step(Cell cell, const double* w_ih, const double* w_hh, const double* b,
                      const double* x, int I, int H, double* h, double* c) {
  const int G = cell_gates(cell);
  std::vector<double> zx(size_t(G) * H), zh(size_t(G) * H);  // input and recurrent parts
  for (int row = 0; row < G * H; ++row) {
    double sx = 0, sh = 0;
    for (int i = 0; i < I; ++i) sx += w_ih[size_t(row) * I + i] * x[i];
    for (int k = 0; k < H; ++k) sh += w_hh[size_t(row) * H + k] * h[k];
    zx[size_t(row)] = sx;
    zh[size_t(row)] = sh;
  }
  std::vector<double> hn(static_cast<size_t>(H));
  for (int j = 0; j < H; ++j) {
    auto z = [&](int g) { return zx[size_t(g * H + j)] + zh[size_t(g * H + j)] + b[g * H + j]; };
    if (cell == Cell::lstm) {
      c[j] = sigmoid(z(1)) * c[j] + sigmoid(z(0)) * std::tanh(z(2));
      hn[size_t(j)] = sigmoid(z(3)) * std::tanh(c[j]);
    } else if (cell == Cell::gru) {  // u, r, o; the reset gate multiplies U_o h + b_u'
      const double u = sigmoid(z(0)), r = sigmoid(z(1));
      const double o = std::tanh(zx[size_t(2 * H + j)] + b[2 * H + j] +
                                 r * (zh[size_t(2 * H + j)] + b[3 * H + j]));
      hn[size_t(j)] = u * h[j] + (1 - u) * o;
    } else {
      hn[size_t(j)] = std::tanh(z(0));
    }
  }
  std::copy(hn.begin(), hn.end(), h);
}

struct ReferenceOut {
  double loss = 0;                // summed nats over targets >= 0
  std::vector<double> logits_mv;  // (T*N, V)
  std::vector<double> hT_lnh;     // (L, N, H) final hidden state
  std::vector<double> cT_lnh;     // (L, N, H) final cell state (LSTM)
};

// h0/c0 (L, N, H) may be empty (zeros). `masks` (L-1 of (T*N, H)), when given, multiply the
// outputs of every layer but the last: dropout with fixed masks.
inline ReferenceOut reference_forward(const ModelConfig& c, const std::vector<double>& p, int T,
                                      int N, const int32_t* x_tn, const int32_t* y_tn,
                                      std::vector<double> h_lnh = {},
                                      std::vector<double> c_lnh = {},
                                      const std::vector<std::vector<float>>* masks = nullptr) {
  const int V = c.vocab, E = c.embed, H = c.hidden, L = c.layers;
  auto ts = parameter_tensors(c);
  size_t at = 1;  // tensor index: embedding first, then per layer w_ih, w_hh, b
  const double* emb = p.data() + ts[0].offset;
  if (h_lnh.empty()) h_lnh.assign(size_t(L) * N * H, 0.0);
  if (c_lnh.empty()) c_lnh.assign(size_t(L) * N * H, 0.0);
  // in_tni: input of the current layer, (T, N, I)
  std::vector<double> in(size_t(T) * N * E);
  for (int m = 0; m < T * N; ++m)
    for (int e = 0; e < E; ++e) in[size_t(m) * E + e] = emb[size_t(x_tn[m]) * E + e];
  int I = E;
  for (int l = 0; l < L; ++l) {
    const double* w_ih = p.data() + ts[at].offset;
    const double* w_hh = p.data() + ts[at + 1].offset;
    const double* b = p.data() + ts[at + 2].offset;
    at += 3;
    std::vector<double> out(size_t(T) * N * H);
    double* h = &h_lnh[size_t(l) * N * H];
    double* cc = &c_lnh[size_t(l) * N * H];
    for (int t = 0; t < T; ++t)
      for (int n = 0; n < N; ++n) {
        cell_step(c.cell, w_ih, w_hh, b, &in[(size_t(t) * N + n) * I], I, H, h + size_t(n) * H,
                  cc + size_t(n) * H);
        std::copy(h + size_t(n) * H, h + size_t(n + 1) * H,
                  out.begin() + long((size_t(t) * N + n) * H));
      }
    if (masks && size_t(l) < masks->size())  // L-1 masks: between layers; L: also the output
      for (size_t k = 0; k < out.size(); ++k) out[k] *= double((*masks)[size_t(l)][k]);
    in = std::move(out);
    I = H;
  }
  const double* hw = p.data() + ts[at].offset;
  const double* hb = p.data() + ts[at + 1].offset;
  ReferenceOut r;
  r.logits_mv.assign(size_t(T) * N * V, 0.0);
  for (int m = 0; m < T * N; ++m) {
    double* z = &r.logits_mv[size_t(m) * V];
    for (int v = 0; v < V; ++v) {
      double s = hb[v];
      for (int k = 0; k < H; ++k) s += hw[size_t(v) * H + k] * in[size_t(m) * H + k];
      z[v] = s;
    }
    if (!y_tn || y_tn[m] < 0) continue;
    double mx = z[0];
    for (int v = 1; v < V; ++v) mx = std::max(mx, z[v]);
    double sum = 0;
    for (int v = 0; v < V; ++v) sum += std::exp(z[v] - mx);
    r.loss += mx + std::log(sum) - z[y_tn[m]];
  }
  r.hT_lnh = std::move(h_lnh);
  r.cT_lnh = std::move(c_lnh);
  return r;
}

}  // namespace charrnn::testing
