import type { ShrinkConfig } from '../config/types';
import type { DataSplits } from '../data/dataset';
import type { OperatorScore } from '../hooks/hooks';
import type { Metric } from '../metric/metric';
import type { WeightSnapshot } from '../nn/params';
import type { RunServices } from '../services/run-services';
import { CandidateSet, Operator, operatorKey } from '../space/candidates';
import { type Architecture, type SearchSpace, type Supernet, trainingPath } from '../space/search-space';
import type { StepSampler, TrainingParticipant } from '../train/trainer';
import { ConfigError } from '../util/errors';
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

/** What the shrinker shrinks and how it scores: everything but the supernet, its trainer and the run's services. */
export interface ShrinkSetup {
  config: ShrinkConfig;
  space: SearchSpace;
  metric: Metric;
  /** The metric scores children on these splits. */
  data: DataSplits;
  /** The shrinker draws its scoring seed from it, once (and forks one for the metric's participation). */
  rng: Rng;
}

/** What the shrinker needs of the trainer of its supernet (the SupernetTrainer is one). */
export interface ShrinkTrainer {
  /** Epochs trained so far in the shrinking phase. */
  readonly epochsDone: number;
  /** Train `epochs` more epochs of a schedule over `horizon` epochs (counted from scheduleStart); stops early when a hook asks to. */
  train(epochs: number, horizon: number, sampler: StepSampler, participant?: TrainingParticipant): Promise<{ stopped: boolean }>;
  /** The epoch the learning-rate schedule counts from (a warm-up needs it). */
  readonly scheduleStart?: number;
  /** A fresh optimizer and schedule from the current epoch on (a warm-up needs it). */
  restartOptimizer?(): void;
}

/** The warm-up's stages, from the config and the supernet's depth (none: 0 epochs). */
interface WarmupPlan {
  startCells: number;
  epochsPerStage: number;
  stages: number;
  epochs: number;
}

/** What the shrinker keeps between rounds (and in checkpoints). */
interface ShrinkState {
  /** The next round to run (1-based). */
  round: number;
  candidates: CandidateSet;
  /** The base weights W0 of the angle. */
  base: WeightSnapshot;
  /** Training epochs done when W0 was taken (0: as built). */
  baseEpoch: number;
  baseRetaken: boolean;
  droppedTotal: number;
  rounds: ShrinkRoundRecord[];
}

const SHRINKER_KEY = 'shrink/shrinker';

/**
 * ABS: train the supernet, score every remaining operator by the mean metric
 * of child models containing it, drop the worst, repeat until the space is
 * at most `threshold` children. The supernet keeps its weights between
 * rounds; training samples uniformly over what remains.
 */
export class Shrinker {
  /** Scoring randomness is derived from (seed, round), so a resumed run scores alike. */
  private readonly seed: number;
  private readonly cfg: ShrinkConfig;

  constructor(private readonly setup: ShrinkSetup, private readonly services: RunServices) {
    this.cfg = setup.config;
    this.seed = setup.rng.nextUint32();
  }

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

  /** The warm-up's stages on this supernet; a warm-up it cannot run is an error before anything is trained. */
  warmupPlan(supernet: Supernet, trainer: ShrinkTrainer): WarmupPlan {
    const startCells = this.cfg.warmup?.startCells ?? 0;
    const epochsPerStage = this.cfg.warmup?.epochsPerStage ?? 0;
    if (startCells === 0) return { startCells, epochsPerStage, stages: 0, epochs: 0 };
    if (!supernet.depth) throw new ConfigError(`shrink.warmup: space '${this.setup.space.name}' has no supernet that grows cell by cell (progressive depth)`);
    if (!trainer.restartOptimizer) throw new Error('shrink.warmup: the trainer cannot restart its optimizer');
    const stages = supernet.depth.cells - startCells;
    if (stages < 1) {
      throw new ConfigError(`shrink.warmup.startCells ${startCells}: the supernet has ${supernet.depth.cells} cells; the warm-up grows it from fewer`);
    }
    return { startCells, epochsPerStage, stages, epochs: stages * epochsPerStage };
  }

