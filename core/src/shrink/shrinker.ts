import type { ShrinkConfig } from '../config/types';
import type { DataSplits } from '../data/dataset';
import type { HookBus, OperatorScore } from '../hooks/hooks';
import type { Metric } from '../metric/metric';
import type { WeightSnapshot } from '../nn/params';
import { CandidateSet, Operator, operatorKey } from '../space/candidates';
import type { Architecture, SearchSpace, Supernet } from '../space/search-space';
import type { SupernetTrainer } from '../train/trainer';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { chooseDrops } from './policies';

export interface ShrinkRoundRecord {
  round: number;
  /** Supernet epochs trained before this round's scoring. */
  epochs: number;
  sizeBefore: number;
  sizeAfter: number;
  dropped: { choicePoint: string; op: string; score: number }[];
  scores: { choicePoint: string; op: string; score: number; children: number }[];
  baseRetaken: boolean;
}

export interface ShrinkResult {
  candidates: CandidateSet;
  rounds: ShrinkRoundRecord[];
  epochs: number;
}

export interface ShrinkerDeps {
  space: SearchSpace;
  metric: Metric;
  hooks: HookBus;
  progress: Progress;
  data: DataSplits;
  rng: Rng;
  emit(event: Record<string, unknown>): void;
}

/**
 * ABS: train the supernet, score every remaining operator by the mean metric
 * of child models containing it, drop the worst, repeat until the space is
 * at most `threshold` children. The supernet keeps its weights between
 * rounds; training samples uniformly over what remains.
 */
export class Shrinker {
  constructor(private readonly cfg: ShrinkConfig, private readonly deps: ShrinkerDeps) {}

  /** Rounds needed if every round drops as configured: used as the LR horizon. */
  estimateRounds(start: CandidateSet): number {
    const rng = new Rng(0);
    let c = start;
    let rounds = 0;
    while (c.size() > this.cfg.threshold && rounds < this.cfg.maxRounds) {
      const fake = c.scorableOperators().map((o) => ({ ...o, score: rng.next(), children: 0 }));
      const drops = chooseDrops(this.cfg.policy, fake, c);
      if (drops.length === 0) break;
      c = c.without(drops);
      rounds++;
    }
    return rounds;
  }

  async run(supernet: Supernet, trainer: SupernetTrainer, start: CandidateSet): Promise<ShrinkResult> {
    const { cfg, deps } = this;
    const horizon = cfg.epochsBeforeFirstRound + cfg.epochsPerRound * Math.max(this.estimateRounds(start) - 1, 0);
    let candidates = start;
    let base: WeightSnapshot = supernet.store.snapshot();
    let baseRetaken = false;
    let droppedTotal = 0;
    const rounds: ShrinkRoundRecord[] = [];
    const sampler = (rng: Rng): Architecture[] => [deps.space.sample(candidates, rng)];

    deps.progress.log(`ABS: space of ${candidates.size()} children, threshold ${cfg.threshold}`);
    let stopped = (await trainer.train(cfg.epochsBeforeFirstRound, horizon, sampler)).stopped;

    for (let round = 1; round <= cfg.maxRounds && candidates.size() > cfg.threshold && !stopped; round++) {
      const context = { round, candidates };
      if (await deps.hooks.bail('shouldStopShrinking', context)) break;

      let scores = await this.scoreOperators(supernet, candidates, base, round);
      scores = await deps.hooks.waterfall('onOperatorScores', scores, context);
      let dropped = chooseDrops(cfg.policy, scores, candidates);
      dropped = await deps.hooks.waterfall('onDropList', dropped, context);
      if (dropped.length === 0) {
        deps.progress.log(`ABS round ${round}: nothing left to drop`);
        break;
      }
      const sizeBefore = candidates.size();
      candidates = candidates.without(dropped);
      droppedTotal += dropped.length;

      // The SPOS reference re-takes W0 once, as the current weights, after enough drops.
      let retaken = false;
      if (cfg.retakeBaseAfterDrops > 0 && !baseRetaken && droppedTotal > cfg.retakeBaseAfterDrops) {
        base = supernet.store.snapshot();
        baseRetaken = retaken = true;
      }

      const record = this.record(round, trainer.epochsDone, sizeBefore, candidates.size(), scores, dropped, retaken);
      rounds.push(record);
      deps.progress.log(
        `ABS round ${round}: ${sizeBefore} -> ${candidates.size()} children; dropped ${record.dropped
          .map((d) => `${d.op}@${d.choicePoint}`)
          .join(', ')}`,
      );
      deps.emit({ event: 'shrinkRound', ...record });
      const control = await deps.hooks.series('onShrinkRound', {
        round,
        scores,
        dropped,
        sizeBefore,
        sizeAfter: candidates.size(),
        candidates,
      });
      if (control.stop) break;
      if (candidates.size() > cfg.threshold && round < cfg.maxRounds) {
        stopped = (await trainer.train(cfg.epochsPerRound, horizon, sampler)).stopped;
      }
    }
    return { candidates, rounds, epochs: trainer.epochsDone };
  }

