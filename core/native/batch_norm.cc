// Batch normalisation with batch statistics, NHWC float32, both cores.
//
// The tensor is seen as [rows, c]. The rows are cut into a fixed number of
// chunks, whatever the thread count; each chunk accumulates into its own
// per-channel double sums and the chunk sums are added in chunk order, so a
// result is the same on any number of threads (the thread count follows the
// machine's load, and a run's numbers must not). The inner loops run over
// channels and vectorise.
#include "batch_norm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "simd.h"

namespace absnas {
namespace {

// Per-chunk partial sums [chunks][lanes][c], added up in chunk order.
class ChannelSums {
 public:
  static constexpr long kMaxChunks = 64;
  ChannelSums(long rows, int c, int lanes)
      : rows_(rows), chunks_(std::max(1L, std::min(rows, kMaxChunks))), c_(c), lanes_(lanes),
        sums_(size_t(chunks_) * lanes * c, 0.0) {}
  long chunks() const { return chunks_; }
  // Rows [begin, end) of a chunk.
  void rows_of(long chunk, long* begin, long* end) const {
    *begin = rows_ * chunk / chunks_;
    *end = rows_ * (chunk + 1) / chunks_;
  }
  double* of(long chunk, int lane) { return &sums_[(size_t(chunk) * lanes_ + lane) * c_]; }
  void clear() { std::fill(sums_.begin(), sums_.end(), 0.0); }
  void total(int lane, double* out) const {
    for (int k = 0; k < c_; k++) out[k] = 0.0;
    for (long j = 0; j < chunks_; j++) {
      const double* s = &sums_[(size_t(j) * lanes_ + lane) * c_];
      for (int k = 0; k < c_; k++) out[k] += s[k];
    }
  }

