// layer_factory.cpp — chooses the recurrent layer implementation (layer_factory.h).
#include "nn/layer_factory.h"

#include "nn/dnnl_layer.h"
#include "nn/lstm_bf16.h"

namespace charrnn {

std::unique_ptr<RecurrentLayer> make_recurrent_layer(const dnnl::engine& eng, Cell cell, int T,
                                                     int N, int I, int H, bool training,
                                                     const LstmViews& v, Dtype dtype) {
  if (cell == Cell::lstm && dtype == Dtype::bf16 && training)
    return std::make_unique<Bf16LstmLayer>(eng, T, N, I, H, v);
  return std::make_unique<DnnlLayer>(eng, cell, T, N, I, H, training, v, dtype);
}

}  // namespace charrnn
