// ReLU and activation gradients over float32 tensors (see activation.cc).
#pragma once

namespace absnas {

// y = max(x, 0) bit for bit as tfjs's wasm kernel: +0 for -0 and for NaNs with the sign bit set.
void relu_forward(long n, const float* x, float* y);

// dx = dy where x > 0, else +0: the ReLU gradient from its input or, the same mask, its output
// (as PyTorch's threshold_backward; 0 at x == 0).
void relu_backward(long n, const float* dy, const float* x, float* dx);

// dx = dy where 0 < x <= 6, else +0: the ReLU6 gradient from its input, as tfjs's
// (dy * (x <= 6) * step(x); x == 6 passes, x == 0 does not).
void relu6_backward(long n, const float* dy, const float* x, float* dx);

}  // namespace absnas
