/**
 * Parameters and FLOPs of a standalone child, counted from the shapes alone
 * (no tensors). FLOPs are multiply-accumulates of the convolutions and the
 * classifier, as the reference's FLOPs tables count them (BN, ReLU6, the
 * residual additions and the pooling are not counted). Parameters: conv
 * weights, BN gamma and beta, classifier weight and bias.
 *
 * A layer's shapes do not depend on the other layers' choices (identity only
 * appears where the input and output shapes agree), so a child's cost is the
 * fixed parts plus one table entry per layer.
 */
import { Architecture, ChildCost, InputSpec } from '@absnas/core';
import { MobileNetOptions, Plan, plan, Skeleton, skeleton } from './macro';
import { isIdentity, mbconvSpec } from './ops';

/** MACs and parameters of an MBConv block (expand left out for expansion 1). */
export function mbconvCost(
  cin: number,
  cout: number,
  kernel: number,
  expansion: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): ChildCost {
  const hidden = cin * expansion;
  let flops = 0;
  let params = 0;
  if (expansion !== 1) {
    flops += cin * hidden * inH * inW;
    params += cin * hidden + 2 * hidden;
  }
  flops += kernel * kernel * hidden * outH * outW;
  params += kernel * kernel * hidden + 2 * hidden;
  flops += hidden * cout * outH * outW;
  params += hidden * cout + 2 * cout;
  return { flops, params };
}

export interface CostTable {
  /** Stem, first block, final conv, classifier. */
  fixed: ChildCost;
  /** Per layer, per candidate (identity: zero). */
  layers: Map<string, ChildCost>[];
  skeleton: Skeleton;
  plan: Plan;
}

export function costTable(options: MobileNetOptions, input: InputSpec): CostTable {
  const sk = skeleton(options);
  const p = plan(options, sk, input);
  const fixed: ChildCost = { flops: 0, params: 0 };
  const add = (c: ChildCost): void => {
    fixed.flops += c.flops;
    fixed.params += c.params;
  };
  // stem conv 3x3 + BN
  add({ flops: 9 * input.channels * sk.stem * p.stemH * p.stemW, params: 9 * input.channels * sk.stem + 2 * sk.stem });
  // first block: MBConv k3 e1, stride 1
  add(mbconvCost(sk.stem, sk.first, 3, 1, p.stemH, p.stemW, p.stemH, p.stemW));
  // final 1x1 conv + BN
  const lastIn = sk.layers[sk.layers.length - 1].cout;
  add({ flops: lastIn * sk.last * p.finalH * p.finalW, params: lastIn * sk.last + 2 * sk.last });
  // classifier (weight and bias)
  add({ flops: sk.last * input.numClasses, params: sk.last * input.numClasses + input.numClasses });

  const layers = sk.layers.map((l, i) => {
    const lp = p.layers[i];
    const m = new Map<string, ChildCost>();
    for (const op of l.candidates) {
      const spec = mbconvSpec(op);
      m.set(op, spec ? mbconvCost(l.cin, l.cout, spec.kernel, spec.expansion, lp.inH, lp.inW, lp.outH, lp.outW) : { flops: 0, params: 0 });
    }
    return m;
  });
  return { fixed, layers, skeleton: sk, plan: p };
}

/** Cost of a (validated) child from a table. */
export function childCost(table: CostTable, arch: Architecture): ChildCost {
  let { flops, params } = table.fixed;
  arch.forEach((op, i) => {
    if (isIdentity(op)) return;
    const c = table.layers[i].get(op);
    if (!c) throw new Error(`no cost for '${op}' at layer ${i}`);
    flops += c.flops;
    params += c.params;
  });
  return { flops, params };
}
