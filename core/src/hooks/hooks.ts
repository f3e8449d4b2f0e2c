import type { CheckpointSink } from '../checkpoint/checkpointer';
import type { DropPolicyConfig, RunConfig } from '../config/types';
import type { Architecture, SearchSpace, Supernet } from '../space/search-space';
import type { CandidateSet, Operator } from '../space/candidates';

/**
 * Lifecycle hooks of a run, each with a declared dispatch mode (as in tapable):
 * - series: every handler runs in order; handlers may return control flags;
 * - waterfall: each handler receives the previous handler's value and returns
 *   the next (a plugin may transform operator scores or the drop list);
 * - bail: handlers run in order until one returns something other than
 *   undefined, which becomes the result (a plugin may veto or stop).
 */
export type HookMode = 'series' | 'waterfall' | 'bail';

/**
 * Flags a series handler may return, in the manner of Hugging Face's
 * TrainerControl. Each series hook honours the flags SERIES_CONTROLS lists
 * for it, and its handlers' type admits only those; a handler that returns
 * another flag set fails the run (HookError), so no request is dropped.
 */
export interface Control {
  /**
   * onEpochEnd: end the training loop after this epoch (the phase goes on:
   * shrinking scores, a searcher searches); onShrinkRound: end shrinking
   * after this round (the search runs over what remains).
   */
  stop?: boolean;
  /**
   * Save a checkpoint of the run as it is now. After onEpochEnd and
   * onShrinkRound the run saves one anyway; after onRunStart,
   * onSupernetBuilt and onSearchEnd it saves one because a handler asked.
   */
  saveCheckpoint?: boolean;
}

export type Phase = 'shrink' | 'search' | 'rank' | 'train';

/** What result.json holds (and onRunEnd receives): a pure function of the config and seed (no times, no paths). */
export interface RunResult {
  name: string;
  seed: number;
  space: string;
  searcher: string;
  metric: string | null;
  architecture: string;
  metrics: Record<string, number>;
  cost: { params: number; flops: number };
  shrink: {
    enabled: boolean;
    sizeBefore: number;
    sizeAfter: number;
    rounds: number;
    candidates: Record<string, string[]>;
  };
}

export interface RunStartInfo {
  runDir: string;
  /** The run's config as validated, defaults filled in (config.json). */
  config: Readonly<RunConfig>;
  backend: string;
  seed: number;
}

export interface SupernetBuiltInfo {
  phase: Phase;
  space: SearchSpace;
  supernet: Supernet;
  candidates: CandidateSet;
}

export interface EpochEndInfo {
  phase: Phase;
  /** 1-based epoch within the phase. */
  epoch: number;
  epochs: number;
  loss: number;
  trainAccuracy: number;
  learningRate: number;
  seconds: number;
}

export interface OperatorScore extends Operator {
  score: number;
  /** Number of child models the score averages. */
  children: number;
}

export interface ShrinkRoundInfo {
  round: number;
  scores: readonly OperatorScore[];
  dropped: readonly Operator[];
  sizeBefore: number;
  sizeAfter: number;
  candidates: CandidateSet;
}

export interface SearchEndInfo {
  architecture: Architecture;
  text: string;
  metrics: Readonly<Record<string, number>>;
}

export interface RunEndInfo {
  runDir: string;
  result: Readonly<RunResult>;
}

export interface ShrinkDecisionContext {
  round: number;
  candidates: CandidateSet;
  /** The run's drop policy (absent where no run set one): a space reads what it may let drop from it. */
  policy?: DropPolicyConfig;
}

/**
 * The control flags each series hook honours. onRunEnd honours none: the
 * run is over, there is nothing left to stop or to save.
 */
export const SERIES_CONTROLS = {
  onRunStart: ['saveCheckpoint'],
  onSupernetBuilt: ['saveCheckpoint'],
  onEpochEnd: ['stop', 'saveCheckpoint'],
  onShrinkRound: ['stop', 'saveCheckpoint'],
  onSearchEnd: ['saveCheckpoint'],
  onRunEnd: [],
} as const satisfies Record<string, readonly (keyof Control)[]>;

/** Hooks whose callers save a checkpoint after every call: that save answers saveCheckpoint. */
const SAVED_AFTER: ReadonlySet<HookName> = new Set<HookName>(['onEpochEnd', 'onShrinkRound']);

/** What a handler of series hook K may return: the flags K honours, or nothing. */
export type ControlOf<K extends keyof typeof SERIES_CONTROLS> = [(typeof SERIES_CONTROLS)[K][number]] extends [never]
  ? void
  : void | Pick<Control, (typeof SERIES_CONTROLS)[K][number]>;

/** Each hook: its mode, what handlers receive and what they return. */
export interface HookSignatures {
  onRunStart: { mode: 'series'; args: [RunStartInfo]; returns: ControlOf<'onRunStart'> };
  onSupernetBuilt: { mode: 'series'; args: [SupernetBuiltInfo]; returns: ControlOf<'onSupernetBuilt'> };
  onEpochEnd: { mode: 'series'; args: [EpochEndInfo]; returns: ControlOf<'onEpochEnd'> };
  /** Transform the operator scores of a shrink round before dropping. */
  onOperatorScores: { mode: 'waterfall'; args: [OperatorScore[], ShrinkDecisionContext]; returns: OperatorScore[] };
  /** Transform the list of operators about to be dropped. */
  onDropList: { mode: 'waterfall'; args: [Operator[], ShrinkDecisionContext]; returns: Operator[] };
  onShrinkRound: { mode: 'series'; args: [ShrinkRoundInfo]; returns: ControlOf<'onShrinkRound'> };
  /** Return true to end shrinking now (before the size threshold is reached). */
  shouldStopShrinking: { mode: 'bail'; args: [ShrinkDecisionContext]; returns: boolean | undefined };
  onSearchEnd: { mode: 'series'; args: [SearchEndInfo]; returns: ControlOf<'onSearchEnd'> };
  onRunEnd: { mode: 'series'; args: [RunEndInfo]; returns: ControlOf<'onRunEnd'> };
}

