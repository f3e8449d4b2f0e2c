import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ROOT, runCli, tempDir } from './helpers';

const dir = tempDir('compare');
const preset = path.join(dir, 'compare.json');
fs.writeFileSync(
  preset,
  JSON.stringify({
    extends: path.join(ROOT, 'presets/quickstart.json'),
    name: 'cmp',
    data: { dataset: 'synthetic', trainSize: 128, valSize: 32, testSize: 32 },
    space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
    shrink: { epochsBeforeFirstRound: 1, train: { batchSize: 32 } },
    compare: {
      searchers: [
        { plugin: '@absnas/spos', options: { epochs: 1, train: { batchSize: 32 }, evolution: { population: 4, iterations: 2, topK: 2, crossovers: 2, mutations: 2 }, recalibrationBatches: 1, evalBatchSize: 32 } },
        { plugin: '@absnas/spos', options: { epochs: 2, train: { batchSize: 32 }, evolution: { population: 4, iterations: 1, topK: 2, crossovers: 2, mutations: 2 }, recalibrationBatches: 1, evalBatchSize: 32 } },
      ],
      seeds: [0, 1],
    },
  }),
);

const deterministic = (file: string) => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete j.timing;
  return j;
};

describe('absnas compare', () => {
  const full = path.join(dir, 'full');

  it('runs the matrix, shrinking once per seed, and writes the table', () => {
    const r = runCli(['compare', preset, '--out', full, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cells = fs.readdirSync(path.join(full, 'cells')).sort();
    expect(cells).toEqual(
      ['spos', 'spos-2'].flatMap((s) => ['abs', 'original'].flatMap((v) => [0, 1].map((k) => `${s}-${v}-seed${k}`))).sort(),
    );
    // one shrunk space per seed, shared: only the first ABS cell of a seed shrinks
    expect(fs.existsSync(path.join(full, 'cells/spos-abs-seed0/shrunk-space.json'))).toBe(true);
    expect(fs.existsSync(path.join(full, 'cells/spos-2-abs-seed0/shrunk-space.json'))).toBe(false);
    const shared = JSON.parse(fs.readFileSync(path.join(full, 'cells/spos-2-abs-seed0/config.json'), 'utf8'));
    expect(shared.shrunkSpace).toBe(path.join(full, 'cells/spos-abs-seed0/shrunk-space.json'));
    expect(shared.shrink.enabled).toBe(false);
    const result = JSON.parse(fs.readFileSync(path.join(full, 'compare.json'), 'utf8'));
    expect(result.measure).toBe('c10_test_200');
    expect(result.best.value).toBeCloseTo(94.3733, 3);
    expect(result.table.map((r: { searcher: string }) => r.searcher)).toEqual(['spos', 'spos-2']);
    for (const row of result.table) {
      expect(row.original.n).toBe(2);
      expect(row.abs.n).toBe(2);
      expect(row.gain).toBeCloseTo(row.abs.mean - row.original.mean, 10);
      expect(row.regretAbs).toBeCloseTo(result.best.value - row.abs.mean, 10);
    }
    // ABS cells searched inside their seed's shrunk space
    const shrunk = JSON.parse(fs.readFileSync(path.join(full, 'cells/spos-abs-seed1/shrunk-space.json'), 'utf8')).candidates;
    const found = result.cells.find((c: { label: string; variant: string; seed: number }) => c.label === 'spos-2' && c.variant === 'abs' && c.seed === 1);
    const ops = found.architecture.split(/[|+]+/).filter(Boolean).map((s: string) => s.split('~')[0]);
    ['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2'].forEach((id, i) => expect(shrunk[id]).toContain(ops[i]));
    expect(fs.readFileSync(path.join(full, 'compare.md'), 'utf8')).toContain('| spos-2 |');
    expect(fs.readFileSync(path.join(full, 'compare.csv'), 'utf8').split('\n')[0]).toMatch(/^searcher,original_mean/);
    expect(fs.readFileSync(path.join(full, 'report.html'), 'utf8')).toContain('Found architectures with and without ABS');
  });

  it('killed half way and re-run, finishes only the missing cells with the same table', async () => {
    const killed = path.join(dir, 'killed');
    const child = spawn(process.execPath, [CLI, 'compare', preset, '--out', killed, '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const firstDone = path.join(killed, 'cells/spos-original-seed0/result.json');
    for (let t = 0; !fs.existsSync(firstDone) && t < 1200; t++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await exited;
    expect(fs.existsSync(firstDone)).toBe(true);
    const before = fs.statSync(firstDone).mtimeMs;
    const r = runCli(['compare', preset, '--out', killed]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('spos / original / seed 0: done before, kept');
    expect(fs.statSync(firstDone).mtimeMs).toBe(before);
    expect(deterministic(path.join(killed, 'compare.json'))).toEqual(deterministic(path.join(full, 'compare.json')));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
});
