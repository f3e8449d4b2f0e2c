// Pooling on all cores, one image (or one row of an image) per OpenMP
// iteration, vectorised over channels.
//
// The max-pool gradient is the loop of absnas's wasm fill-in
// (kernels/max-pool-grad.ts): images write disjoint parts of dx, and within
// an image the additions run in the same order as the fill-in's, so the
// result is bitwise the fill-in's.
#include "pooling.h"

#include <algorithm>
#include <vector>

namespace absnas {

void max_pool_backward_rows(const PoolDims& d, const float* x, const float* dy, float* dx);
bool row_wise(const PoolDims& d);

void max_pool_backward(const PoolDims& d, const float* x, const float* dy, float* dx) {
  if (row_wise(d)) return max_pool_backward_rows(d, x, dy, dx);
  const long image = long(d.h) * d.w * d.c;
  std::fill(dx, dx + image * d.n, 0.0f);
#pragma omp parallel
  {
    // the running maximum of each channel and where it is (an offset in the image)
    std::vector<float> best(d.c);
    std::vector<int> arg(d.c);
#pragma omp for schedule(static)
    for (int b = 0; b < d.n; b++) {
      const float* xb = x + b * image;
      float* dxb = dx + b * image;
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
              const int x0 = (r * d.w + col) * d.c;
              float* __restrict bv = best.data();
              int* __restrict av = arg.data();
              const float* __restrict in = xb + x0;
              if (first) {
                for (int ch = 0; ch < d.c; ch++) {
                  bv[ch] = in[ch];
                  av[ch] = x0 + ch;
                }
                first = false;
                continue;
              }
              // branch-free (selects, no jumps): random data mispredicts half of the branches
              for (int ch = 0; ch < d.c; ch++) {
                const bool greater = in[ch] > bv[ch];
                bv[ch] = greater ? in[ch] : bv[ch];
                av[ch] = greater ? x0 + ch : av[ch];
              }
            }
          }
          if (first) continue;  // a window made of padding only
          const float* g = dy + ((long(b) * d.oh + y) * d.ow + xo) * d.c;
          for (int ch = 0; ch < d.c; ch++) dxb[arg[ch]] += g[ch];
        }
      }
    }
  }
}

namespace {

// The real rows (or columns) [first, last) of window `o` along an axis of `size` cells, with its dilation.
struct Span {
  int first, last, step;
};

Span window(int o, int stride, int pad, int extent, int dilation, int size) {
  const int start = o * stride - pad;
  int first = start;
  while (first < 0) first += dilation;
  const int end = std::min(start + extent, size);
  return {first, end, dilation};
}

int cells(const Span& s) { return s.last > s.first ? (s.last - s.first + s.step - 1) / s.step : 0; }

}  // namespace

namespace {

}  // namespace

// Stride 1 without dilation: an output row is a sum (or maximum) of shifted
// input rows, so the inner loops run over whole rows (ow * c contiguous
// values) instead of one window's c channels at a time.
bool row_wise(const PoolDims& d) { return d.sh == 1 && d.sw == 1 && d.dh == 1 && d.dw == 1; }