export type HookName = keyof HookSignatures;

export const HOOK_MODES: { readonly [K in HookName]: HookSignatures[K]['mode'] } = {
  onRunStart: 'series',
  onSupernetBuilt: 'series',
  onEpochEnd: 'series',
  onOperatorScores: 'waterfall',
  onDropList: 'waterfall',
  onShrinkRound: 'series',
  shouldStopShrinking: 'bail',
  onSearchEnd: 'series',
  onRunEnd: 'series',
};

export type HookHandler<K extends HookName> = (
  ...args: HookSignatures[K]['args']
) => HookSignatures[K]['returns'] | Promise<HookSignatures[K]['returns']>;

/** Where a handler runs relative to the others: as Vite's `enforce`. */
export type HookOrder = 'pre' | 'normal' | 'post';

type HooksOfMode<M extends HookMode> = { [K in HookName]: HookSignatures[K]['mode'] extends M ? K : never }[HookName];

export class HookError extends Error {
  constructor(readonly plugin: string, readonly hook: HookName, readonly cause: unknown) {
    super(`plugin '${plugin}' failed in hook ${hook}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'HookError';
  }
}

interface Tap {
  plugin: string;
  order: HookOrder;
  handler: (...args: unknown[]) => unknown;
}

const ORDER_RANK: Record<HookOrder, number> = { pre: 0, normal: 1, post: 2 };

/** The hook registry of one run. Every call is tagged with the plugin that made it. */
export class HookBus {
  private readonly taps = new Map<HookName, Tap[]>();
  private checkpoints?: CheckpointSink;

  /**
   * Where a handler's saveCheckpoint is answered: the run's checkpoints,
   * bound when the run opens. Unbound (a component used outside a run),
   * nothing is saved.
   */
  saveCheckpointsIn(checkpoints: CheckpointSink | undefined): void {
    this.checkpoints = checkpoints;
  }

  tap<K extends HookName>(hook: K, plugin: string, handler: HookHandler<K>, order: HookOrder = 'normal'): void {
    if (!(hook in HOOK_MODES)) {
      throw new Error(`plugin '${plugin}' tapped unknown hook '${String(hook)}' (known: ${Object.keys(HOOK_MODES).join(', ')})`);
    }
    const list = this.taps.get(hook) ?? [];
    list.push({ plugin, order, handler: handler as Tap['handler'] });
    // stable sort keeps registration order inside one `order` group
    list.sort((a, b) => ORDER_RANK[a.order] - ORDER_RANK[b.order]);
    this.taps.set(hook, list);
  }

  /** Plugins tapped into a hook, in call order. */
  tapped(hook: HookName): string[] {
    return (this.taps.get(hook) ?? []).map((t) => t.plugin);
  }

  /**
   * Run a series hook and merge the control flags its handlers return. A
   * requested checkpoint is saved here, unless the caller saves one after
   * this hook anyway (onEpochEnd, onShrinkRound); the caller acts on `stop`.
   */
  async series<K extends HooksOfMode<'series'>>(hook: K, ...args: HookSignatures[K]['args']): Promise<Control> {
    const control: Control = {};
    const honoured: readonly (keyof Control)[] = SERIES_CONTROLS[hook];
    for (const t of this.taps.get(hook) ?? []) {
      const r = (await this.invoke(t, hook, args)) as Control | void;
      if (!r || typeof r !== 'object') continue;
      for (const flag of ['stop', 'saveCheckpoint'] as const) {
        if (!r[flag]) continue;
        if (!honoured.includes(flag)) {
          const which = honoured.length > 0 ? `only ${honoured.join(' and ')}` : 'no control flags';
          throw new HookError(t.plugin, hook, new Error(`returned { ${flag}: true }, but ${hook} honours ${which}`));
        }
        control[flag] = true;
      }
    }
    if (control.saveCheckpoint && !SAVED_AFTER.has(hook)) await this.checkpoints?.save(`asked for by a handler of ${hook}`);
    return control;
  }

  async waterfall<K extends HooksOfMode<'waterfall'>>(
    hook: K,
    ...args: HookSignatures[K]['args']
  ): Promise<HookSignatures[K]['returns']> {
    let [value, ...rest] = args as unknown[];
    for (const t of this.taps.get(hook) ?? []) {
      value = await this.invoke(t, hook, [value, ...rest]);
      if (value === undefined) throw new HookError(t.plugin, hook, new Error('a waterfall handler must return a value'));
    }
    return value as HookSignatures[K]['returns'];
  }

  async bail<K extends HooksOfMode<'bail'>>(
    hook: K,
    ...args: HookSignatures[K]['args']
  ): Promise<HookSignatures[K]['returns']> {
    for (const t of this.taps.get(hook) ?? []) {
      const r = await this.invoke(t, hook, args);
      if (r !== undefined) return r as HookSignatures[K]['returns'];
    }
    return undefined as HookSignatures[K]['returns'];
  }

  private async invoke(t: Tap, hook: HookName, args: unknown[]): Promise<unknown> {
    try {
      return await t.handler(...args);
    } catch (e) {
      if (e instanceof HookError) throw e;
      throw new HookError(t.plugin, hook, e);
    }
  }
}
