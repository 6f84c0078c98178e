// dnnl_util.h — the few oneDNN idioms the layers and the head share: a strided memory
// descriptor, a memory object over a buffer the caller owns, and the "accumulate into dst"
// attribute (a sum post-op, for gradients that add up).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace charrnn {

inline dnnl::memory::desc strided(const dnnl::memory::dims& dims, const dnnl::memory::dims& strides,
                                  dnnl::memory::data_type type = dnnl::memory::data_type::f32) {
  return dnnl::memory::desc(dims, type, strides);
}

// oneDNN takes a non-const handle even for inputs; it never writes through one.
inline dnnl::memory view(const dnnl::memory::desc& d, const dnnl::engine& eng, const void* p) {
  return dnnl::memory(d, eng, const_cast<void*>(p));
}

// dst += result with accumulate, dst = result without.
inline dnnl::primitive_attr accumulate_attr(bool accumulate = true) {
  dnnl::primitive_attr attr;
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  return attr;
}

}  // namespace charrnn
