import {
  Architecture,
  batches,
  crossEntropy,
  evaluateChild,
  isMixtureSupernet,
  MixtureSupernet,
  noMixturesError,
  Rng,
  SearchContext,
  Searcher,
  SearcherRequirements,
  SearchResult,
  SupernetTrainer,
  tf,
  TrainConfig,
  UserError,
} from '@absnas/core';
import { CostModel, expectedCost, flopsModel, latencyModel } from './cost-model';
import { binaryGateAlphaGrad, samplePair, softmax } from './gates';

export interface ProxylessOptions {
  /** Supernet epochs in all, the warm-up included. */
  epochs: number;
  /** Epochs of uniform single-path training before the architecture weights learn. */
  warmupEpochs: number;
  train: TrainConfig;
  arch: { learningRate: number; beta1: number; beta2: number; eps: number; weightDecay: number; batchSize: number };
  /** The cost the regulariser steers towards: FLOPs from the space, or latency from a measured table. */
  target: { metric: 'flops' | 'latency'; value: number; latencyTable?: string };
  /** `mul#log`: loss = alpha * CE * (log E[cost] / log target)^beta; `none`: CE alone. */
  regularizer: { kind: 'mul#log' | 'none'; alpha: number; beta: number };
  recalibrationBatches: number;
  evalBatchSize: number;
}

/** Architecture weights and their Adam moments (plain float64 arrays: they are small). */
interface ArchState {
  alpha: number[][];
  m: number[][];
  v: number[][];
  steps: number;
}

/**
 * ProxylessNAS (Cai et al.): after a warm-up, every weight step trains one
 * path sampled from softmax(alpha) (SGD), and is followed by an architecture
 * step on a validation batch: two candidates per choice point, a binary gate
 * on one of them, alpha updated with Adam from the BinaryConnect-style gate
 * gradient, with the expected FLOPs (or latency) regulariser. The identity
 * of a shrunk chain space is simply one of the candidates (a zero-cost op).
 */
export class ProxylessSearcher implements Searcher {
  readonly name = 'proxylessnas';
  /** Its architecture steps run two candidates per choice point as a mixture. */
  readonly requirements: SearcherRequirements = { mixtures: true };

  constructor(private readonly o: ProxylessOptions) {}

  async search(ctx: SearchContext): Promise<SearchResult> {
    const { space, candidates, data, hooks, progress } = ctx;
    const o = this.o;
    const supernet = space.createSupernet(data.input, ctx.rng.fork('supernet'));
    if (!isMixtureSupernet(supernet)) {
      supernet.dispose();
      throw noMixturesError('proxylessnas');
    }
    const model: CostModel =
      o.target.metric === 'latency'
        ? latencyModel(requireTable(o.target.latencyTable), space, candidates)
        : flopsModel(space, candidates, data.input);
    const seed = ctx.rng.fork('arch').nextUint32();
    const state: ArchState = {
      alpha: candidates.lists.map((l) => l.map(() => 0)),
      m: candidates.lists.map((l) => l.map(() => 0)),
      v: candidates.lists.map((l) => l.map(() => 0)),
      steps: 0,
    };
    ctx.checkpoints?.register('search/proxylessnas', {
      capture: () => ({ state }),
      restore: (saved) => Object.assign(state, saved as ArchState),
    });
    const gates = candidates.lists.map((l) => tf.variable(tf.zeros([Math.min(2, l.length)]), true));
    const trainer = new SupernetTrainer(supernet, { data, train: o.train, rng: ctx.rng.fork('train'), phase: 'search' }, ctx);
    try {
      await hooks.series('onSupernetBuilt', { phase: 'search', space, supernet, candidates });
      progress.log(`ProxylessNAS: ${o.warmupEpochs} warm-up + ${o.epochs - o.warmupEpochs} search epoch(s) over ${candidates.size()} children; target ${o.target.value} ${model.unit}`);
      const uniform = (rng: Rng): Architecture[] => [space.sample(candidates, rng)];
      if (trainer.epochsDone < o.warmupEpochs) await trainer.train(o.warmupEpochs - trainer.epochsDone, o.epochs, uniform);
      const byAlpha = (rng: Rng): Architecture[] => [
        candidates.lists.map((l, i) => l[samplePair(softmax(state.alpha[i]), () => rng.next())[0]]),
      ];
      // the architecture step rides on the trainer's participant hook: it runs after every weight step
      const archStep = { variables: () => [], update: () => this.archStep(ctx, supernet, state, gates, model, seed) };
      if (trainer.epochsDone < o.epochs) await trainer.train(o.epochs - trainer.epochsDone, o.epochs, byAlpha, archStep);

      const best = candidates.lists.map((l, i) => l[state.alpha[i].indexOf(Math.max(...state.alpha[i]))]);
      const evalOpts = { recalibrationBatches: o.recalibrationBatches, batchSize: o.evalBatchSize };
      const evalSeed = ctx.rng.fork('eval').nextUint32();
      const probs = state.alpha.map(softmax);
      ctx.emit({ event: 'architectureWeights', alpha: state.alpha, probs });
      return {
        architecture: best,
        metrics: {
          valAccuracy: await evaluateChild(supernet, best, data, data.val, evalOpts, new Rng(evalSeed)),
          testAccuracyInherited: await evaluateChild(supernet, best, data, data.test, evalOpts, new Rng(evalSeed)),
          expectedCost: expectedCost(model, probs).value,
          supernetEpochs: trainer.epochsDone,
          archSteps: state.steps,
        },
        cost: space.cost(best, data.input),
        history: { alpha: state.alpha, probs, costUnit: model.unit },
      };
    } finally {
      ctx.checkpoints?.unregister('search/proxylessnas');
      trainer.dispose();
      gates.forEach((g) => g.dispose());
      supernet.dispose();
    }
  }

