import * as path from 'path';
import type { PluginRef, RunConfig } from '../config/types';

/** One cell of the comparison matrix: a searcher over one space variant with one seed. */
export interface CompareCell {
  /** Short name of the searcher in tables ('spos', 'darts', 'spos-2' for a second SPOS). */
  label: string;
  searcher: PluginRef;
  variant: 'original' | 'abs';
  seed: number;
  /** The cell's run directory. */
  dir: string;
  /** The ABS cell of this seed that shrinks; the other ABS cells of the seed search its shrunk space. */
  shrinks: boolean;
  /** The shrunk-space.json this cell searches (ABS cells that do not shrink themselves). */
  shrunkSpaceFrom?: string;
}

function labels(searchers: readonly PluginRef[]): string[] {
  const seen = new Map<string, number>();
  return searchers.map((s) => {
    const base = path.basename(s.plugin).replace(/^@[^/]+\//, '').replace(/\.(js|ts)$/, '');
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/**
 * The cells in the order they run: per seed, the original space first, then
 * the ABS cells, the first of which shrinks the space once for all the others.
 */
export function planCells(config: RunConfig, outDir: string): CompareCell[] {
  const compare = config.compare;
  if (!compare) throw new Error('planCells needs a compare section');
  const names = labels(compare.searchers);
  const cells: CompareCell[] = [];
  for (const seed of compare.seeds) {
    for (const variant of (['original', 'abs'] as const).filter((v) => compare.spaces.includes(v))) {
      let shrinker: CompareCell | undefined;
      compare.searchers.forEach((searcher, i) => {
        const dir = path.join(outDir, 'cells', `${names[i]}-${variant}-seed${seed}`);
        const cell: CompareCell = { label: names[i], searcher, variant, seed, dir, shrinks: false };
        if (variant === 'abs') {
          if (!shrinker) {
            cell.shrinks = true;
            shrinker = cell;
          } else {
            cell.shrunkSpaceFrom = path.join(shrinker.dir, 'shrunk-space.json');
          }
        }
        cells.push(cell);
      });
    }
  }
  return cells;
}

/** The run config of one cell: the base config with its seed, searcher and space variant. */
export function cellConfig(raw: Record<string, unknown>, cell: CompareCell, name: string): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
  delete out.compare;
  delete out.rank;
  delete out.extends;
  out.name = `${name}-${cell.label}-${cell.variant}-seed${cell.seed}`;
  out.seed = cell.seed;
  out.search = cell.searcher;
  const shrink = { ...((out.shrink as Record<string, unknown>) ?? {}) };
  shrink.enabled = cell.shrinks;
  out.shrink = shrink;
  if (cell.shrunkSpaceFrom) out.shrunkSpace = cell.shrunkSpaceFrom;
  else delete out.shrunkSpace;
  return out;
}
