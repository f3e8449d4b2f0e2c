/**
 * Parameters and FLOPs of the standalone network built from an architecture
 * (NetworkCIFAR of the DARTS code), counted without building it:
 * - params: every parameter but the auxiliary head's (as DARTS's
 *   count_parameters_in_MB): convs (no bias), BN scale and shift (affine),
 *   the classifier's weight and bias;
 * - FLOPs: multiply-accumulates of the convolutions (k*k*cin/groups*cout per
 *   output pixel; a stride-2 dilated conv at its true stride) and of the
 *   classifier (in*out), per image. BN, ReLU, pooling, additions not counted.
 */
import { Architecture, ChildCost, InputSpec } from '@absnas/core';
import { edgeStride } from './cell';
import { validateArchitecture } from './genotype';
import { macroPlan } from './macro';
import { CONV_KERNEL, EDGES, NUM_EDGES, isDilConv, isSepConv } from './topology';

interface Count {
  params: number;
  flops: number;
}

const conv = (cin: number, cout: number, k: number, outPixels: number, depthwise = false): Count => {
  const weights = k * k * (depthwise ? 1 : cin) * cout;
  return { params: weights, flops: weights * outPixels };
};
const bn = (c: number): Count => ({ params: 2 * c, flops: 0 });
const factorizedReduce = (cin: number, cout: number, outPixels: number): Count[] => [
  conv(cin, cout / 2, 1, outPixels),
  conv(cin, cout / 2, 1, outPixels),
  bn(cout),
];

/** The counts of one operator of `c` channels producing `outPixels` pixels. */
export function opCost(op: string, c: number, stride: number, outPixels: number): Count[] {
  if (isSepConv(op)) {
    const k = CONV_KERNEL[op];
    return [conv(c, c, k, outPixels, true), conv(c, c, 1, outPixels), bn(c), conv(c, c, k, outPixels, true), conv(c, c, 1, outPixels), bn(c)];
  }
  if (isDilConv(op)) {
    const k = CONV_KERNEL[op];
    return [conv(c, c, k, outPixels, true), conv(c, c, 1, outPixels), bn(c)];
  }
  if (op === 'skip_connect' && stride === 2) return factorizedReduce(c, c, outPixels);
  return []; // none, pooling, identity
}

export interface NetworkShape {
  channels: number;
  layers: number;
  stemMultiplier: number;
}

export function dartsCost(arch: Architecture, shape: NetworkShape, input: InputSpec): ChildCost {
  validateArchitecture(arch);
  const plan = macroPlan(shape.channels, shape.layers, shape.stemMultiplier, input);
  const parts: Count[] = [conv(input.channels, plan.stemChannels, 3, input.height * input.width), bn(plan.stemChannels)];
  for (const cell of plan.cells) {
    const pixels = cell.inHeight * cell.inWidth;
    const outPixels = cell.outHeight * cell.outWidth;
    parts.push(...(cell.reductionPrev ? factorizedReduce(cell.cPrevPrev, cell.c, pixels) : [conv(cell.cPrevPrev, cell.c, 1, pixels), bn(cell.c)]));
    parts.push(conv(cell.cPrev, cell.c, 1, pixels), bn(cell.c));
    const offset = cell.reduction ? NUM_EDGES : 0;
    EDGES.forEach((e, i) => {
      // every edge produces a map at the cell's output resolution
      parts.push(...opCost(arch[offset + i], cell.c, edgeStride(cell, e.from), outPixels));
    });
  }
  parts.push({ params: plan.finalChannels * input.numClasses + input.numClasses, flops: plan.finalChannels * input.numClasses });
  return parts.reduce((a, p) => ({ params: a.params + p.params, flops: a.flops + p.flops }), { params: 0, flops: 0 });
}
