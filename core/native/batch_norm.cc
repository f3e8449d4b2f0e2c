// Batch normalisation with batch statistics, NHWC float32, both cores.
//
// The tensor is seen as [rows, c]. Each OpenMP thread accumulates its block of
// rows into its own per-channel double sums; the sums are added in thread
// order, so a result depends only on the thread count. The inner loops run
// over channels and vectorise.
#include "batch_norm.h"

#include <omp.h>

#include <cmath>
#include <vector>

namespace absnas {
namespace {

// Per-thread partial sums [threads][c], added up in thread order into out.
class ChannelSums {
 public:
  ChannelSums(int threads, int c, int lanes) : c_(c), lanes_(lanes), sums_(size_t(threads) * lanes * c, 0.0) {}
  double* of(int thread, int lane) { return &sums_[(size_t(thread) * lanes_ + lane) * c_]; }
  void total(int threads, int lane, double* out) const {
    for (int k = 0; k < c_; k++) out[k] = 0.0;
    for (int t = 0; t < threads; t++) {
      const double* s = &sums_[(size_t(t) * lanes_ + lane) * c_];
      for (int k = 0; k < c_; k++) out[k] += s[k];
    }
  }

 private:
  int c_, lanes_;
  std::vector<double> sums_;
};

// Rows [begin, end) of this thread's share.
void share(long rows, long* begin, long* end) {
  const int t = omp_get_thread_num(), n = omp_get_num_threads();
  *begin = rows * t / n;
  *end = rows * (t + 1) / n;
}

}  // namespace

void batch_norm_forward(long rows, int c, const float* x, const float* gamma, const float* beta, float eps, float* y,
                        float* mean, float* variance, float* inv_std) {
  const int threads = omp_get_max_threads();
  ChannelSums sums(threads, c, 1);
  std::vector<double> m(c), v(c);
  std::vector<float> mf(c), scale(c), shift(c);
#pragma omp parallel num_threads(threads)
  {
    long r0, r1;
    share(rows, &r0, &r1);
    double* s = sums.of(omp_get_thread_num(), 0);
    for (long r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      for (int k = 0; k < c; k++) s[k] += xr[k];
    }
#pragma omp barrier
#pragma omp single
    {
      sums.total(threads, 0, m.data());
      for (int k = 0; k < c; k++) {
        m[k] /= double(rows);
        mf[k] = float(m[k]);
      }
    }
    for (int k = 0; k < c; k++) s[k] = 0.0;
    for (long r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      for (int k = 0; k < c; k++) {
        const double d = double(xr[k]) - m[k];
        s[k] += d * d;
      }
    }
#pragma omp barrier
#pragma omp single
    {
      sums.total(threads, 0, v.data());
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
    for (long r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      float* yr = y + r * c;
      for (int k = 0; k < c; k++) yr[k] = (xr[k] - mf[k]) * scale[k] + shift[k];
    }
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
  const int threads = omp_get_max_threads();
  ChannelSums sums(threads, c, 2);
  std::vector<double> sd(c), sdx(c);
  std::vector<float> a(c), b(c), cst(c);
#pragma omp parallel num_threads(threads)
  {
    long r0, r1;
    share(rows, &r0, &r1);
    double* s0 = sums.of(omp_get_thread_num(), 0);
    double* s1 = sums.of(omp_get_thread_num(), 1);
    for (long r = r0; r < r1; r++) {
      const float* dyr = dy + r * c;
      const float* xr = x + r * c;
      for (int k = 0; k < c; k++) {
        const double g = dyr[k];
        s0[k] += g;
        s1[k] += g * (double(xr[k]) - double(mean[k]));
      }
    }
#pragma omp barrier
#pragma omp single
    {
      sums.total(threads, 0, sd.data());
      sums.total(threads, 1, sdx.data());
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
    for (long r = r0; r < r1; r++) {
      const float* dyr = dy + r * c;
      const float* xr = x + r * c;
      float* dxr = dx + r * c;
      for (int k = 0; k < c; k++) dxr[k] = a[k] * dyr[k] + b[k] * (xr[k] - mean[k]) + cst[k];
    }
  }
}

}  // namespace absnas