 private:
  long rows_, chunks_;
  int c_, lanes_;
  std::vector<double> sums_;
};

// Rows [begin, end) of this thread's share, for the element-wise passes.
void share(long rows, long* begin, long* end) {
  const int t = omp_get_thread_num(), n = omp_get_num_threads();
  *begin = rows * t / n;
  *end = rows * (t + 1) / n;
}

// Calls body(chunk, first row, end row) for every chunk, the chunks shared
// among the threads of the enclosing parallel region (a barrier follows).
template <typename Body>
void each_chunk(const ChannelSums& sums, Body&& body) {
#pragma omp for schedule(static)
  for (long j = 0; j < sums.chunks(); j++) {
    long r0, r1;
    sums.rows_of(j, &r0, &r1);
    body(j, r0, r1);
  }
}

// The loops over a chunk of rows, each vectorised across channels (simd.h).
ABSNAS_SIMD void add_rows(const float* __restrict x, long r0, long r1, int c, double* __restrict s) {
  for (long r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    for (int k = 0; k < c; k++) s[k] += xr[k];
  }
}

ABSNAS_SIMD void add_squared_deviations(const float* __restrict x, long r0, long r1, int c, const double* __restrict m,
                                        double* __restrict s) {
  for (long r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    for (int k = 0; k < c; k++) {
      const double d = double(xr[k]) - m[k];
      s[k] += d * d;
    }
  }
}

ABSNAS_SIMD void normalize_rows(const float* __restrict x, long r0, long r1, int c, const float* __restrict mean,
                                const float* __restrict scale, const float* __restrict shift, float* __restrict y) {
  for (long r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (int k = 0; k < c; k++) yr[k] = (xr[k] - mean[k]) * scale[k] + shift[k];
  }
}

ABSNAS_SIMD void add_gradient_sums(const float* __restrict dy, const float* __restrict x, long r0, long r1, int c,
                                   const float* __restrict mean, double* __restrict s0, double* __restrict s1) {
  for (long r = r0; r < r1; r++) {
    const float* dyr = dy + r * c;
    const float* xr = x + r * c;
    for (int k = 0; k < c; k++) {
      const double g = dyr[k];
      s0[k] += g;
      s1[k] += g * (double(xr[k]) - double(mean[k]));
    }
  }
}

ABSNAS_SIMD void input_gradient_rows(const float* __restrict dy, const float* __restrict x, long r0, long r1, int c,
                                     const float* __restrict mean, const float* __restrict a, const float* __restrict b,
                                     const float* __restrict cst, float* __restrict dx) {
  for (long r = r0; r < r1; r++) {
    const float* dyr = dy + r * c;
    const float* xr = x + r * c;
    float* dxr = dx + r * c;
    for (int k = 0; k < c; k++) dxr[k] = a[k] * dyr[k] + b[k] * (xr[k] - mean[k]) + cst[k];
  }
}

}  // namespace

void batch_norm_forward(long rows, int c, const float* x, const float* gamma, const float* beta, float eps, float* y,
                        float* mean, float* variance, float* inv_std) {
  ChannelSums sums(rows, c, 1);
  std::vector<double> m(c), v(c);
  std::vector<float> mf(c), scale(c), shift(c);
#pragma omp parallel
  {
    each_chunk(sums, [&](long j, long r0, long r1) { add_rows(x, r0, r1, c, sums.of(j, 0)); });
#pragma omp single
    {
      sums.total(0, m.data());
      for (int k = 0; k < c; k++) {
        m[k] /= double(rows);
        mf[k] = float(m[k]);
      }
      sums.clear();
    }
    each_chunk(sums, [&](long j, long r0, long r1) { add_squared_deviations(x, r0, r1, c, m.data(), sums.of(j, 0)); });
#pragma omp single
    {
      sums.total(0, v.data());
      for (int k = 0; k < c; k++) {
        v[k] /= double(rows);
        const float is = float(1.0 / std::sqrt(v[k] + double(eps)));
        mean[k] = mf[k];
        variance[k] = float(v[k]);
        inv_std[k] = is;
        scale[k] = gamma ? gamma[k] * is : is;
        shift[k] = beta ? beta[k] : 0.0f;
      }
    }
    long r0, r1;
    share(rows, &r0, &r1);
    normalize_rows(x, r0, r1, c, mf.data(), scale.data(), shift.data(), y);
  }
}

void running_stats_update(int c, const float* mean, const float* variance, const float* running_mean,
                          const float* running_var, float rate, float keep, float unbias, float* new_mean,
                          float* new_var) {
  for (int k = 0; k < c; k++) {
    new_mean[k] = running_mean[k] * keep + mean[k] * rate;
    const float unbiased = variance[k] * unbias;
    new_var[k] = running_var[k] * keep + unbiased * rate;
  }
}

void batch_norm_backward(long rows, int c, const float* dy, const float* x, const float* mean, const float* inv_std,
                         const float* gamma, float* dx, float* sum_dy, float* sum_dy_xhat) {
  ChannelSums sums(rows, c, 2);
  std::vector<double> sd(c), sdx(c);
  std::vector<float> a(c), b(c), cst(c);
#pragma omp parallel
  {
    each_chunk(sums, [&](long j, long r0, long r1) { add_gradient_sums(dy, x, r0, r1, c, mean, sums.of(j, 0), sums.of(j, 1)); });
#pragma omp single
    {
      sums.total(0, sd.data());
      sums.total(1, sdx.data());
      for (int k = 0; k < c; k++) {
        const double is = inv_std[k];
        const double ak = gamma ? double(gamma[k]) * is : is;
        sum_dy[k] = float(sd[k]);
        sum_dy_xhat[k] = float(sdx[k] * is);
        // dx = a * dy + b * (x - mean) + cst, with b = -a * invStd^2 * mean(dy * (x - mean)), cst = -a * mean(dy)
        a[k] = float(ak);
        b[k] = float(-ak * is * is * sdx[k] / double(rows));
        cst[k] = float(-ak * sd[k] / double(rows));
      }
    }
    long r0, r1;
    share(rows, &r0, &r1);
    input_gradient_rows(dy, x, r0, r1, c, mean, a.data(), b.data(), cst.data(), dx);
  }
}

}  // namespace absnas
