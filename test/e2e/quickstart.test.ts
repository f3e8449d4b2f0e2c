import * as fs from 'fs';
import * as path from 'path';
import { ROOT, runCli, tempDir, TINY } from './helpers';

const NB201_STRING = /^\|[a-z_0-9]+~0\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|[a-z_0-9]+~2\|$/;

describe('absnas run (quickstart components, tiny budget)', () => {
  const dirs = [tempDir('run-a'), tempDir('run-b')];
  let first: ReturnType<typeof runCli>;

  beforeAll(() => {
    first = runCli(['run', 'presets/quickstart.json', ...TINY, '--out', dirs[0], '--quiet']);
  });

  it('writes a complete run directory naming a valid NAS-Bench-201 architecture', () => {
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    for (const f of ['config.json', 'events.jsonl', 'shrunk-space.json', 'result.json', 'report.md', 'search-history.json']) {
      expect(fs.existsSync(path.join(dirs[0], f))).toBe(true);
    }
    const result = JSON.parse(fs.readFileSync(path.join(dirs[0], 'result.json'), 'utf8'));
    expect(result.architecture).toMatch(NB201_STRING);
    expect(result.shrink.sizeBefore).toBe(15625);
    expect(result.shrink.sizeAfter).toBeLessThanOrEqual(100);
    expect(result.metrics.valAccuracy).toBeGreaterThanOrEqual(0);
    // the found child lies in the shrunk space
    const shrunk = JSON.parse(fs.readFileSync(path.join(dirs[0], 'shrunk-space.json'), 'utf8'));
    const ops = result.architecture.split(/[|+]+/).filter(Boolean).map((s: string) => s.split('~')[0]);
    const ids = ['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2'];
    ops.forEach((op: string, i: number) => expect(shrunk.candidates[ids[i]]).toContain(op));
    const report = fs.readFileSync(path.join(dirs[0], 'report.md'), 'utf8');
    expect(report).toContain('## Shrinking');
    expect(report).toContain(result.architecture);
    expect(first.stdout).toContain(`architecture: ${result.architecture}`);
  });

  it('gives an identical result.json for the same seed', () => {
    const second = runCli(['run', 'presets/quickstart.json', ...TINY, '--out', dirs[1], '--quiet']);
    expect(second.status).toBe(0);
    const a = fs.readFileSync(path.join(dirs[0], 'result.json'), 'utf8');
    const b = fs.readFileSync(path.join(dirs[1], 'result.json'), 'utf8');
    expect(b).toBe(a);
  });

  it('records the effective config and events', () => {
    const config = JSON.parse(fs.readFileSync(path.join(dirs[0], 'config.json'), 'utf8'));
    expect(config.data.trainSize).toBe(256);
    expect(config.shrink.policy).toEqual({ kind: 'global', count: 20, dropAbsent: false });
    const events = fs.readFileSync(path.join(dirs[0], 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].event).toBe('runStart');
    expect(events.some((e) => e.event === 'shrinkRound')).toBe(true);
    expect(events[events.length - 1].event).toBe('runEnd');
  });

  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
});

describe('bad presets: one clear line, exit code 2, no stack trace', () => {
  const dir = tempDir('bad');
  const write = (name: string, body: unknown): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify(body));
    return f;
  };
  const base = path.join(ROOT, 'presets/quickstart.json');

  function expectCleanFailure(r: ReturnType<typeof runCli>, pattern: RegExp): void {
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  it('a typo in a key', () => {
    const f = write('typo.json', { extends: base, shrink: { threshhold: 10 } });
    expectCleanFailure(runCli(['run', f]), /typo\.json: \/shrink\/threshhold: unknown key 'threshhold'/);
  });

  it('a string where a number belongs', () => {
    const f = write('type.json', { extends: base, data: { trainSize: '2000' } });
    expectCleanFailure(runCli(['run', f]), /type\.json: \/data\/trainSize: expected integer, got string/);
  });

  it('an unknown plugin', () => {
    const f = write('plugin.json', { extends: base, search: { plugin: '@absnas/no-such-searcher', options: {} } });
    expectCleanFailure(runCli(['run', f]), /plugin\.json: \/search\/plugin: unknown plugin '@absnas\/no-such-searcher'/);
  });

  it('a bad --set value', () => {
    expectCleanFailure(runCli(['run', base, '--set', 'seed=abc']), /--set seed=abc: \/seed: expected integer, got string/);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
});
