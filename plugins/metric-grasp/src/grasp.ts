/**
 * GraSP (Wang et al., "Picking winning tickets before training by preserving
 * gradient flow", ICLR 2020) as the zero-cost proxy of Abdelfattah et al.
 * (ICLR 2021; compute_grasp_per_weight summed over layers):
 *
 *   grasp(a) = - sum over conv and linear kernels W of sum W * (H g)_W
 *
 * g = dL/dW for every kernel, H the Hessian of L with respect to the kernels,
 * L the mean cross-entropy of the child on one batch with batch norm in
 * training mode. The reference takes Hg by double backpropagation; tfjs has
 * no second-order gradients for convolutions, so Hg is the central difference
 *
 *   Hg = (dL/dW(W + eps g) - dL/dW(W - eps g)) / (2 eps),  eps = step * |W| / |g|,
 *
 * with every ReLU held at its pattern at W (a forward probe replaces relu(x)
 * by x * [x_W > 0]): autograd's Hessian treats ReLU as linear around W, and
 * without the frozen pattern the ReLUs that flip within +-eps would add terms
 * it does not have. What remains is the O(eps^2) error of the difference and
 * float32 rounding (see the plugin's test for the size of both). Products and
 * sums in float64. Known limit: on deep children (NB201 at C=16, N=5) the
 * difference can be far off the double-backward value (docs/results.md).
 */
import { lossGradients, probeForward, readTensors, tf } from '@absnas/core';
import type { ActivationKind, Batch, ForwardProbe, ProxyChild, WeightSnapshot } from '@absnas/core';

/** Relative size of the finite-difference step: |eps g| = GRASP_STEP * |W|. */
export const GRASP_STEP = 1e-4;

interface Pattern {
  /** 1 where the activation is in its linear part (relu: x > 0; relu6: 0 < x < 6). */
  linear: tf.Tensor;
  /** relu6 only: 1 where it is clipped at 6. */
  clipped?: tf.Tensor;
}

function patternOf(x: tf.Tensor, kind: ActivationKind): Pattern {
  return tf.tidy(() =>
    kind === 'relu'
      ? { linear: tf.keep(tf.cast(tf.greater(x, 0), 'float32')) }
      : {
          linear: tf.keep(tf.cast(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)), 'float32')),
          clipped: tf.keep(tf.cast(tf.greaterEqual(x, 6), 'float32')),
        },
  );
}

function norm(values: Iterable<Float32Array>): number {
  let s = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

export async function graspScore(child: ProxyChild, batch: Batch, step = GRASP_STEP): Promise<number> {
  const names = child.kernels;
  if (names.length === 0) return 0;
  const store = child.store;
  const weights = await readTensors(names.map((name) => [name, store.get(name)]));
  const patterns: Pattern[] = [];
  const record: ForwardProbe = {
    activation(input, site) {
      patterns.push(patternOf(input, site.kind));
    },
  };
  const frozen: ForwardProbe = {
    activation(input, site) {
      const p = patterns[site.index];
      if (!p || p.linear.size !== input.size) throw new Error('grasp: the perturbed pass ran different activations than the first');
      const linear = tf.mul(input, p.linear);
      return p.clipped ? tf.add(linear, tf.mul(p.clipped, 6)) : linear;
    },
  };
  try {
    const g = await lossGradients(child, batch, names, (loss) => probeForward(record, loss));
    const gNorm = norm(g.values());
    if (!(gNorm > 0)) return 0;
    const eps = (step * norm(weights.values())) / gNorm;
    const gradientAt = async (sign: number): Promise<WeightSnapshot> => {
      store.load(new Map(names.map((name) => {
        const w = weights.get(name)!;
        const d = g.get(name)!;
        return [name, Float32Array.from(w, (v, i) => v + sign * eps * d[i])];
      })));
      return lossGradients(child, batch, names, (loss) => probeForward(frozen, loss));
    };
    const plus = await gradientAt(1);
    const minus = await gradientAt(-1);
    let total = 0;
    for (const name of names) {
      const w = weights.get(name)!;
      const a = plus.get(name)!;
      const b = minus.get(name)!;
      for (let i = 0; i < w.length; i++) total -= (w[i] * (a[i] - b[i])) / (2 * eps);
    }
    return total;
  } finally {
    store.load(weights);
    for (const p of patterns) {
      p.linear.dispose();
      p.clipped?.dispose();
    }
  }
}
