import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ensureDir, withFileErrors } from '../util/fs';
import { CheckpointContent, CheckpointError, readCheckpoint, writeCheckpoint } from './format';

/** What a part of the run state captures for a checkpoint. */
export interface Captured {
  state: unknown;
  tensors?: Map<string, Float32Array>;
}

/**
 * A piece of run state that is saved in checkpoints and restored on resume.
 * `capture` may be asynchronous: tensors on a GPU are read so (webgpu in
 * Node can read no other way). It takes the state as it is when called.
 */
export interface Checkpointable {
  capture(): Captured | Promise<Captured>;
  restore(state: unknown, tensors: ReadonlyMap<string, Float32Array>): void;
}

/**
 * What long loops (trainer epochs, evolution iterations) see of the run's
 * checkpoints: they register their state and ask for saves at safe points.
 */
export interface CheckpointSink {
  register(key: string, part: Checkpointable): boolean;
  unregister(key: string): void;
  pendingState(key: string): unknown;
  /** Write a checkpoint of every registered part; await it before the state changes again. */
  save(reason: string): Promise<void>;
  readonly lastSaved: string | undefined;
}

export interface LoadedCheckpoint {
  file: string;
  sequence: number;
  reason: string;
  parts: Record<string, unknown>;
  tensors: Map<string, Float32Array>;
}

const PREFIX = 'checkpoint-';
const SUFFIX = '.ckpt';

/** A stable hash of the effective config: a checkpoint resumes only the config it was written for. */
export function configHash(config: unknown): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
      : Array.isArray(v)
        ? v.map(canonical)
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex').slice(0, 16);
}

/**
 * The run's checkpoints: every registered part is captured into one file,
 * written atomically with a checksum; the newest two are kept. Loading takes
 * the newest valid one and says why a newer one was skipped.
 */
export class Checkpointer implements CheckpointSink {
  private readonly parts = new Map<string, Checkpointable>();
  private sequence = 0;
  /** The checkpoint being resumed from: parts restore from it as they register. */
  private pending: LoadedCheckpoint | undefined;
  /** Paths of checkpoints written or found, newest last. */
  lastSaved: string | undefined;
  /**
   * Called before each checkpoint is written; throws to stop the run instead
   * (a run whose directory another process has taken over must not write).
   */
  beforeWrite: (() => void) | undefined;

  constructor(readonly dir: string, private readonly hash: string, private readonly keep = 2) {
    this.sequence = Math.max(0, ...this.files().map((f) => f.sequence));
  }

  /** Resume from `loaded`: each part that registers from now on is restored from it. */
  resumeFrom(loaded: LoadedCheckpoint): void {
    this.pending = loaded;
  }

  /** The saved state of a part in the checkpoint being resumed, if any (for parts that rebuild themselves). */
  pendingState(key: string): unknown {
    return this.pending?.parts[key];
  }

  /**
   * Add a part to every later checkpoint. When resuming and the checkpoint
   * holds this part, it is restored now; returns whether it was.
   */
  register(key: string, part: Checkpointable): boolean {
    this.parts.set(key, part);
    const loaded = this.pending;
    if (!loaded || !(key in loaded.parts)) return false;
    const prefix = `${key}/`;
    const tensors = new Map<string, Float32Array>();
    for (const [name, data] of loaded.tensors) if (name.startsWith(prefix)) tensors.set(name.slice(prefix.length), data);
    part.restore(loaded.parts[key], tensors);
    return true;
  }

  unregister(key: string): void {
    this.parts.delete(key);
  }

  /**
   * Capture every part and write the checkpoint. When every part captures
   * synchronously, the file is written before this returns.
   */
  save(reason: string): Promise<void> {
    this.beforeWrite?.();
    const captured = [...this.parts].map(([key, part]) => [key, part.capture()] as const);
    if (!captured.some(([, c]) => c instanceof Promise)) {
      this.write(reason, captured as (readonly [string, Captured])[]);
      return Promise.resolve();
    }
    return Promise.all(captured.map(async ([key, c]) => [key, await c] as const)).then((all) => this.write(reason, all));
  }

  private write(reason: string, captured: readonly (readonly [string, Captured])[]): void {
    const tensors = new Map<string, Float32Array>();
    const states: Record<string, unknown> = {};
    for (const [key, { state, tensors: t }] of captured) {
      states[key] = state;
      for (const [name, data] of t ?? []) tensors.set(`${key}/${name}`, data);
    }
    this.sequence++;
    const content: CheckpointContent = {
      meta: { configHash: this.hash, sequence: this.sequence, reason, parts: states },
      tensors,
    };
    ensureDir(this.dir);
    const file = path.join(this.dir, `${PREFIX}${String(this.sequence).padStart(6, '0')}${SUFFIX}`);
    writeCheckpoint(file, content);
    this.lastSaved = file;
    for (const old of this.files().slice(0, -this.keep)) fs.rmSync(old.file, { force: true });
  }

  /** The newest checkpoint that reads back and matches this config; undefined if there is none. */
  latest(warn: (message: string) => void = () => undefined): LoadedCheckpoint | undefined {
    const files = this.files().reverse();
    let firstError: CheckpointError | undefined;
    for (const f of files) {
      try {
        const c = readCheckpoint(f.file);
        if (c.meta.configHash !== this.hash) {
          throw new CheckpointError(
            `checkpoint ${f.file}: written for another config (hash ${String(c.meta.configHash)}, this run's config has ${this.hash})`,
          );
        }
        this.lastSaved = f.file;
        return {
          file: f.file,
          sequence: Number(c.meta.sequence),
          reason: String(c.meta.reason),
          parts: c.meta.parts as Record<string, unknown>,
          tensors: c.tensors,
        };
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw e;
        firstError ??= e;
        warn(`${e.message}; trying an older one`);
      }
    }
    if (firstError) throw firstError;
    return undefined;
  }

  private files(): { file: string; sequence: number }[] {
    if (!fs.existsSync(this.dir)) return [];
    return withFileErrors('read the folder', this.dir, () => fs.readdirSync(this.dir))
      .filter((f) => f.startsWith(PREFIX) && f.endsWith(SUFFIX))
      .map((f) => ({ file: path.join(this.dir, f), sequence: Number(f.slice(PREFIX.length, -SUFFIX.length)) }))
      .filter((f) => Number.isFinite(f.sequence))
      .sort((a, b) => a.sequence - b.sequence);
  }
}
