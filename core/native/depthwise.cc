// The filter gradient of a depthwise convolution (channel multiplier 1), in
// absnas's own loops: oneDNN 2.x runs it with its generic grouped-convolution
// code for 5x5 filters (`jit:avx512_core`, ~8 GFLOP/s: 16 ms of an MBConv
// block's 144-channel 16x16 layer on one thread; bench/native-kernels.js), and, as every filter
// gradient through oneDNN, only in fixed batch parts here (convolution.cc).
//
// NHWC makes it simple: for each output position and tap, the input pixel
// and dy are two contiguous runs of c values, so the loop multiplies and adds
// across channels, vectorised (simd.h), into a [kh, kw, c] accumulator that
// stays in L1. The batch is cut into 16 chunks whatever the thread count or
// the machine (each accumulates its own sums, added in chunk order), so the
// result follows neither the load nor the core count.
#include "depthwise.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "simd.h"

namespace absnas {
namespace {

constexpr int kChunks = 16;

// acc [kh, kw, c] += the taps of images [n0, n1).
ABSNAS_SIMD void accumulate_images(const ConvDims& d, const float* __restrict x, const float* __restrict dy, int n0, int n1,
                                   float* __restrict acc) {
  const long c = d.ic;
  for (int n = n0; n < n1; n++) {
    const float* xn = x + long(n) * d.ih * d.iw * c;
    const float* dyn = dy + long(n) * d.oh * d.ow * c;
    for (int oh = 0; oh < d.oh; oh++) {
      for (int kh = 0; kh < d.kh; kh++) {
        const int ih = oh * d.sh - d.pt + kh * d.dh;
        if (ih < 0 || ih >= d.ih) continue;
        for (int ow = 0; ow < d.ow; ow++) {
          const float* g = dyn + (long(oh) * d.ow + ow) * c;
          for (int kw = 0; kw < d.kw; kw++) {
            const int iw = ow * d.sw - d.pl + kw * d.dw;
            if (iw < 0 || iw >= d.iw) continue;
            const float* v = xn + (long(ih) * d.iw + iw) * c;
            float* a = acc + (long(kh) * d.kw + kw) * c;
            for (long k = 0; k < c; k++) a[k] += v[k] * g[k];
          }
        }
      }
    }
  }
}

}  // namespace

void depthwise_filter_gradient(const ConvDims& d, const float* x, const float* dy, float* dw) {
  const long taps = long(d.kh) * d.kw * d.ic;
  const int chunks = std::max(1, std::min(kChunks, d.n));
  std::vector<float> partial(size_t(chunks) * taps, 0.0f);
#pragma omp parallel for schedule(static)
  for (int j = 0; j < chunks; j++) {
    accumulate_images(d, x, dy, int(long(d.n) * j / chunks), int(long(d.n) * (j + 1) / chunks), partial.data() + j * taps);
  }
  std::copy(partial.begin(), partial.begin() + taps, dw);
  for (int j = 1; j < chunks; j++) {
    const float* p = partial.data() + j * taps;
    for (long k = 0; k < taps; k++) dw[k] += p[k];
  }
}

}  // namespace absnas