  /**
   * Mean metric over children containing each scorable operator: every child
   * when the space is small enough to enumerate, else `childrenPerOperator`
   * sampled children per operator (scores of repeated children are reused).
   */
  async scoreOperators(supernet: Supernet, candidates: CandidateSet, base: WeightSnapshot, round: number): Promise<OperatorScore[]> {
    const { cfg, deps } = this;
    const scorer = await deps.metric.prepare({
      space: deps.space,
      supernet,
      candidates,
      base,
      data: deps.data,
      rng: deps.rng.fork(`metric-round-${round}`),
    });
    const ops = candidates.scorableOperators();
    const sums = new Map<string, { sum: number; n: number }>(ops.map((o) => [operatorKey(o), { sum: 0, n: 0 }]));
    const add = (arch: Architecture, score: number, only?: Operator): void => {
      arch.forEach((op, point) => {
        if (only && (only.point !== point || only.op !== op)) return;
        const s = sums.get(operatorKey({ point, op }));
        if (s) {
          s.sum += score;
          s.n++;
        }
      });
    };
    try {
      const size = candidates.size();
      if (size <= cfg.enumerateUpTo) {
        const task = deps.progress.start(`scoring ${size} children (${deps.metric.name})`, size);
        for (const arch of candidates.enumerate()) {
          add(arch, await scorer.score(arch));
          task.tick();
        }
        task.done();
      } else {
        const rng = deps.rng.fork(`sample-round-${round}`);
        const cache = new Map<string, number>();
        const task = deps.progress.start(`scoring ${ops.length} operators (${deps.metric.name})`, ops.length);
        for (const op of ops) {
          for (let k = 0; k < cfg.childrenPerOperator; k++) {
            const arch = deps.space.sample(candidates, rng, op);
            const key = arch.join('|');
            let score = cache.get(key);
            if (score === undefined) {
              score = await scorer.score(arch);
              cache.set(key, score);
            }
            add(arch, score, op);
          }
          task.tick();
        }
        task.done();
      }
    } finally {
      scorer.dispose?.();
    }
    return ops.map((o) => {
      const s = sums.get(operatorKey(o)) as { sum: number; n: number };
      return { ...o, score: s.n > 0 ? s.sum / s.n : -Infinity, children: s.n };
    });
  }

  private record(
    round: number,
    epochs: number,
    sizeBefore: number,
    sizeAfter: number,
    scores: OperatorScore[],
    dropped: Operator[],
    baseRetaken: boolean,
  ): ShrinkRoundRecord {
    const id = (p: number): string => this.deps.space.choicePoints[p].id;
    const scoreOf = new Map(scores.map((s) => [operatorKey(s), s.score]));
    return {
      round,
      epochs,
      sizeBefore,
      sizeAfter,
      dropped: dropped.map((d) => ({ choicePoint: id(d.point), op: d.op, score: scoreOf.get(operatorKey(d)) ?? NaN })),
      scores: scores.map((s) => ({ choicePoint: id(s.point), op: s.op, score: s.score, children: s.children })),
      baseRetaken,
    };
  }
}