  async run(supernet: Supernet, trainer: ShrinkTrainer, start: CandidateSet): Promise<ShrinkResult> {
    const { cfg, setup, services } = this;
    const warmup = this.warmupPlan(supernet, trainer);
    const horizon = cfg.horizonEpochs || cfg.epochsBeforeFirstRound + cfg.epochsPerRound * Math.max(this.estimateRounds(start) - 1, 0);
    const state: ShrinkState = {
      round: 1,
      candidates: start,
      base: await supernet.store.read(),
      baseEpoch: 0,
      baseRetaken: false,
      droppedTotal: 0,
      rounds: [],
    };
    const checkpoints = services.checkpoints;
    const resumed = checkpoints?.register(SHRINKER_KEY, {
      capture: () => ({
        state: {
          round: state.round,
          candidates: state.candidates.lists,
          baseEpoch: state.baseEpoch,
          baseRetaken: state.baseRetaken,
          droppedTotal: state.droppedTotal,
          rounds: state.rounds,
        },
        tensors: state.base,
      }),
      restore: (saved, tensors) => {
        const v = saved as { round: number; candidates: string[][]; baseEpoch?: number; baseRetaken: boolean; droppedTotal: number; rounds: ShrinkRoundRecord[] };
        Object.assign(state, { ...v, baseEpoch: v.baseEpoch ?? 0, candidates: new CandidateSet(start.points, v.candidates), base: new Map(tensors) });
      },
    });
    // a metric that learns alongside the supernet (magnitude) trains with its own sampler and participant
    const participation = setup.metric.participate?.({
      space: setup.space,
      supernet,
      candidates: () => state.candidates,
      rng: setup.rng.fork('participate'),
    });
    if (participation?.state) checkpoints?.register(`${SHRINKER_KEY}/participation`, participation.state);
    const sampler: StepSampler =
      participation?.sampler ?? ((rng: Rng): Architecture[] => [trainingPath(setup.space, state.candidates, rng)]);
    const participant = participation?.participant;

    services.progress.log(
      resumed
        ? `ABS: resuming at round ${state.round} (${state.candidates.size()} children, ${trainer.epochsDone} epochs trained)`
        : `ABS: space of ${state.candidates.size()} children, threshold ${cfg.threshold}`,
    );
    // W0 after a warm-up (DARTS reference): training pauses at that epoch to take it
    const baseAt = warmup.epochs + (cfg.baseWeights?.takeAfterEpochs ?? 0);
    const takeBaseIfDue = async (): Promise<void> => {
      if (state.baseEpoch >= baseAt || trainer.epochsDone < baseAt) return;
      state.base = await supernet.store.read();
      state.baseEpoch = trainer.epochsDone;
      services.progress.log(`ABS: base weights W0 taken after epoch ${trainer.epochsDone}`);
      services.emit({ event: 'shrinkBase', epoch: trainer.epochsDone });
    };
    try {
      // Driven by (round, epochs trained), so a resumed run picks up where it stopped.
      const done = (): boolean => state.candidates.size() <= cfg.threshold || state.round > cfg.maxRounds;
      let { stopped } = await this.warmUp(supernet, trainer, warmup, sampler, participant);
      for (;;) {
        // no training after the last round; the epochs before the first round always run
        if (stopped || (state.round > 1 && done())) break;
        const target = warmup.epochs + cfg.epochsBeforeFirstRound + (state.round - 1) * cfg.epochsPerRound;
        for (;;) {
          // also on resuming from the checkpoint of the warm-up's last epoch, saved before W0 was taken
          await takeBaseIfDue();
          if (stopped || trainer.epochsDone >= target) break;
          const until = state.baseEpoch < baseAt ? Math.min(baseAt, target) : target;
          ({ stopped } = await trainer.train(until - trainer.epochsDone, horizon, sampler, participant));
        }
        if (stopped) break;
        if (done()) break;
        const context = { round: state.round, candidates: state.candidates, policy: cfg.policy };
        if (await services.hooks.bail('shouldStopShrinking', context)) break;
        const record = await this.shrinkRound(supernet, trainer, state);
        if (!record) break;
        const control = await services.hooks.series('onShrinkRound', {
          round: record.round,
          scores: record.operatorScores,
          dropped: record.droppedOperators,
          sizeBefore: record.sizeBefore,
          sizeAfter: record.sizeAfter,
          candidates: state.candidates,
        });
        await checkpoints?.save(`shrink round ${record.round}`);
        if (control.stop) break;
      }
    } finally {
      checkpoints?.unregister(SHRINKER_KEY);
      checkpoints?.unregister(`${SHRINKER_KEY}/participation`);
      participation?.dispose?.();
    }
    return { candidates: state.candidates, rounds: state.rounds, epochs: trainer.epochsDone };
  }

