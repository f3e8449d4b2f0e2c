/**
 * The candidate operators of a layer: inverted-residual MBConv blocks named
 * `k<kernel>_e<expansion>` and `identity` (the layer is skipped).
 */

export const IDENTITY = 'identity';

/** The six MBConv candidates, in the reference order (kernel 3, 5, 7; expansion 3, 6). */
export const MBCONV_OPS = ['k3_e3', 'k3_e6', 'k5_e3', 'k5_e6', 'k7_e3', 'k7_e6'] as const;

export type MbconvOp = (typeof MBCONV_OPS)[number];

export interface MbconvSpec {
  kernel: number;
  expansion: number;
}

const OP_PATTERN = /^k(\d+)_e(\d+)$/;

/** Kernel and expansion of an MBConv op name; undefined for identity or an unknown name. */
export function mbconvSpec(op: string): MbconvSpec | undefined {
  const m = OP_PATTERN.exec(op);
  if (!m) return undefined;
  return { kernel: Number(m[1]), expansion: Number(m[2]) };
}

export function isIdentity(op: string): boolean {
  return op === IDENTITY;
}