namespace {

// For output column xo of a stride-1 row: the window's input columns are
// [xo - left, xo - left + kw) clipped to [0, w). Column offset j of the window
// covers the outputs [lo(j), hi(j)).
struct Columns {
  int lo, hi;
};

Columns columns_for(const PoolDims& d, int j) {
  // input column q = xo - left + j in [0, w)  <=>  xo in [left - j, w + left - j)
  return {std::max(0, d.left - j), std::min(d.ow, d.w + d.left - j)};
}

template <bool kMax>
void pool_rows(const PoolDims& d, const float* x, float* y) {
  const long c = d.c;
  std::vector<int> counts(size_t(d.oh) * d.ow, 0);
  for (int yo = 0; yo < d.oh; yo++) {
    const Span rows = window(yo, 1, d.top, d.kh, 1, d.h);
    for (int xo = 0; xo < d.ow; xo++) counts[size_t(yo) * d.ow + xo] = cells(rows) * cells(window(xo, 1, d.left, d.kw, 1, d.w));
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < d.n; b++) {
    for (int yo = 0; yo < d.oh; yo++) {
      float* __restrict out = y + (long(b) * d.oh + yo) * d.ow * c;
      const Span rows = window(yo, 1, d.top, d.kh, 1, d.h);
      const int* count = &counts[size_t(yo) * d.ow];
      if (kMax) {
        // start every output from its window's first real cell
        for (int xo = 0; xo < d.ow; xo++) {
          const int q = std::max(0, xo - d.left);
          if (rows.first >= rows.last || q >= std::min(d.w, xo - d.left + d.kw)) {
            std::fill(out + xo * c, out + (xo + 1) * c, 0.0f);  // a window of padding only
            continue;
          }
          const float* in = x + ((long(b) * d.h + rows.first) * d.w + q) * c;
          std::copy(in, in + c, out + xo * c);
        }
      } else {
        std::fill(out, out + d.ow * c, 0.0f);
      }
      for (int r = rows.first; r < rows.last; r++) {
        const float* in_row = x + (long(b) * d.h + r) * d.w * c;
        for (int j = 0; j < d.kw; j++) {
          const Columns cols = columns_for(d, j);
          if (cols.lo >= cols.hi) continue;
          const float* __restrict in = in_row + long(cols.lo - d.left + j) * c;
          float* __restrict o = out + long(cols.lo) * c;
          const long len = long(cols.hi - cols.lo) * c;
          if (kMax) {
            for (long k = 0; k < len; k++) o[k] = in[k] > o[k] ? in[k] : o[k];
          } else {
            for (long k = 0; k < len; k++) o[k] += in[k];
          }
        }
      }
      if (!kMax) {
        for (int xo = 0; xo < d.ow; xo++) {
          if (count[xo] == 0) continue;
          const float n = float(count[xo]);
          for (long ch = 0; ch < c; ch++) out[xo * c + ch] /= n;
        }
      }
    }
  }
}

// Any stride and dilation: one window at a time, vectorised over channels.
template <bool kMax>
void pool_windows(const PoolDims& d, const float* x, float* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < d.n; b++) {
    for (int yo = 0; yo < d.oh; yo++) {
      const Span rows = window(yo, d.sh, d.top, d.kh, d.dh, d.h);
      for (int xo = 0; xo < d.ow; xo++) {
        const Span cols = window(xo, d.sw, d.left, d.kw, d.dw, d.w);
        float* out = y + ((long(b) * d.oh + yo) * d.ow + xo) * d.c;
        const int count = cells(rows) * cells(cols);
        if (count == 0) {
          std::fill(out, out + d.c, 0.0f);  // a window of padding only
          continue;
        }
        // the first real cell starts the maximum (or the sum)
        const float* first = x + ((long(b) * d.h + rows.first) * d.w + cols.first) * d.c;
        std::copy(first, first + d.c, out);
        for (int r = rows.first; r < rows.last; r += rows.step) {
          for (int q = cols.first; q < cols.last; q += cols.step) {
            if (r == rows.first && q == cols.first) continue;
            const float* in = x + ((long(b) * d.h + r) * d.w + q) * d.c;
            for (int ch = 0; ch < d.c; ch++) out[ch] = kMax ? (in[ch] > out[ch] ? in[ch] : out[ch]) : out[ch] + in[ch];
          }
        }
        if (!kMax) {
          const float n = float(count);
          for (int ch = 0; ch < d.c; ch++) out[ch] /= n;
        }
      }
    }
  }
}

}  // namespace

void max_pool_forward(const PoolDims& d, const float* x, float* y) {
  if (row_wise(d)) return pool_rows<true>(d, x, y);
  pool_windows<true>(d, x, y);
}

void avg_pool_forward(const PoolDims& d, const float* x, float* y) {
  if (row_wise(d)) return pool_rows<false>(d, x, y);
  pool_windows<false>(d, x, y);
}

