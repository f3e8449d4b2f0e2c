import { BatchNorm, Conv2d, ForwardMode, ParamStore, relu6, tf } from '@absnas/core';

/**
 * The inverted-residual block of MobileNetV2 (MBConv): 1x1 expand conv + BN
 * + ReLU6 (left out when the expansion is 1), depthwise kxk conv (stride) +
 * BN + ReLU6, 1x1 project conv + BN; the input is added back when the stride
 * is 1 and the channels are equal. Convs have no bias; BN is affine.
 */
export class MBConv {
  readonly hidden: number;
  readonly expand?: Conv2d;
  readonly expandBn?: BatchNorm;
  readonly dw: Conv2d;
  readonly dwBn: BatchNorm;
  readonly project: Conv2d;
  readonly projectBn: BatchNorm;
  readonly residual: boolean;

  constructor(
    store: ParamStore,
    readonly prefix: string,
    readonly cin: number,
    readonly cout: number,
    readonly kernel: number,
    readonly expansion: number,
    readonly stride: number,
  ) {
    this.hidden = cin * expansion;
    if (expansion !== 1) {
      this.expand = new Conv2d(store, `${prefix}.expand`, cin, this.hidden, 1, 1, 0);
      this.expandBn = new BatchNorm(store, `${prefix}.expand_bn`, this.hidden, true);
    }
    this.dw = new Conv2d(store, `${prefix}.dw`, this.hidden, this.hidden, kernel, stride, Math.floor(kernel / 2), 1, true);
    this.dwBn = new BatchNorm(store, `${prefix}.dw_bn`, this.hidden, true);
    this.project = new Conv2d(store, `${prefix}.project`, this.hidden, cout, 1, 1, 0);
    this.projectBn = new BatchNorm(store, `${prefix}.project_bn`, cout, true);
    this.residual = stride === 1 && cin === cout;
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      if (this.expand && this.expandBn) h = relu6(this.expandBn.apply(this.expand.apply(h), mode));
      h = relu6(this.dwBn.apply(this.dw.apply(h), mode));
      h = this.projectBn.apply(this.project.apply(h), mode);
      return this.residual ? tf.add(h, x) : h;
    });
  }

  convs(): Conv2d[] {
    return this.expand ? [this.expand, this.dw, this.project] : [this.dw, this.project];
  }

  batchNorms(): BatchNorm[] {
    return this.expandBn ? [this.expandBn, this.dwBn, this.projectBn] : [this.dwBn, this.projectBn];
  }

  /** Every trainable parameter of the block (conv weights, BN gamma and beta). */
  paramNames(): string[] {
    const bns = this.batchNorms();
    return this.convs().flatMap((c, i) => [`${c.name}.weight`, `${bns[i].name}.gamma`, `${bns[i].name}.beta`]);
  }
}