  /**
   * The warm-up (when configured): stage k on startCells + k cells, each with
   * a fresh optimizer and a schedule over its own epochs; then full depth and
   * a fresh optimizer for the rounds. Driven by the epochs trained, so a
   * resumed run continues the stage it stopped in (its optimizer restored).
   */
  private async warmUp(
    supernet: Supernet,
    trainer: ShrinkTrainer,
    plan: WarmupPlan,
    sampler: StepSampler,
    participant?: TrainingParticipant,
  ): Promise<{ stopped: boolean }> {
    const depth = supernet.depth;
    if (plan.epochs === 0 || !depth || !trainer.restartOptimizer) return { stopped: false };
    let stopped = false;
    while (!stopped && trainer.epochsDone < plan.epochs) {
      const stage = Math.floor(trainer.epochsDone / plan.epochsPerStage);
      const first = stage * plan.epochsPerStage;
      depth.setActive(plan.startCells + stage);
      if (trainer.scheduleStart !== first) trainer.restartOptimizer();
      if (trainer.epochsDone === first) {
        this.services.progress.log(`ABS warm-up: stage ${stage + 1}/${plan.stages} on ${plan.startCells + stage} of ${depth.cells} cells`);
      }
      ({ stopped } = await trainer.train(first + plan.epochsPerStage - trainer.epochsDone, plan.epochsPerStage, sampler, participant));
    }
    depth.setActive(depth.cells);
    if (!stopped && trainer.scheduleStart !== plan.epochs) trainer.restartOptimizer();
    return { stopped };
  }

  /** Score, drop, record: one round. Returns undefined when there is nothing to drop. */
  private async shrinkRound(
    supernet: Supernet,
    trainer: ShrinkTrainer,
    state: ShrinkState,
  ): Promise<(ShrinkRoundRecord & { operatorScores: OperatorScore[]; droppedOperators: Operator[] }) | undefined> {
    const { cfg, services } = this;
    const round = state.round;
    const context = { round, candidates: state.candidates, policy: cfg.policy };
    let scores = await this.scoreOperators(supernet, state.candidates, state.base, round);
    scores = await services.hooks.waterfall('onOperatorScores', scores, context);
    let dropped = chooseDrops(cfg.policy, scores, state.candidates);
    dropped = await services.hooks.waterfall('onDropList', dropped, context);
    if (dropped.length === 0) {
      services.progress.log(`ABS round ${round}: nothing left to drop`);
      return undefined;
    }
    const sizeBefore = state.candidates.size();
    state.candidates = state.candidates.without(dropped);
    state.droppedTotal += dropped.length;

    // The SPOS reference re-takes W0 once, as the current weights, after enough drops.
    let retaken = false;
    if (cfg.retakeBaseAfterDrops > 0 && !state.baseRetaken && state.droppedTotal > cfg.retakeBaseAfterDrops) {
      state.base = await supernet.store.read();
      state.baseEpoch = trainer.epochsDone;
      state.baseRetaken = retaken = true;
    }
    const record = this.record(round, trainer.epochsDone, sizeBefore, state.candidates.size(), scores, dropped, retaken);
    state.rounds.push(record);
    state.round++;
    services.progress.log(
      `ABS round ${round}: ${sizeBefore} -> ${state.candidates.size()} children; dropped ${record.dropped
        .map((d) => `${d.op}@${d.choicePoint}`)
        .join(', ')}`,
    );
    services.emit({ event: 'shrinkRound', ...record });
    return { ...record, operatorScores: scores, droppedOperators: dropped };
  }