  /**
   * One architecture step on a validation batch (runs after every weight
   * step past the warm-up). The loss and the gate gradients are read once,
   * asynchronously (webgpu in Node reads no other way).
   */
  private async archStep(ctx: SearchContext, supernet: MixtureSupernet, state: ArchState, gates: tf.Variable[], model: CostModel, seed: number): Promise<void> {
    const { data, candidates } = ctx;
    const o = this.o;
    const rng = Rng.derive(seed, 'arch-step', state.steps);
    const probs = state.alpha.map(softmax);
    // the sampled pair per point, its renormalised probabilities, and the active gate
    const pairs = probs.map((p) => samplePair(p, () => rng.next()));
    const q = pairs.map((pair, i) => {
      const s = pair.reduce((a, k) => a + probs[i][k], 0);
      return pair.map((k) => probs[i][k] / s);
    });
    pairs.forEach((pair, i) => {
      const active = rng.next() < q[i][0] ? 0 : 1;
      const oneHot = pair.map((_, j) => (j === Math.min(active, pair.length - 1) ? 1 : 0));
      tf.tidy(() => gates[i].assign(tf.tensor1d(oneHot)));
    });
    const ops = pairs.map((pair, i) => pair.map((k) => candidates.lists[i][k]));
    const batch = batches(data.val, data.input, o.arch.batchSize, { rng: Rng.derive(seed, 'val', state.steps), dropLast: true, limit: 1 }).next().value;
    if (!batch) throw new UserError(`proxylessnas: the validation split (${data.val.count} images) is smaller than one architecture batch (${o.arch.batchSize})`);
    let ce = 0;
    const dLdg: number[][] = [];
    let tensors: tf.Tensor[] = [];
    try {
      const { value, grads } = tf.variableGrads(
        () => crossEntropy(supernet.forwardMixture(batch.x, { ops, weights: gates as tf.Tensor1D[] }, 'train'), batch.y),
        gates,
      );
      const gateGrads = gates.map((g) => grads[g.name] as tf.Tensor | undefined);
      tensors = [value, ...(gateGrads.filter(Boolean) as tf.Tensor[])];
      // every read started before any is awaited: one wait on a GPU
      const [ceValue, ...gradValues] = await Promise.all([value.data(), ...gateGrads.map((t) => t?.data())]);
      ce = (ceValue as tf.TypedArray)[0];
      gateGrads.forEach((_, i) => dLdg.push(gradValues[i] ? Array.from(gradValues[i] as tf.TypedArray) : gates[i].shape.map(() => 0)));
    } finally {
      tf.dispose(tensors);
      batch.x.dispose();
      batch.y.dispose();
    }
    // d(total)/d alpha for total = coef * CE * R, R = (log E / log T)^beta (or CE alone)
    const reg = o.regularizer;
    let scaleCe = 1;
    let regGrad: number[][] | undefined;
    if (reg.kind === 'mul#log') {
      const { value: e, gradAlpha } = expectedCost(model, probs);
      const logT = Math.log(o.target.value);
      const ratio = Math.log(Math.max(e, 1e-12)) / logT;
      const r = Math.pow(ratio, reg.beta);
      const dRdE = reg.beta * Math.pow(ratio, reg.beta - 1) / (Math.max(e, 1e-12) * logT);
      scaleCe = reg.alpha * r;
      regGrad = gradAlpha.map((g) => g.map((x) => reg.alpha * ce * dRdE * x));
    }
    state.steps++;
    const { learningRate: lr, beta1, beta2, eps, weightDecay } = o.arch;
    state.alpha.forEach((alpha, i) => {
      const g = alpha.map(() => 0);
      const fromGates = binaryGateAlphaGrad(dLdg[i], q[i]);
      pairs[i].forEach((k, j) => (g[k] += scaleCe * fromGates[j]));
      regGrad?.[i].forEach((x, k) => (g[k] += x));
      for (let k = 0; k < alpha.length; k++) {
        const gk = g[k] + weightDecay * alpha[k];
        state.m[i][k] = beta1 * state.m[i][k] + (1 - beta1) * gk;
        state.v[i][k] = beta2 * state.v[i][k] + (1 - beta2) * gk * gk;
        const mHat = state.m[i][k] / (1 - Math.pow(beta1, state.steps));
        const vHat = state.v[i][k] / (1 - Math.pow(beta2, state.steps));
        alpha[k] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    });
  }
}

function requireTable(file: string | undefined): string {
  if (!file) throw new UserError('proxylessnas: target.metric latency needs target.latencyTable (measure one with absnas latency-table)');
  return file;
}
