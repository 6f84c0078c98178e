// layer_factory.h — the recurrent layer for a cell, precision and mode: our own bf16 LSTM
// (lstm_bf16.h) for bf16 LSTM training, oneDNN's recurrent primitives (dnnl_layer.h) otherwise.
#pragma once

#include <memory>

#include "nn/recurrent_layer.h"

namespace charrnn {

std::unique_ptr<RecurrentLayer> make_recurrent_layer(const dnnl::engine& eng, Cell cell, int T,
                                                     int N, int I, int H, bool training,
                                                     const LstmViews& v, Dtype dtype);

}  // namespace charrnn
