// The filter gradient of a depthwise convolution with one filter per channel
// (see depthwise.cc).
#pragma once

#include "convolution.h"

namespace absnas {

// dW [kh, kw, c] = sum over images and output positions of x (at the tap) * dy,
// for d.ic == d.oc (channel multiplier 1); NHWC x and dy.
void depthwise_filter_gradient(const ConvDims& d, const float* x, const float* dy, float* dw);

}  // namespace absnas
