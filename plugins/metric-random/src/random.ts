import type { Architecture, ChildScorer, Metric, MetricContext } from '@absnas/core';

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the characters of `text`, started from `seed`, finalised. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return fmix32(h);
}

/**
 * A score in [0, 1) that depends only on the architecture and the two seeds:
 * 53 random bits from two independent 32-bit hashes.
 */
export function randomScore(arch: Architecture, seed: number, salt: number): number {
  const text = arch.join('|');
  const hi = hash32(text, fmix32(seed ^ 0x9e3779b9) ^ salt) >>> 5; // 27 bits
  const lo = hash32(text, fmix32(salt ^ 0x7f4a7c15) ^ seed) >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

export interface RandomMetricOptions {
  /** Mixed into every score, so that two random baselines can differ. */
  seed: number;
}

/**
 * The floor of any ranking: a random score per child. It is a hash of the
 * child and of two seeds (the option, and one number drawn from the scoring
 * context's generator at `prepare`), so a child's score does not depend on
 * which children were scored before it, and supernets trained with different
 * seeds get independent rankings.
 */
export class RandomMetric implements Metric {
  readonly name = 'random';

  constructor(private readonly options: RandomMetricOptions = { seed: 0 }) {}

  async prepare(ctx: MetricContext): Promise<ChildScorer> {
    const salt = ctx.rng.nextUint32();
    const seed = this.options.seed >>> 0;
    return { score: (arch: Architecture) => randomScore(arch, seed, salt) };
  }
}