void avg_pool_backward(const PoolDims& d, const float* dy, float* dx) {
  // 1 / (real cells) of every output position (the same for all images and channels)
  std::vector<float> counts(size_t(d.oh) * d.ow);
  for (int yo = 0; yo < d.oh; yo++) {
    const int nr = cells(window(yo, d.sh, d.top, d.kh, d.dh, d.h));
    for (int xo = 0; xo < d.ow; xo++) counts[size_t(yo) * d.ow + xo] = float(nr * cells(window(xo, d.sw, d.left, d.kw, d.dw, d.w)));
  }
  const long c = d.c;
  if (row_wise(d)) {
    // dy / count once into a scratch buffer (kernels run one at a time), then
    // each row of dx gathers shifted rows of it
    static std::vector<float> scaled;
    const long out_size = long(d.n) * d.oh * d.ow * c;
    if (long(scaled.size()) < out_size) scaled.resize(out_size);
    std::vector<float> inverse(counts.size());
    for (size_t i = 0; i < counts.size(); i++) inverse[i] = counts[i] > 0 ? 1.0f / counts[i] : 0.0f;
    float* sc = scaled.data();
#pragma omp parallel
    {
#pragma omp for schedule(static)
      for (long p = 0; p < long(d.n) * d.oh * d.ow; p++) {
        const float k = inverse[p % (long(d.oh) * d.ow)];
        for (long ch = 0; ch < c; ch++) sc[p * c + ch] = dy[p * c + ch] * k;
      }
#pragma omp for collapse(2) schedule(static)
      for (int b = 0; b < d.n; b++) {
        for (int r = 0; r < d.h; r++) {
          float* __restrict out = dx + (long(b) * d.h + r) * d.w * c;
          std::fill(out, out + d.w * c, 0.0f);
          // the output rows whose windows hold input row r: yo = r + top - i, i < kh
          for (int i = 0; i < d.kh; i++) {
            const int yo = r + d.top - i;
            if (yo < 0 || yo >= d.oh) continue;
            const float* g = sc + (long(b) * d.oh + yo) * d.ow * c;
            // output column xo's window holds input columns xo - left + j: dx[q] += g[q + left - j]
            for (int j = 0; j < d.kw; j++) {
              const Columns cols = columns_for(d, j);
              if (cols.lo >= cols.hi) continue;
              float* __restrict o = out + long(cols.lo - d.left + j) * c;
              const float* __restrict in = g + long(cols.lo) * c;
              const long len = long(cols.hi - cols.lo) * c;
              for (long k = 0; k < len; k++) o[k] += in[k];
            }
          }
        }
      }
    }
    return;
  }
  // the windows that hold cell i along an axis: o with o*stride - pad + k*dilation = i for some k < extent/dilation
  auto holders = [](int i, int stride, int pad, int extent, int dilation, int outs, std::vector<int>& out) {
    out.clear();
    for (int k = 0; k * dilation < extent; k++) {
      const int at = i + pad - k * dilation;
      if (at < 0 || at % stride != 0) continue;
      const int o = at / stride;
      if (o < outs) out.push_back(o);
    }
    std::sort(out.begin(), out.end());
  };
#pragma omp parallel
  {
    std::vector<int> rows, cols;
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < d.n; b++) {
      for (int r = 0; r < d.h; r++) {
        holders(r, d.sh, d.top, d.kh, d.dh, d.oh, rows);
        for (int q = 0; q < d.w; q++) {
          holders(q, d.sw, d.left, d.kw, d.dw, d.ow, cols);
          float* out = dx + ((long(b) * d.h + r) * d.w + q) * c;
          std::fill(out, out + c, 0.0f);
          for (int yo : rows) {
            for (int xo : cols) {
              const float n = counts[size_t(yo) * d.ow + xo];
              const float* g = dy + ((long(b) * d.oh + yo) * d.ow + xo) * c;
              for (long ch = 0; ch < c; ch++) out[ch] += g[ch] / n;
            }
          }
        }
      }
    }
  }
}

// The max-pool gradient row-wise (stride 1): the argmax of a whole output
// row is updated by shifted input rows, comparing in the order of the
// per-window loop (window rows, then columns; a strictly greater value wins),
// then the row's gradients are scattered in output order: bitwise the same.
void max_pool_backward_rows(const PoolDims& d, const float* x, const float* dy, float* dx) {
  const long c = d.c;
  const long image = long(d.h) * d.w * c;
  std::fill(dx, dx + image * d.n, 0.0f);
#pragma omp parallel
  {
    std::vector<float> best(size_t(d.ow) * c);
    std::vector<int> arg(size_t(d.ow) * c);
    std::vector<char> real(d.ow);
#pragma omp for schedule(static)
    for (int b = 0; b < d.n; b++) {
      const float* xb = x + b * image;
      float* dxb = dx + b * image;
      for (int yo = 0; yo < d.oh; yo++) {
        const Span rows = window(yo, 1, d.top, d.kh, 1, d.h);
        // start each output from its window's first real cell
        for (int xo = 0; xo < d.ow; xo++) {
          const int q = std::max(0, xo - d.left);
          real[xo] = rows.first < rows.last && q < std::min(d.w, xo - d.left + d.kw);
          if (!real[xo]) continue;
          const int x0 = (rows.first * d.w + q) * d.c;
          for (long ch = 0; ch < c; ch++) {
            best[xo * c + ch] = xb[x0 + ch];
            arg[xo * c + ch] = x0 + int(ch);
          }
        }
        for (int r = rows.first; r < rows.last; r++) {
          for (int j = 0; j < d.kw; j++) {
            const Columns cols = columns_for(d, j);
            if (cols.lo >= cols.hi) continue;
            const int base = (r * d.w + cols.lo - d.left + j) * d.c;  // offset of output cols.lo's input
            const float* __restrict in = xb + base;
            float* __restrict bv = best.data() + long(cols.lo) * c;
            int* __restrict av = arg.data() + long(cols.lo) * c;
            const long len = long(cols.hi - cols.lo) * c;
            for (long k = 0; k < len; k++) {
              const bool greater = in[k] > bv[k];
              bv[k] = greater ? in[k] : bv[k];
              av[k] = greater ? base + int(k) : av[k];
            }
          }
        }
        const float* g = dy + (long(b) * d.oh + yo) * d.ow * c;
        for (int xo = 0; xo < d.ow; xo++) {
          if (!real[xo]) continue;
          for (long ch = 0; ch < c; ch++) dxb[arg[xo * c + ch]] += g[xo * c + ch];
        }
      }
    }
  }
}

}  // namespace absnas
