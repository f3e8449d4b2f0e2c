// Pooling and its gradients over NHWC float32 tensors (see pooling.cc).
#pragma once

namespace absnas {

// Geometry of one NHWC max pool; the field order is the one JS passes.
// kh, kw are the effective (dilated) window sizes, dh, dw the dilations.
struct PoolDims {
  int n, h, w, c, oh, ow, sh, sw, dh, dw, kh, kw, top, left;
};

// dx [n, h, w, c] of a max pool, for dy [n, oh, ow, c]: each output routes its
// gradient to the first maximum of its window among the real (non-padding)
// inputs (the first real cell starts the running maximum, whatever its value),
// as tfjs's cpu backend and TensorFlow do. dx is overwritten.
void max_pool_backward(const PoolDims& d, const float* x, const float* dy, float* dx);

// y [n, oh, ow, c]: the maximum of each window's real (non-padding) cells.
void max_pool_forward(const PoolDims& d, const float* x, float* y);

// y: the mean of each window's real cells (padding not counted, as tfjs,
// TensorFlow and PyTorch's count_include_pad=False); a window of padding only gives 0.
void avg_pool_forward(const PoolDims& d, const float* x, float* y);

// dx [n, h, w, c] of avg_pool_forward: each cell gathers dy / (real cells)
// (with stride 1: dy * (1 / real cells)) of every window that holds it. dx is
// overwritten.
void avg_pool_backward(const PoolDims& d, const float* dy, float* dx);

}  // namespace absnas
