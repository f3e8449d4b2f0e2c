// Element-wise adds and multiplies over float32 tensors, on all cores (see elementwise.cc).
#pragma once

namespace absnas {

enum class Binary { kAdd = 0, kMultiply = 1 };

// out[i] = a[i] op b[(i / inner) % mid] for i < n: b broadcast over a's leading
// dimensions (outer) and trailing ones (inner) around the dimensions it
// shares with a (mid values): a scalar (mid = 1), a per-channel vector
// (inner = 1), a per-position map [1, h, w, 1] (inner = channels), or a
// tensor of a's shape (mid = n, inner = 1).
void binary(Binary op, long n, const float* a, const float* b, long mid, long inner, float* out);

// out = ((inputs[0] + inputs[1]) + inputs[2]) + ..., element by element (count >= 2 tensors of n values).
void add_n(int count, const float* const* inputs, long n, float* out);

}  // namespace absnas
