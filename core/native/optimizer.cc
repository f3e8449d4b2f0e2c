// The global-norm gradient clip and the SGD step over all parameters at once:
// one kernel call instead of ~10 tfjs ops per parameter tensor (each with its
// per-op bookkeeping), and one pass over each tensor.
#include "optimizer.h"

#include <omp.h>

#include <cmath>
#include <vector>

namespace absnas {

float sgd_step(const SgdSettings& s, SgdTensor* tensors, int count) {
  float scale = 1.0f;
  if (s.max_norm > 0.0f) {
    std::vector<double> squares(count, 0.0);
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < count; i++) {
      const float* g = tensors[i].grad;
      double sum = 0.0;
      for (long k = 0; k < tensors[i].size; k++) sum += double(g[k]) * double(g[k]);
      squares[i] = sum;
    }
    double total = 0.0;
    for (int i = 0; i < count; i++) total += squares[i];
    // as the separate ops compute it, in float32: min(maxNorm / (norm + 1e-6), 1)
    const float norm = std::sqrt(float(total));
    scale = std::fmin(s.max_norm / (norm + 1e-6f), 1.0f);
  }
  const bool clip = s.max_norm > 0.0f;
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < count; i++) {
    const SgdTensor& t = tensors[i];
    const float* __restrict g = t.grad;
    const float* __restrict p = t.param;
    const float* __restrict v = t.velocity;
    float* __restrict p_out = t.new_param;
    float* __restrict v_out = t.new_velocity;
    const bool decay = t.decays && s.weight_decay > 0.0f;
    for (long k = 0; k < t.size; k++) {
      float d = clip ? g[k] * scale : g[k];
      if (decay) d = d + p[k] * s.weight_decay;
      if (v != nullptr) {
        const float buf = v[k] * s.momentum + d;
        v_out[k] = buf;
        d = s.nesterov ? d + buf * s.momentum : buf;
      }
      p_out[k] = p[k] - d * s.learning_rate;
    }
  }
  return scale;
}

}  // namespace absnas
