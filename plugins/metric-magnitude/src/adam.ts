/**
 * Adam with L2 weight decay added to the gradient (PyTorch's torch.optim.Adam
 * with `weight_decay`, as DARTS uses for its architecture weights), on a small
 * float64 vector held in JavaScript.
 */
export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(readonly size: number, private readonly options: AdamOptions) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** The moments and step count, for checkpoints. */
  getState(): { m: number[]; v: number[]; t: number } {
    return { m: Array.from(this.m), v: Array.from(this.v), t: this.t };
  }

  setState(state: { m: number[]; v: number[]; t: number }): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new Error(`adam: state for ${state.m.length} values, this optimizer has ${this.size}`);
    }
    this.m.set(state.m);
    this.v.set(state.v);
    this.t = state.t;
  }

  /** Update `params` in place from `grad`. */
  step(params: Float64Array, grad: ArrayLike<number>): void {
    const { learningRate, beta1, beta2, eps, weightDecay } = this.options;
    if (params.length !== this.size || grad.length !== this.size) {
      throw new Error(`adam: expected ${this.size} values, got params ${params.length} and gradient ${grad.length}`);
    }
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i] + weightDecay * params[i];
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g * g;
      params[i] -= (learningRate * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + eps);
    }
  }
}
