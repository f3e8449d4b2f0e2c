// Batch normalisation with batch statistics over NHWC float32 tensors
// (see batch_norm.cc).
#pragma once

namespace absnas {

// x [rows, c] (rows = N*H*W). Writes y = (x - mean) * invStd * gamma + beta
// (gamma, beta may be null: no affine), the per-channel mean, the biased
// variance and invStd = 1 / sqrt(variance + eps). Two passes for the
// statistics (centred variance), accumulated in double.
void batch_norm_forward(long rows, int c, const float* x, const float* gamma, const float* beta, float eps, float* y,
                        float* mean, float* variance, float* inv_std);

// The running statistics' update with this batch's mean and (biased) variance,
// in float32 as the separate ops compute it:
//   running_mean' = running_mean * keep + mean * rate
//   running_var'  = running_var * keep + (variance * unbias) * rate
// (keep = 1 - rate rounded once, as a float32 scalar of 1 - rate; unbias =
// n / (n - 1): the running variance is the unbiased one).
void running_stats_update(int c, const float* mean, const float* variance, const float* running_mean,
                          const float* running_var, float rate, float keep, float unbias, float* new_mean,
                          float* new_var);

// The closed-form gradient: with xhat = (x - mean) * invStd and a = gamma * invStd (invStd without gamma),
//   dx = a * (dy - sum(dy) / rows - xhat * sum(dy * xhat) / rows)
// and the per-channel sums sum_dy (dbeta) and sum_dy_xhat (dgamma).
void batch_norm_backward(long rows, int c, const float* dy, const float* x, const float* mean, const float* inv_std,
                         const float* gamma, float* dx, float* sum_dy, float* sum_dy_xhat);

}  // namespace absnas
