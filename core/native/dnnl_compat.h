// The few oneDNN calls whose form changed between the 2.x API (Debian 12,
// Ubuntu 22.04: 2.6-2.7) and the 3.x API (Debian 13, current Ubuntu): 3.x
// dropped the operation descriptors (convolution_forward::desc ...) and takes
// the engine and the parameters in the primitive_desc constructors instead.
// Everything else these kernels use is the same in both.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#ifndef DNNL_VERSION_MAJOR
#include <oneapi/dnnl/dnnl_version.h>
#endif

namespace absnas {
namespace dnnl_compat {

using dnnl::memory;

struct ConvGeometry {
  memory::dims strides, dilates, pad_l, pad_r;
};

inline dnnl::convolution_forward::primitive_desc conv_forward(const dnnl::engine& eng, const memory::desc& src,
                                                              const memory::desc& wei, const memory::desc& dst,
                                                              const ConvGeometry& g, const dnnl::primitive_attr& attr) {
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_forward::primitive_desc(eng, dnnl::prop_kind::forward_training,
                                                   dnnl::algorithm::convolution_direct, src, wei, dst, g.strides,
                                                   g.dilates, g.pad_l, g.pad_r, attr);
#else
  auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                              src, wei, dst, g.strides, g.dilates, g.pad_l, g.pad_r);
  return dnnl::convolution_forward::primitive_desc(desc, attr, eng);
#endif
}

inline dnnl::convolution_backward_data::primitive_desc conv_backward_data(
    const dnnl::engine& eng, const memory::desc& diff_src, const memory::desc& wei, const memory::desc& diff_dst,
    const ConvGeometry& g, const dnnl::convolution_forward::primitive_desc& hint, const dnnl::primitive_attr& attr) {
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_data::primitive_desc(eng, dnnl::algorithm::convolution_direct, diff_src, wei,
                                                         diff_dst, g.strides, g.dilates, g.pad_l, g.pad_r, hint, attr);
#else
  auto desc = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, diff_src, wei, diff_dst,
                                                    g.strides, g.dilates, g.pad_l, g.pad_r);
  return dnnl::convolution_backward_data::primitive_desc(desc, attr, eng, hint);
#endif
}

inline dnnl::convolution_backward_weights::primitive_desc conv_backward_weights(
    const dnnl::engine& eng, const memory::desc& src, const memory::desc& diff_wei, const memory::desc& diff_dst,
    const ConvGeometry& g, const dnnl::convolution_forward::primitive_desc& hint, const dnnl::primitive_attr& attr) {
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_weights::primitive_desc(eng, dnnl::algorithm::convolution_direct, src, diff_wei,
                                                            diff_dst, g.strides, g.dilates, g.pad_l, g.pad_r, hint,
                                                            attr);
#else
  auto desc = dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, src, diff_wei, diff_dst,
                                                       g.strides, g.dilates, g.pad_l, g.pad_r);
  return dnnl::convolution_backward_weights::primitive_desc(desc, attr, eng, hint);
#endif
}

// The instruction set oneDNN dispatches to, by name (those both APIs name; newer ones read "unknown").
inline const char* isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse4.1";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
  }
}

}  // namespace dnnl_compat
}  // namespace absnas
