/**
 * What is checked before a run directory is created, so that a run refused
 * for its data or its size leaves nothing behind (and its --out stays free):
 * the data is loaded (its files read, its sizes checked against the
 * dataset), every batch fits its split, and the supernet's parameters fit in
 * memory.
 */
import * as os from 'os';
import { displayPath, type OriginFn } from '../config/load';
import type { DataConfig } from '../config/types';
import type { DataSplits } from '../data/dataset';
import { loadData } from '../data/load';
import type { SearchSpace } from '../space/search-space';
import { ConfigError } from '../util/errors';

/** A batch size of the config and the split it is drawn from. */
export interface BatchUse {
  pointer: string;
  batchSize: number;
  split: 'train' | 'val';
}

/** The splits the run will use; a DataError or ConfigError names the file or key when they cannot serve it. */
export function preflightData(data: DataConfig, seed: number, batches: readonly BatchUse[], origin: OriginFn): DataSplits {
  const splits = loadData(data, seed);
  for (const b of batches) {
    const count = splits[b.split].count;
    if (b.batchSize > count) {
      const sizeKey = b.split === 'train' ? '/data/trainSize' : '/data/valSize';
      throw new ConfigError(
        `${displayPath(origin(b.pointer))}: ${b.pointer}: ${b.batchSize} is larger than the ${b.split === 'train' ? 'training' : 'validation'} split ` +
          `(${count} images): lower it to at most ${count}, or raise ${sizeKey}`,
      );
    }
  }
  return splits;
}

/** The batch sizes a run's config sets, by the convention of the shipped searchers (`train.batchSize` of the searcher's options). */
export function batchUses(config: { shrink: { enabled: boolean; train: { batchSize: number } }; search: { options?: unknown } }, mixtures: boolean): BatchUse[] {
  const uses: BatchUse[] = [];
  if (config.shrink.enabled) uses.push({ pointer: '/shrink/train/batchSize', batchSize: config.shrink.train.batchSize, split: 'train' });
  const train = (config.search.options as { train?: { batchSize?: unknown } } | undefined)?.train;
  if (typeof train?.batchSize === 'number') {
    uses.push({ pointer: '/search/options/train/batchSize', batchSize: train.batchSize, split: 'train' });
    // a mixture searcher (DARTS and kin) takes its architecture steps on validation batches of that size
    if (mixtures) uses.push({ pointer: '/search/options/train/batchSize', batchSize: train.batchSize, split: 'val' });
  }
  return uses;
}

const GIB = 1024 ** 3;
/** What wasm can address: 32-bit memory. */
const WASM_HEAP = 4 * GIB;

/**
 * An upper bound on the supernet's parameters, from the space's own cost
 * model without building anything: for every k, the child that takes the
 * k-th candidate at every choice point (the last one where a point has
 * fewer) is costed, and the sum over k counts every candidate's weights at
 * least once (the parts outside the choice points K times over). A space
 * whose cost model is that of another network (DARTS costs its evaluation
 * network) gives that network's figure, which bounds the supernet only when
 * that network is the larger. Undefined when the space cannot cost such
 * children.
 */
export function supernetParamsBound(space: SearchSpace, input: DataSplits['input']): number | undefined {
  const widest = Math.max(...space.choicePoints.map((p) => p.candidates.length));
  let total = 0;
  for (let k = 0; k < widest; k++) {
    try {
      total += space.cost(space.choicePoints.map((p) => p.candidates[Math.min(k, p.candidates.length - 1)]), input).params;
    } catch {
      return undefined; // a space that costs only some children: no bound to offer
    }
  }
  return total;
}

/**
 * Refuse a space too large to fit: its parameters (an upper bound, see
 * supernetParamsBound) times four float32 copies (weights, gradients,
 * momentum, a checkpoint's copy) against the memory of the machine, or 4 GiB
 * with the wasm backend. Activations are not counted: passing does not
 * promise that the run fits, failing means it cannot.
 */
export function preflightMemory(space: SearchSpace, input: DataSplits['input'], backend: string, origin: OriginFn): void {
  const params = supernetParamsBound(space, input);
  if (params === undefined) return;
  const bytes = params * 4 * 4;
  const limit = backend === 'wasm' ? WASM_HEAP : os.totalmem();
  if (Number.isFinite(bytes) && bytes <= limit) return;
  const where = backend === 'wasm' ? 'the 4 GiB the wasm backend can address' : `this machine's ${(os.totalmem() / GIB).toFixed(1)} GiB of memory`;
  throw new ConfigError(
    `${displayPath(origin('/space/options'))}: /space/options: the supernet of space '${space.name}' would hold up to ${params.toExponential(2)} parameters ` +
      `(${(bytes / GIB).toExponential(2)} GiB with gradients, momentum and a checkpoint copy), more than ${where}: choose smaller space options (channels, cells)`,
  );
}
