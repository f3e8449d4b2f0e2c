// Broadcasting adds and multiplies on all cores (tfjs's wasm kernels take a
// slow path when an operand broadcasts). Each output element is the same
// float32 operation as there, so the results are bitwise those of the wasm
// kernels; only the work is split (in contiguous blocks, one per thread).
#include "elementwise.h"

#include <omp.h>

namespace absnas {
namespace {

// Below this many elements one thread is faster than waking another.
constexpr long kParallelFrom = 32768;

// Runs body(begin, end) over [0, n) in one contiguous block per thread.
template <typename F>
void blocks(long n, F&& body) {
#pragma omp parallel if (n >= kParallelFrom)
  {
    const int t = omp_get_thread_num(), threads = omp_get_num_threads();
    body(n * t / threads, n * (t + 1) / threads);
  }
}

template <typename Op>
void broadcast(long n, const float* __restrict a, const float* __restrict b, long mid, long inner,
               float* __restrict out, Op op) {
  if (mid == n) {
    blocks(n, [&](long begin, long end) {
      for (long i = begin; i < end; i++) out[i] = op(a[i], b[i]);
    });
  } else if (mid == 1) {
    const float s = b[0];
    blocks(n, [&](long begin, long end) {
      for (long i = begin; i < end; i++) out[i] = op(a[i], s);
    });
  } else if (inner == 1) {
    // b repeats every `mid` elements (a per-channel vector): whole rows per thread
    const long rows = n / mid;
    blocks(rows, [&](long r0, long r1) {
      for (long r = r0; r < r1; r++) {
        const float* ar = a + r * mid;
        float* orow = out + r * mid;
        for (long k = 0; k < mid; k++) orow[k] = op(ar[k], b[k]);
      }
    });
  } else {
    // each b value covers `inner` consecutive elements (a per-position map)
    const long runs = n / inner;
    blocks(runs, [&](long r0, long r1) {
      for (long r = r0; r < r1; r++) {
        const float s = b[r % mid];
        const float* ar = a + r * inner;
        float* orow = out + r * inner;
        for (long k = 0; k < inner; k++) orow[k] = op(ar[k], s);
      }
    });
  }
}

}  // namespace

void binary(Binary op, long n, const float* a, const float* b, long mid, long inner, float* out) {
  switch (op) {
    case Binary::kAdd: broadcast(n, a, b, mid, inner, out, [](float x, float y) { return x + y; }); break;
    case Binary::kMultiply: broadcast(n, a, b, mid, inner, out, [](float x, float y) { return x * y; }); break;
  }
}

}  // namespace absnas
