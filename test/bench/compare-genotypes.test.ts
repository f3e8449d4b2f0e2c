/**
 * bench/compare-genotypes.js: the published ABS genotypes it carries, its
 * counts against a hand-computed case, and its tables from a run's result.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'bench/compare-genotypes.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const bench = require(SCRIPT);
const REF = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/reference/abs-darts-genotypes.json'), 'utf8'));

const CELLS = ['normal', 'reduce'];
const EDGE_IDS: string[] = [];
for (let to = 2; to < 6; to++) for (let from = 0; from < to; from++) EDGE_IDS.push(`${to}<-${from}`);

function lists(fill: (cell: string, edge: string) => string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const cell of CELLS) for (const e of EDGE_IDS) out[`${cell}:${e}`] = fill(cell, e);
  return out;
}

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function runDir(result: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-genotypes-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'result.json'), JSON.stringify(result));
  return dir;
}

describe('bench/compare-genotypes.js', () => {
  const published: { name: string; arch: string[] }[] = bench.loadReference();
  const byName = (n: string) => published.find((g) => g.name === n) as { name: string; arch: string[] };

  it('carries the two published genotypes, 16 operators each, only separable and dilated convolutions', () => {
    expect(published.map((g) => g.name)).toEqual(['DARTS_ABS', 'PDARTS_ABS']);
    expect(REF.source.repository).toBe('megvii-model/AngleNAS');
    for (const g of published) {
      const used = g.arch.filter((op) => op !== 'none');
      expect(used).toHaveLength(16);
      for (const op of used) expect(op).toMatch(/^(sep|dil)_conv_(3x3|5x5)$/);
    }
    // DARTS_ABS lists node 2 of the normal cell as ('sep_conv_3x3', 1), ('dil_conv_3x3', 0)
    expect(bench.nodeCell(byName('DARTS_ABS').arch, 'normal', 2)).toBe('dil_conv_3x3 (0), sep_conv_3x3 (1)');
    expect(bench.nodeCell(byName('PDARTS_ABS').arch, 'reduce', 5)).toBe('dil_conv_3x3 (2), dil_conv_3x3 (4)');
  });

  it('counts against a hand-computed case', () => {
    // PDARTS_ABS as the found cell, every edge's list {sep_conv_3x3, dil_conv_3x3}. DARTS_ABS holds
    // 5 (normal) + 6 (reduce) operators of that list; PDARTS_ABS equals it on normal 2<-0, 2<-1, 3<-2,
    // 5<-2, 5<-4 and reduce 2<-0, 5<-2: 7 of 16.
    const run = { name: 'r', arch: byName('PDARTS_ABS').arch, candidates: lists(() => ['sep_conv_3x3', 'dil_conv_3x3']) };
    expect(bench.compare(run, byName('DARTS_ABS'))).toEqual({ held: 11, total: 16, same: 7, used: 16 });
    // against itself: PDARTS_ABS holds 5 (normal) + 4 (reduce) operators of the list, and equals itself everywhere
    expect(bench.compare(run, byName('PDARTS_ABS'))).toEqual({ held: 9, total: 16, same: 16, used: 16 });
    // lists without the published operators' edges: none held
    const empty = { ...run, candidates: lists(() => ['none', 'max_pool_3x3']) };
    expect(bench.compare(empty, byName('DARTS_ABS')).held).toBe(0);
  });

  it('lists the operators the published genotypes use per edge: at most 2, as the reference keeps', () => {
    const used: { edge: string; ops: string[] }[] = bench.usedPerEdge(published);
    const at = (e: string) => (used.find((u) => u.edge === e) as { ops: string[] }).ops;
    // by hand from the two genotypes' (op, input) pairs, both cells
    expect(at('2<-0')).toEqual(['dil_conv_3x3']);
    expect(at('2<-1')).toEqual(['sep_conv_3x3', 'dil_conv_5x5']);
    expect(at('4<-3')).toEqual(['sep_conv_5x5', 'dil_conv_5x5']);
    expect(at('5<-1')).toEqual([]);
    expect(at('5<-3')).toEqual([]);
    expect(used.filter((u) => u.ops.length === 2)).toHaveLength(7);
    expect(used.filter((u) => u.ops.length === 1)).toHaveLength(5);
    for (const u of used) expect(u.ops.length).toBeLessThanOrEqual(2);
  });

  it('prints the tables of a run directory and refuses another space', () => {
    const dir = runDir({
      space: 'darts',
      architecture: REF.genotypes.DARTS_ABS,
      shrink: {
        candidates: lists((cell, e) =>
          e === '2<-0' ? ['none', 'dil_conv_3x3'] : e === '5<-1' && cell === 'reduce' ? ['none', 'avg_pool_3x3'] : ['none', 'skip_connect'],
        ),
      },
    });
    const out = spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    const d = dir;
    // DARTS_ABS's node 4 of the reduce cell: ('dil_conv_3x3', 0), ('dil_conv_5x5', 3); PDARTS_ABS's: ('dil_conv_5x5', 1), ('sep_conv_5x5', 3)
    expect(out.stdout).toContain(`| node | DARTS_ABS | PDARTS_ABS | ${d} |`);
    expect(out.stdout).toContain('| 4 | dil_conv_3x3 (0), dil_conv_5x5 (3) | dil_conv_5x5 (1), sep_conv_5x5 (3) | dil_conv_3x3 (0), dil_conv_5x5 (3) |');
    // DARTS_ABS uses edge 2<-0 in both cells, with dil_conv_3x3: 2 of its 16 operators are in the lists
    expect(out.stdout).toContain(`| ${d} | DARTS_ABS | 2 of 16 | 16 of 16 |`);
    expect(out.stdout).toContain(`| edge | used by DARTS_ABS or PDARTS_ABS | ${d} |`);
    expect(out.stdout).toContain('| 2<-0 | dil_conv_3x3 | none, dil_conv_3x3 |');
    expect(out.stdout).toContain('| 5<-1 | - | none, skip_connect \\| none, avg_pool_3x3 |');

    const other = runDir({ space: 'nb201', architecture: '', shrink: { candidates: {} } });
    const bad = spawnSync(process.execPath, [SCRIPT, other], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/space 'nb201', not darts/);
  });
});
