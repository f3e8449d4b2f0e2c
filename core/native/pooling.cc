// The max-pool gradient on all cores: the loop of absnas's wasm fill-in
// (kernels/max-pool-grad.ts), one image per OpenMP iteration. Images write
// disjoint parts of dx, and within an image the additions run in the same
// order as the fill-in's, so the result is bitwise the fill-in's.
#include "pooling.h"

#include <algorithm>
#include <vector>

namespace absnas {

void max_pool_backward(const PoolDims& d, const float* x, const float* dy, float* dx) {
  const long image = long(d.h) * d.w * d.c;
  std::fill(dx, dx + image * d.n, 0.0f);
#pragma omp parallel
  {
    std::vector<float> best(d.c);
    std::vector<long> arg(d.c);
#pragma omp for schedule(static)
    for (int b = 0; b < d.n; b++) {
      for (int y = 0; y < d.oh; y++) {
        const int r0 = y * d.sh - d.top;
        for (int xo = 0; xo < d.ow; xo++) {
          const int c0 = xo * d.sw - d.left;
          bool first = true;
          for (int i = 0; i < d.kh; i += d.dh) {
            const int r = r0 + i;
            if (r < 0 || r >= d.h) continue;
            for (int j = 0; j < d.kw; j += d.dw) {
              const int col = c0 + j;
              if (col < 0 || col >= d.w) continue;
              const long x0 = ((long(b) * d.h + r) * d.w + col) * d.c;
              if (first) {
                for (int ch = 0; ch < d.c; ch++) {
                  best[ch] = x[x0 + ch];
                  arg[ch] = x0 + ch;
                }
                first = false;
                continue;
              }
              for (int ch = 0; ch < d.c; ch++) {
                const float v = x[x0 + ch];
                if (v > best[ch]) {
                  best[ch] = v;
                  arg[ch] = x0 + ch;
                }
              }
            }
          }
          if (first) continue;  // a window made of padding only
          const long g0 = ((long(b) * d.oh + y) * d.ow + xo) * d.c;
          for (int ch = 0; ch < d.c; ch++) dx[arg[ch]] += dy[g0 + ch];
        }
      }
    }
  }
}

}  // namespace absnas
