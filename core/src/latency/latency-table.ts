import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../backend';
import { CandidateSet } from '../space/candidates';
import type { Architecture, InputSpec, SearchSpace } from '../space/search-space';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';

/** Milliseconds each operator adds to a forward pass, measured on one backend. */
export interface LatencyTable {
  format: 'absnas.latency-table';
  version: 1;
  space: string;
  backend: string;
  input: InputSpec;
  batchSize: number;
  repeats: number;
  /** The reference child (the first candidate everywhere) and its latency. */
  base: string[];
  baseMs: number;
  /** ms added by choosing `op` at a choice point instead of the base op there (may be slightly negative: noise). */
  ops: Record<string, Record<string, number>>;
}

function medianMs(run: () => void, repeats: number): number {
  run(); // warm-up: kernel compilation, allocation
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Per-operator latency by difference: time the reference child, then the
 * child with one operator changed, for every (choice point, candidate);
 * medians over `repeats` inference passes in eval mode.
 */
export function measureLatencyTable(
  space: SearchSpace,
  input: InputSpec,
  backend: BackendInfo,
  options: { batchSize: number; repeats: number },
  progress: Progress,
): LatencyTable {
  const full = new CandidateSet(space.choicePoints);
  const supernet = space.createSupernet(input, new Rng(0));
  const x = tf.randomNormal([options.batchSize, input.height, input.width, input.channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  try {
    const time = (arch: Architecture): number =>
      medianMs(() => {
        const y = supernet.forward(x, arch, 'eval');
        y.dataSync();
        y.dispose();
      }, options.repeats);
    const base = full.lists.map((l) => l[0]);
    const baseMs = time(base);
    const ops: LatencyTable['ops'] = {};
    const task = progress.start('latency table', full.allOperators().length);
    full.lists.forEach((list, point) => {
      const id = space.choicePoints[point].id;
      ops[id] = {};
      for (const op of list) {
        ops[id][op] = op === base[point] ? 0 : time(base.map((b, i) => (i === point ? op : b))) - baseMs;
        task.tick();
      }
    });
    task.done();
    return {
      format: 'absnas.latency-table',
      version: 1,
      space: space.name,
      backend: `${backend.name} (${backend.package})`,
      input,
      batchSize: options.batchSize,
      repeats: options.repeats,
      base: [...base],
      baseMs,
      ops,
    };
  } finally {
    x.dispose();
    supernet.dispose();
  }
}
