/**
 * synflow (Tanaka et al., "Pruning neural networks without any data by
 * iteratively conserving synaptic flow", NeurIPS 2020), as the zero-cost
 * proxy of Abdelfattah et al. (ICLR 2021) computes it for a whole network
 * (compute_synflow_per_weight with bn=False, summed over layers):
 *
 *   synflow(a) = sum over conv and linear kernels W of sum |W * dR/dW|,
 *   R = sum of the logits of the network with every parameter replaced by
 *       its absolute value and every batch norm removed, on one all-ones image.
 *
 * The reference runs this in float64 because R overflows float32 in deep
 * networks (NB201 reaches ~1e50). Here the pass runs in float32 and, when it
 * overflows, again with the input and the biases scaled by 2^-k and the
 * backward seed by 2^-m: without batch norm and with non-negative weights
 * and inputs, a ReLU network is positively homogeneous in (input, biases), so
 * every value is scaled by an exact power of two and nothing else changes.
 * The per-weight products |W * dR/dW| are then summed in float64 and scaled
 * back. A network that overflows and is not homogeneous (the check compares
 * two scales) is refused rather than scored wrongly.
 */
import { probeForward, readTensors, tf } from '@absnas/core';
import type { ForwardProbe, InputSpec, ProxyChild, WeightSnapshot } from '@absnas/core';

const WITHOUT_BATCH_NORM: ForwardProbe = { batchNorm: 'bypass' };
/** Input scale 2^-PROBE_EXPONENT for measuring R without overflow (R up to ~2^227 is measurable). */
const PROBE_EXPONENT = 100;

interface Pass {
  /** Sum of |W * dR/dW| over the kernels at these scales (float64), or NaN when a value was not finite. */
  sum: number;
}

/** Float64 sum of |w * g| over every kernel; NaN when a gradient is not finite. */
function absProducts(weights: WeightSnapshot, grads: readonly Float32Array[], names: readonly string[]): number {
  let total = 0;
  names.forEach((name, i) => {
    const w = weights.get(name)!;
    const g = grads[i];
    for (let j = 0; j < w.length; j++) total += Math.abs(w[j] * g[j]);
  });
  return total;
}

/**
 * The child's synflow. Changes the child's parameters (to their absolute
 * values); the caller (ProxyRound) puts them back.
 */
export async function synflowScore(child: ProxyChild, input: InputSpec): Promise<number> {
  const { store } = child;
  const variables = child.params.map((name) => store.get(name));
  for (const v of variables) tf.tidy(() => v.assign(tf.abs(v)));
  const absolute = await readTensors(child.params.map((name, i) => [name, variables[i]]));
  const biases = child.params.filter((name) => store.roleOf(name) === 'bias');
  const kernels = child.kernels.map((name) => store.get(name));

  /** Biases set to |b| * scale (they scale with the input for R to scale). */
  const scaleBiases = (scale: number): void => {
    for (const name of biases) tf.tidy(() => store.get(name).assign(tf.mul(tf.tensor(absolute.get(name)!, store.get(name).shape), scale)));
  };
  const ones = (scale: number): tf.Tensor4D => tf.fill([1, input.height, input.width, input.channels], scale) as tf.Tensor4D;

  /** R at input scale 2^-k (forward only). */
  const output = async (k: number): Promise<number> => {
    scaleBiases(2 ** -k);
    const r = tf.tidy(() => probeForward(WITHOUT_BATCH_NORM, () => tf.sum(child.forward(ones(2 ** -k), 'eval'))));
    const [value] = await r.data();
    r.dispose();
    return value;
  };

  /** Sum of |W * dR/dW| with the input scaled by 2^-k and the backward seed by 2^-m. */
  const pass = async (k: number, m: number): Promise<Pass> => {
    if (kernels.length === 0) return { sum: 0 };
    scaleBiases(2 ** -k);
    const grads = tf.tidy(() => {
      const { value, grads: byName } = tf.variableGrads(
        () => probeForward(WITHOUT_BATCH_NORM, () => tf.sum(tf.mul(child.forward(ones(2 ** -k), 'eval'), 2 ** -m))) as tf.Scalar,
        kernels,
      );
      value.dispose();
      return kernels.map((v) => byName[v.name] ?? tf.zerosLike(v));
    });
    const values = (await Promise.all(grads.map((g) => g.data()))) as Float32Array[];
    grads.forEach((g) => g.dispose());
    if (values.some((g) => g.some((x) => !Number.isFinite(x)))) return { sum: NaN };
    return { sum: absProducts(absolute, values, child.kernels) };
  };

  // as defined: one float32 pass at scale 1 (exact for any network that does not overflow)
  const plain = await pass(0, 0);
  if (Number.isFinite(plain.sum)) return plain.sum;

  // overflow: measure R at two small scales, which also checks homogeneity
  const r1 = await output(PROBE_EXPONENT);
  const r2 = await output(PROBE_EXPONENT + 1);
  if (!Number.isFinite(r1) || !(r1 > 0)) {
    throw new Error(`synflow: the network's output exceeds the float32 range even at input scale 2^-${PROBE_EXPONENT}`);
  }
  if (Math.abs(r1 - 2 * r2) > 1e-5 * r1) {
    throw new Error(
      'synflow: the float32 pass overflows and the network without batch norm is not positively homogeneous ' +
        '(R(x/2) != R(x)/2), so it cannot be rescaled exactly',
    );
  }
  // R at scale 1 is 2^(PROBE_EXPONENT + log2 r1): split its exponent between input and backward seed
  const exponent = PROBE_EXPONENT + Math.log2(r1);
  const k = Math.ceil(exponent / 2);
  const m = Math.ceil(exponent / 2);
  const scaled = await pass(k, m);
  if (!Number.isFinite(scaled.sum)) throw new Error(`synflow: the rescaled pass (2^-${k}, 2^-${m}) still overflows`);
  return scaled.sum * 2 ** k * 2 ** m;
}
