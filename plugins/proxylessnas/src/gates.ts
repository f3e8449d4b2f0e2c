/**
 * ProxylessNAS's binary gates. At a choice point two candidates are sampled
 * from softmax(alpha); their probabilities renormalised over the pair give
 * p; one of the two is active (g = one-hot). The architecture gradient is the
 * BinaryConnect-style estimate
 *     dL/d alpha_i = sum_j dL/dg_j * p_j * (delta_ij - p_i)
 * over the pair (i, j in the pair); the other candidates get no gradient.
 */
export function binaryGateAlphaGrad(dLdg: readonly number[], p: readonly number[]): number[] {
  if (dLdg.length !== p.length) throw new Error(`binary gates: ${dLdg.length} gate gradients for ${p.length} probabilities`);
  return p.map((pi, i) => dLdg.reduce((sum, g, j) => sum + g * p[j] * ((i === j ? 1 : 0) - pi), 0));
}

export function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Two distinct indices drawn without replacement with probabilities `probs` (one if there is one candidate). */
export function samplePair(probs: readonly number[], next: () => number): number[] {
  const draw = (weights: readonly number[]): number => {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  };
  const first = draw(probs);
  if (probs.length === 1) return [first];
  const second = draw(probs.map((p, i) => (i === first ? 0 : p)));
  return [first, second];
}
