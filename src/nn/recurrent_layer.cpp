// recurrent_layer.cpp — names and gate counts of the cells and precisions (recurrent_layer.h).
#include "nn/recurrent_layer.h"

#include "charrnn/error.h"

namespace charrnn {

int cell_gates(Cell cell) {
  switch (cell) {
    case Cell::lstm:
      return 4;
    case Cell::gru:
      return 3;
    case Cell::rnn:
      return 1;
  }
  return 0;
}

int cell_bias_gates(Cell cell) {  // lbr_gru: u, r, o, u'
  return cell == Cell::rnn ? 1 : 4;
}

std::string cell_name(Cell cell) {
  switch (cell) {
    case Cell::lstm:
      return "lstm";
    case Cell::gru:
      return "gru";
    case Cell::rnn:
      return "rnn";
  }
  return "?";
}

Cell parse_cell(const std::string& name) {
  for (Cell c : {Cell::lstm, Cell::gru, Cell::rnn})
    if (cell_name(c) == name) return c;
  fail_field("cell", "must be lstm, gru or rnn, got '" + name + "'");
}

std::string dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return "f32";
    case Dtype::bf16:
      return "bf16";
    case Dtype::automatic:
      return "auto";
  }
  return "?";
}

Dtype parse_dtype(const std::string& name) {
  for (Dtype d : {Dtype::f32, Dtype::bf16, Dtype::automatic})
    if (dtype_name(d) == name) return d;
  fail_field("dtype", "must be auto, f32 or bf16, got '" + name + "'");
}

bool cpu_has_bf16() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

bool cpu_has_avx512() {
  using isa = dnnl::cpu_isa;
  const isa have = dnnl::get_effective_cpu_isa();
  return have == isa::avx512_core || have == isa::avx512_core_vnni ||
         have == isa::avx512_core_bf16 || have == isa::avx512_core_amx;
}

bool cpu_has_amx() {
  return dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_amx;
}

}  // namespace charrnn
