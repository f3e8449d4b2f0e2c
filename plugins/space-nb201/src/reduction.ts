/**
 * The residual reduction block between stages (XAutoDL's ResNetBasicblock
 * with stride 2): conv_b(conv_a(x)) + shortcut(x), where conv_a is
 * ReLU-Conv3x3(stride 2)-BN, conv_b is ReLU-Conv3x3-BN (both BN affine) and
 * the shortcut is 2x2 average pooling (stride 2) followed by a 1x1 conv.
 */
import { BatchNorm, Conv2d, ForwardMode, ParamStore, tf } from '@absnas/core';
import { ReluConvBn } from './ops';

export class ResidualReduction {
  readonly convA: ReluConvBn;
  readonly convB: ReluConvBn;
  readonly shortcut: Conv2d;

  constructor(store: ParamStore, readonly name: string, cin: number, cout: number) {
    this.convA = new ReluConvBn(store, `${name}.conv_a`, cin, cout, 3, 2, 1, true);
    this.convB = new ReluConvBn(store, `${name}.conv_b`, cout, cout, 3, 1, 1, true);
    this.shortcut = new Conv2d(store, `${name}.shortcut.conv`, cin, cout, 1, 1, 0);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const residual = this.shortcut.apply(tf.avgPool(x, 2, 2, 'valid'));
    return tf.add(residual, this.convB.apply(this.convA.apply(x, mode), mode));
  }

  paramNames(): string[] {
    return [...this.convA.paramNames(), ...this.convB.paramNames(), `${this.name}.shortcut.conv.weight`];
  }

  batchNorms(): BatchNorm[] {
    return [this.convA.bn, this.convB.bn];
  }
}
