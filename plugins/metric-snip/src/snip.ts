/**
 * SNIP (Lee et al., "SNIP: Single-shot network pruning based on connection
 * sensitivity", ICLR 2019) as the zero-cost proxy of Abdelfattah et al.
 * (ICLR 2021; compute_snip_per_weight summed over layers):
 *
 *   snip(a) = sum over conv and linear kernels W of sum | W * dL/dW |
 *
 * (their gradient with respect to a mask of ones on W, which is W * dL/dW).
 * L: the mean cross-entropy of the child on one batch, batch norm in training
 * mode. Products and sum in float64.
 */
import { lossGradients, readTensors } from '@absnas/core';
import type { Batch, ProxyChild } from '@absnas/core';

export async function snipScore(child: ProxyChild, batch: Batch): Promise<number> {
  const weights = await readTensors(child.kernels.map((name) => [name, child.store.get(name)]));
  const grads = await lossGradients(child, batch, child.kernels);
  let total = 0;
  for (const [name, g] of grads) {
    const w = weights.get(name)!;
    for (let i = 0; i < g.length; i++) total += Math.abs(w[i] * g[i]);
  }
  return total;
}
