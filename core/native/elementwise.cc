// Adds and multiplies, broadcasting or not, and AddN, on all cores (tfjs's
// wasm kernels run on one thread, and take a slow path when an operand
// broadcasts). Each output element is the same float32 operation as there
// (AddN sums its inputs in order, as tfjs does), so the results are bitwise
// those of the wasm kernels; only the work is split (blocks.h).
#include "elementwise.h"

#include "blocks.h"
#include "simd.h"

namespace absnas {
namespace {

// Below this many elements one thread is faster than waking another.
constexpr long kParallelFrom = 32768;

// The loops of each pattern and operation, vectorised (simd.h):
//   same:     out[i] = a[i] op b[i]
//   scalar:   out[i] = a[i] op s
//   rows:     b repeats every `mid` elements (a per-channel vector): rows [r0, r1)
//   runs:     each b value covers `inner` consecutive elements (a per-position map): runs [r0, r1)
#define ABSNAS_BINARY_LOOPS(NAME, OP)                                                                           \
  ABSNAS_SIMD void NAME##_same(long n, const float* __restrict a, const float* __restrict b, float* __restrict out) { \
    for (long i = 0; i < n; i++) out[i] = a[i] OP b[i];                                                         \
  }                                                                                                             \
  ABSNAS_SIMD void NAME##_scalar(long n, const float* __restrict a, float s, float* __restrict out) {            \
    for (long i = 0; i < n; i++) out[i] = a[i] OP s;                                                            \
  }                                                                                                             \
  ABSNAS_SIMD void NAME##_rows(long r0, long r1, long mid, const float* __restrict a, const float* __restrict b,  \
                               float* __restrict out) {                                                         \
    for (long r = r0; r < r1; r++)                                                                              \
      for (long k = 0; k < mid; k++) out[r * mid + k] = a[r * mid + k] OP b[k];                                  \
  }                                                                                                             \
  ABSNAS_SIMD void NAME##_runs(long r0, long r1, long mid, long inner, const float* __restrict a,                \
                               const float* __restrict b, float* __restrict out) {                              \
    for (long r = r0; r < r1; r++) {                                                                            \
      const float s = b[r % mid];                                                                               \
      for (long k = 0; k < inner; k++) out[r * inner + k] = a[r * inner + k] OP s;                               \
    }                                                                                                           \
  }
ABSNAS_BINARY_LOOPS(add, +)
ABSNAS_BINARY_LOOPS(multiply, *)
#undef ABSNAS_BINARY_LOOPS

ABSNAS_SIMD void accumulate(long n, const float* __restrict a, float* __restrict out) {
  for (long i = 0; i < n; i++) out[i] += a[i];
}

struct Loops {
  void (*same)(long, const float*, const float*, float*);
  void (*scalar)(long, const float*, float, float*);
  void (*rows)(long, long, long, const float*, const float*, float*);
  void (*runs)(long, long, long, long, const float*, const float*, float*);
};

}  // namespace

void binary(Binary op, long n, const float* a, const float* b, long mid, long inner, float* out) {
  const Loops loops = op == Binary::kAdd ? Loops{add_same, add_scalar, add_rows, add_runs}
                                         : Loops{multiply_same, multiply_scalar, multiply_rows, multiply_runs};
  if (mid == n) {
    each_block(n, kParallelFrom, [&](long i0, long i1) { loops.same(i1 - i0, a + i0, b + i0, out + i0); });
  } else if (mid == 1) {
    each_block(n, kParallelFrom, [&](long i0, long i1) { loops.scalar(i1 - i0, a + i0, b[0], out + i0); });
  } else if (inner == 1) {
    const long rows = n / mid;  // whole rows per thread
    const long from = kParallelFrom / mid + 1;
    each_block(rows, from, [&](long r0, long r1) { loops.rows(r0, r1, mid, a, b, out); });
  } else {
    const long runs = n / inner;
    const long from = kParallelFrom / inner + 1;
    each_block(runs, from, [&](long r0, long r1) { loops.runs(r0, r1, mid, inner, a, b, out); });
  }
}

void add_n(int count, const float* const* inputs, long n, float* out) {
  each_block(n, kParallelFrom, [&](long i0, long i1) {
    add_same(i1 - i0, inputs[0] + i0, inputs[1] + i0, out + i0);
    for (int k = 2; k < count; k++) accumulate(i1 - i0, inputs[k] + i0, out + i0);
  });
}

}  // namespace absnas
