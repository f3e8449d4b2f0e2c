// Convolutions through oneDNN (see convolution.cc).
#pragma once

#include <string>

namespace absnas {

// Geometry of one NHWC convolution; the field order is the one JS passes.
struct ConvDims {
  int n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

// kind 0: forward       a = x [n, ih, iw, ic],  b = filter,                out = y [n, oh, ow, oc]
// kind 1: input grad    a = dy [n, oh, ow, oc], b = filter,                out = dx
// kind 2: filter grad   a = x,                  b = dy,                    out = dW
// filter / dW: [kh, kw, ic, oc], or [kh, kw, ic, oc / ic] when depthwise.
// Throws dnnl::error on a geometry oneDNN refuses.
void convolution(int kind, bool depthwise, const ConvDims& d, const float* a, const float* b, float* out);

// The oneDNN implementation that runs it (e.g. "jit:avx512_core"), for tests and profiles.
std::string convolution_impl(int kind, bool depthwise, const ConvDims& d);

}  // namespace absnas
