/**
 * NASWOT (Mellor et al., "Neural Architecture Search without Training",
 * ICML 2021): for a batch of N images, every ReLU unit of the network gives
 * each image a binary code c (input > 0); the kernel
 *
 *   K_H[i][j] = N_A - d_H(c_i, c_j) = sum over units of c_i c_j + (1 - c_i)(1 - c_j)
 *
 * (N_A units, d_H the Hamming distance) scores the network as log |det K_H|.
 * As the reference code: batch norm in training mode, one forward pass;
 * -Infinity when K_H is singular (two images with the same code everywhere).
 * The codes come from a forward probe on core's relu/relu6 (the reference
 * hooks the ReLU modules); each activation's contribution 2 C C^T - r 1^T -
 * 1 r^T + D (r: row sums, D: units) is exact in float32 below 2^24 units
 * and accumulated in float64, and the determinant is taken in float64.
 */
import { PluginError, probeForward, tf } from '@absnas/core';
import type { Batch, ForwardProbe, ProxyChild } from '@absnas/core';

/** Units of one activation above which float32 sums of codes stop being exact integers. */
const EXACT_UNITS = 2 ** 23;

/** log |det A| of a square float64 matrix (row-major), by LU with partial pivoting; -Infinity when singular. */
export function logAbsDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let log = 0;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[pivot * n + col])) pivot = r;
    const p = m[pivot * n + col];
    if (p === 0) return -Infinity;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        const t = m[col * n + c];
        m[col * n + c] = m[pivot * n + c];
        m[pivot * n + c] = t;
      }
    }
    log += Math.log(Math.abs(p));
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / p;
      if (f === 0) continue;
      for (let c = col + 1; c < n; c++) m[r * n + c] -= f * m[col * n + c];
    }
  }
  return log;
}

/** The kernel K_H of the child on the batch: float64, row-major [n, n]; and how many activations it saw. */
export async function reluCodeKernel(child: ProxyChild, batch: Batch): Promise<{ kernel: Float64Array; activations: number }> {
  const n = batch.size;
  const parts: tf.Tensor[] = [];
  const probe: ForwardProbe = {
    activation(input) {
      const units = input.size / n;
      if (units >= EXACT_UNITS) throw new Error(`naswot: an activation of ${units} units per image is too large to count exactly`);
      parts.push(
        tf.keep(
          tf.tidy(() => {
            const codes = tf.cast(tf.greater(tf.reshape(input, [n, units]), 0), 'float32') as tf.Tensor2D;
            const rows = tf.sum(codes, 1);
            // an explicit transpose: matMul's transposeB path is several times slower on wasm
            const same = tf.mul(tf.matMul(codes, tf.transpose(codes)), 2);
            return tf.add(tf.sub(tf.sub(same, tf.reshape(rows, [n, 1])), tf.reshape(rows, [1, n])), units);
          }),
        ),
      );
      // nothing returned: the activation itself is unchanged
    },
  };
  try {
    tf.tidy(() => {
      probeForward(probe, () => child.forward(batch.x, 'train'));
    });
    const values = await Promise.all(parts.map((t) => t.data()));
    const kernel = new Float64Array(n * n);
    for (const v of values) for (let i = 0; i < kernel.length; i++) kernel[i] += v[i];
    return { kernel, activations: parts.length };
  } finally {
    parts.forEach((t) => t.dispose());
  }
}

export async function naswotScore(child: ProxyChild, batch: Batch, spaceName: string): Promise<number> {
  const { kernel, activations } = await reluCodeKernel(child, batch);
  if (activations === 0) {
    throw new PluginError(
      `naswot: the network of space '${spaceName}' ran no relu/relu6 of @absnas/core, so its activation codes cannot be seen ` +
        '(a space builds its activations with those functions; see docs/api.md, "Forward probes")',
    );
  }
  return logAbsDet(kernel, batch.size);
}
