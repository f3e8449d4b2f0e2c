/**
 * Parameters and FLOPs of a child as a STANDALONE network, counted the way
 * the NAS-Bench-201 records were (XAutoDL's get_model_infos):
 * - params: every parameter of the standalone network, whose cell convs are
 *   followed by BN *with* affine parameters (unlike the supernet's) and whose
 *   classifier has a bias;
 * - FLOPs: only Conv2d and Linear layers are summed: a conv costs
 *   outH*outW*k*k*cin*cout (no bias here), the classifier in*out + out.
 *   BN, ReLU, pooling and additions are not counted. Every conv edge counts,
 *   even one the output does not depend on (the reference network runs it).
 * Values are plain counts (divide by 1e6 for the benchmark's "M").
 */
import { Architecture, ChildCost, InputSpec } from '@absnas/core';
import { validateArchitecture } from './arch-string';
import { Nb201Options, stageShapes } from './macro';
import { CONV_KERNEL, isConv } from './topology';

interface Count {
  params: number;
  flops: number;
}

function conv(cin: number, cout: number, k: number, outH: number, outW: number): Count {
  const weights = k * k * cin * cout;
  return { params: weights, flops: weights * outH * outW };
}

const bn = (c: number): Count => ({ params: 2 * c, flops: 0 });

export function nb201Cost(arch: Architecture, options: Nb201Options, input: InputSpec): ChildCost {
  validateArchitecture(arch);
  const stages = stageShapes(options, input);
  const parts: Count[] = [];

  // stem: conv3x3 + BN
  const s0 = stages[0];
  parts.push(conv(input.channels, s0.channels, 3, s0.height, s0.width), bn(s0.channels));

  stages.forEach((stage, s) => {
    const { channels: c, height: h, width: w } = stage;
    if (s > 0) {
      // residual reduction: conv_a (stride 2) + BN, conv_b + BN, pooled 1x1 shortcut
      const cin = stages[s - 1].channels;
      parts.push(conv(cin, c, 3, h, w), bn(c), conv(c, c, 3, h, w), bn(c), conv(cin, c, 1, h, w));
    }
    for (let i = 0; i < stage.cells.length; i++) {
      for (const op of arch) if (isConv(op)) parts.push(conv(c, c, CONV_KERNEL[op], h, w), bn(c));
    }
  });

  const cLast = stages[stages.length - 1].channels;
  parts.push(bn(cLast));
  parts.push({ params: cLast * input.numClasses + input.numClasses, flops: cLast * input.numClasses + input.numClasses });

  return parts.reduce((a, p) => ({ params: a.params + p.params, flops: a.flops + p.flops }), { params: 0, flops: 0 });
}
