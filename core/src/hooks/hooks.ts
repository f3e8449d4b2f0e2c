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

/** Flags a series handler may return, in the manner of Hugging Face's TrainerControl. */
export interface Control {
  /** Stop the current phase (training, shrinking, search) after this step. */
  stop?: boolean;
  /** Save a checkpoint now. */
  saveCheckpoint?: boolean;
}

export type Phase = 'shrink' | 'search' | 'rank' | 'train';

export interface RunStartInfo {
  runDir: string;
  config: Readonly<Record<string, unknown>>;
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
  result: Readonly<Record<string, unknown>>;
}

export interface ShrinkDecisionContext {
  round: number;
  candidates: CandidateSet;
}

/** Each hook: its mode, what handlers receive and what they return. */
export interface HookSignatures {
  onRunStart: { mode: 'series'; args: [RunStartInfo]; returns: void | Control };
  onSupernetBuilt: { mode: 'series'; args: [SupernetBuiltInfo]; returns: void | Control };
  onEpochEnd: { mode: 'series'; args: [EpochEndInfo]; returns: void | Control };
  /** Transform the operator scores of a shrink round before dropping. */
  onOperatorScores: { mode: 'waterfall'; args: [OperatorScore[], ShrinkDecisionContext]; returns: OperatorScore[] };
  /** Transform the list of operators about to be dropped. */
  onDropList: { mode: 'waterfall'; args: [Operator[], ShrinkDecisionContext]; returns: Operator[] };
  onShrinkRound: { mode: 'series'; args: [ShrinkRoundInfo]; returns: void | Control };
  /** Return true to end shrinking now (before the size threshold is reached). */
  shouldStopShrinking: { mode: 'bail'; args: [ShrinkDecisionContext]; returns: boolean | undefined };
  onSearchEnd: { mode: 'series'; args: [SearchEndInfo]; returns: void | Control };
  onRunEnd: { mode: 'series'; args: [RunEndInfo]; returns: void | Control };
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

  /** Run a series hook; merges the control flags the handlers return. */
  async series<K extends HooksOfMode<'series'>>(hook: K, ...args: HookSignatures[K]['args']): Promise<Control> {
    const control: Control = {};
    for (const t of this.taps.get(hook) ?? []) {
      const r = (await this.invoke(t, hook, args)) as Control | void;
      if (r && typeof r === 'object') {
        if (r.stop) control.stop = true;
        if (r.saveCheckpoint) control.saveCheckpoint = true;
      }
    }
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
