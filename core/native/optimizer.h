// The gradient clip and the SGD update of all parameters in one pass (see optimizer.cc).
#pragma once

namespace absnas {

struct SgdSettings {
  float learning_rate, momentum, weight_decay;
  bool nesterov;
  float max_norm;  // <= 0: no clipping
};

// One parameter tensor of the step: its gradient, value and momentum buffer
// (null without momentum), whether weight decay applies, and where the new
// value and buffer go.
struct SgdTensor {
  long size;
  const float* grad;
  const float* param;
  const float* velocity;
  bool decays;
  float* new_param;
  float* new_velocity;
};

// Scales the gradients so that their global L2 norm is at most max_norm and
// applies SGD (momentum, Nesterov, L2 weight decay added to the gradient), in
// float32 with the operations of the separate-op path in the same order:
//   g *= scale; g += p * wd; v' = v * momentum + g; g = nesterov ? g + v' * momentum : v'; p' = p - g * lr
// The norm is summed in double (per tensor, then in tensor order), so the
// clip scale can differ from a float32 sum in the last bit. Returns the scale.
float sgd_step(const SgdSettings& s, SgdTensor* tensors, int count);

}  // namespace absnas
