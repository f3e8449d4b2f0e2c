import type { CheckpointSink } from '../checkpoint/checkpointer';
import type { Interruption } from '../checkpoint/interrupt';
import { HookBus } from '../hooks/hooks';
import { type Progress, SilentProgress } from '../util/progress';

/**
 * What a run lends the parts that do its work (the trainers, the shrinker,
 * the searchers, the evolution): its hooks, progress, event log,
 * checkpoints and stop requests. One object, handed down as it is: a
 * searcher's SearchContext is one, so a searcher passes its context to the
 * trainers and the evolution it runs.
 */
export interface RunServices {
  hooks: HookBus;
  progress: Progress;
  /** Append a structured event to the run's events.jsonl. */
  emit(event: Record<string, unknown>): void;
  /**
   * The run's checkpoints: long loops register their state (a killed run
   * resumes where it was) and save at safe points. Absent: nothing is saved.
   */
  checkpoints?: CheckpointSink;
  /** Polled at safe points: when set, save a checkpoint and stop. */
  interruption?: Interruption;
}

/**
 * Services for a part used outside a run (a plugin's tests, a script): a
 * fresh hook bus, no progress output, events dropped, no checkpoints;
 * `overrides` replaces any of them.
 */
export function standaloneServices(overrides: Partial<RunServices> = {}): RunServices {
  return { hooks: new HookBus(), progress: new SilentProgress(), emit: () => undefined, ...overrides };
}
