/**
 * grad_norm, the zero-cost proxy of Abdelfattah et al. ("Zero-Cost Proxies
 * for Lightweight NAS", ICLR 2021; get_grad_norm_arr summed over layers):
 *
 *   grad_norm(a) = sum over conv and linear kernels W of || dL/dW ||_2
 *
 * L: the mean cross-entropy of the child on one batch, batch norm in training
 * mode. A sum of per-layer Frobenius norms, not the norm of the whole
 * gradient. Each norm and the sum in float64.
 */
import { lossGradients } from '@absnas/core';
import type { Batch, ProxyChild } from '@absnas/core';

export async function gradNormScore(child: ProxyChild, batch: Batch): Promise<number> {
  const grads = await lossGradients(child, batch, child.kernels);
  let total = 0;
  for (const g of grads.values()) {
    let squares = 0;
    for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
    total += Math.sqrt(squares);
  }
  return total;
}