  /**
   * Mean metric over children containing each scorable operator: every child
   * when the space is small enough to enumerate, else `childrenPerOperator`
   * sampled children per operator (scores of repeated children are reused).
   */
  async scoreOperators(supernet: Supernet, candidates: CandidateSet, base: WeightSnapshot, round: number): Promise<OperatorScore[]> {
    const { cfg, setup, services } = this;
    const scorer = await setup.metric.prepare({
      space: setup.space,
      supernet,
      candidates,
      base,
      data: setup.data,
      rng: Rng.derive(this.seed, 'metric', round),
    });
    const ops = candidates.scorableOperators();
    const sums = new Map<string, { sum: number; n: number }>(ops.map((o) => [operatorKey(o), { sum: 0, n: 0 }]));
    // count a child's score for its operators (only one, if given), up to `cap` children each
    const add = (arch: Architecture, score: number, only?: Operator, cap = Infinity): void => {
      arch.forEach((op, point) => {
        if (only && (only.point !== point || only.op !== op)) return;
        const s = sums.get(operatorKey({ point, op }));
        if (s && s.n < cap) {
          s.sum += score;
          s.n++;
        }
      });
    };
    try {
      const size = candidates.size();
      if (size <= cfg.enumerateUpTo) {
        const task = services.progress.start(`scoring ${size} children (${setup.metric.name})`, size);
        for (const arch of candidates.enumerate()) {
          add(arch, await scorer.score(arch));
          task.tick();
        }
        task.done();
      } else if (cfg.shareChildren) {
        const children = this.sharedChildren(candidates, ops, Rng.derive(this.seed, 'sample', round));
        const task = services.progress.start(`scoring ${children.length} children (${setup.metric.name})`, children.length);
        for (const arch of children) {
          add(arch, await scorer.score(arch), undefined, cfg.childrenPerOperator);
          task.tick();
        }
        task.done();
      } else {
        const rng = Rng.derive(this.seed, 'sample', round);
        const cache = new Map<string, number>();
        const task = services.progress.start(`scoring ${ops.length} operators (${setup.metric.name})`, ops.length);
        for (const op of ops) {
          for (let k = 0; k < cfg.childrenPerOperator; k++) {
            const arch = setup.space.sample(candidates, rng, op);
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

  /**
   * The children of shared scoring, in the order drawn, each at most once:
   * operator by operator, the children it still lacks (childrenPerOperator
   * less those drawn so far that hold it), each with it held; at most 100
   * draws per child wanted, as the reference (shrinking.py get_random_extend).
   */
  private sharedChildren(candidates: CandidateSet, ops: readonly Operator[], rng: Rng): Architecture[] {
    const per = this.cfg.childrenPerOperator;
    const held = new Map<string, number>(ops.map((o) => [operatorKey(o), 0]));
    const drawn = new Set<string>();
    const children: Architecture[] = [];
    for (const op of ops) {
      const need = per - (held.get(operatorKey(op)) as number);
      for (let got = 0, tries = need * 100; got < need && tries > 0; tries--) {
        const arch = this.setup.space.sample(candidates, rng, op);
        const key = arch.join('|');
        if (drawn.has(key)) continue;
        drawn.add(key);
        children.push(arch);
        got++;
        arch.forEach((o, point) => {
          const k = operatorKey({ point, op: o });
          const n = held.get(k);
          if (n !== undefined) held.set(k, n + 1);
        });
      }
    }
    return children;
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
    const id = (p: number): string => this.setup.space.choicePoints[p].id;
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
