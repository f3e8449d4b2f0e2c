/**
 * GraSP (Wang et al., "Picking winning tickets before training by preserving
 * gradient flow", ICLR 2020) as the zero-cost proxy of Abdelfattah et al.
 * (ICLR 2021; compute_grasp_per_weight summed over layers):
 *
 *   grasp(a) = - sum over conv and linear kernels W of sum W * (H g)_W
 *
 * g = dL/dW for every kernel, H the Hessian of L with respect to the kernels,
 * L the mean cross-entropy of the child on one batch with batch norm in
 * training mode. As in the reference, Hg is exact: the gradient of g . dL/dW
 * with g held constant (double backpropagation, lossHessianVectorProduct),
 * on a second forward pass over the same batch. Products and sums in float64.
 */
import { lossGradients, lossHessianVectorProduct, readTensors } from '@absnas/core';
import type { Batch, ProxyChild } from '@absnas/core';

export async function graspScore(child: ProxyChild, batch: Batch): Promise<number> {
  const names = child.kernels;
  if (names.length === 0) return 0;
  const weights = await readTensors(names.map((name) => [name, child.store.get(name)]));
  const g = await lossGradients(child, batch, names);
  const hg = await lossHessianVectorProduct(child, batch, names, g);
  let total = 0;
  for (const name of names) {
    const w = weights.get(name)!;
    const h = hg.get(name)!;
    for (let i = 0; i < w.length; i++) total -= w[i] * h[i];
  }
  return total;
}
