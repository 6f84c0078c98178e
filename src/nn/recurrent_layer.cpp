// recurrent_layer.cpp — names and gate counts of the cells and precisions (recurrent_layer.h).
#include "nn/recurrent_layer.h"

#include "charrnn/error.h"

namespace charrnn {

int cell_gates(Cell cell) {
  return cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1;
}
int cell_bias_gates(Cell cell) {
  return cell == Cell::rnn ? 1 : 4;
}  // lbr_gru: u, r, o, u'

Cell parse_cell(const std::string& name) {
  if (name == "lstm") return Cell::lstm;
  if (name == "gru") return Cell::gru;
  if (name == "rnn") return Cell::rnn;
  fail_usage("unknown --cell '" + name + "'", "use lstm, gru or rnn");
}

std::string cell_name(Cell cell) {
  return cell == Cell::lstm ? "lstm" : cell == Cell::gru ? "gru" : "rnn";
}

Dtype parse_dtype(const std::string& name) {
  if (name == "f32") return Dtype::f32;
  if (name == "bf16") return Dtype::bf16;
  fail_usage("unknown --dtype '" + name + "'", "use f32 or bf16");
}

std::string dtype_name(Dtype dtype) {
  return dtype == Dtype::bf16 ? "bf16" : "f32";
}

bool cpu_has_bf16() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

bool cpu_has_amx() {
  return dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_amx;
}

}  // namespace charrnn
