// ReLU and the ReLU and ReLU6 gradients in one pass on all cores, instead of
// tfjs's single-threaded ops (the gradients: ReLU step(x), a cast, a
// multiply; ReLU6 less-equal, step, two casts and two multiplies, ~30% of an
// MBConv step).
#include "activation.h"

#include <cstdint>
#include <cstring>

#include "blocks.h"
#include "simd.h"

namespace absnas {

namespace {

constexpr long kParallelFrom = 65536;

// The float's bits as an integer and back (memcpy: no aliasing questions; compiles to register moves).
inline int32_t bits_of(float v) {
  int32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
inline float float_of(int32_t b) {
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// y = x where x's bits as a signed integer are positive, else +0: max(x, 0) as
// tfjs's wasm kernel computes it (an integer max), bit for bit, -0 and NaNs
// included (a NaN with its sign bit clear passes, one with it set gives 0).
ABSNAS_SIMD void relu_block(long n, const float* __restrict x, float* __restrict y) {
  for (long i = 0; i < n; i++) {
    const int32_t b = bits_of(x[i]);
    y[i] = float_of(b > 0 ? b : 0);
  }
}

// dx = dy's bits masked by the test (branch-free: GCC turns dy * (x > 0) into
// a branch, mispredicted on random signs, 5x slower).
ABSNAS_SIMD void relu_gradient_block(long n, const float* __restrict dy, const float* __restrict x, float* __restrict dx) {
  for (long i = 0; i < n; i++) dx[i] = float_of(bits_of(dy[i]) & (0 - int32_t(x[i] > 0.0f)));
}

ABSNAS_SIMD void relu6_gradient_block(long n, const float* __restrict dy, const float* __restrict x, float* __restrict dx) {
  // & rather than &&: both compares vectorise, no branch
  for (long i = 0; i < n; i++) dx[i] = float_of(bits_of(dy[i]) & (0 - int32_t((x[i] > 0.0f) & (x[i] <= 6.0f))));
}

}  // namespace

void relu_forward(long n, const float* x, float* y) {
  each_block(n, kParallelFrom, [&](long begin, long end) { relu_block(end - begin, x + begin, y + begin); });
}

void relu_backward(long n, const float* dy, const float* x, float* dx) {
  each_block(n, kParallelFrom, [&](long begin, long end) { relu_gradient_block(end - begin, dy + begin, x + begin, dx + begin); });
}

void relu6_backward(long n, const float* dy, const float* x, float* dx) {
  each_block(n, kParallelFrom, [&](long begin, long end) { relu6_gradient_block(end - begin, dy + begin, x + begin, dx + begin); });
}

}  // namespace absnas
