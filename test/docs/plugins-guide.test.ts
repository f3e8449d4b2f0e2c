/**
 * docs/plugins.md cannot rot: every block tagged with a file name is written
 * into a fresh package outside the repository, the `sh run` blocks are run
 * in it in order (`npx tsc` and `npx absnas` as the package would run them),
 * and each `text output` block must be what the command before it printed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { absnas, codeBlocks, filesOf, linkDevDependencies, readJson, ROOT, run, tempDir, writeFiles } from './authoring';

const GUIDE = path.join(ROOT, 'docs/plugins.md');
const EXAMPLE = path.join(ROOT, 'docs/examples/metric-gradnorm');

const blocks = codeBlocks(fs.readFileSync(GUIDE, 'utf8'));
const files = filesOf(blocks);

/** One command line of a `sh run` block, as the package would run it. */
function runLine(line: string, cwd: string): ReturnType<typeof run> {
  const [tool, command, ...args] = line.trim().split(/\s+/);
  if (tool === 'npx' && command === 'absnas') return absnas(args, cwd);
  if (tool === 'npx' && command === 'tsc') return run(process.execPath, [path.join(cwd, 'node_modules/typescript/bin/tsc'), ...args], cwd);
  throw new Error(`docs/plugins.md: the test does not know how to run '${line}'`);
}

describe('docs/plugins.md', () => {
  const dir = tempDir('guide');

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tags every code block: a file of the package, a command, the output of the command before it, or the formula', () => {
    const shown = (b: (typeof blocks)[number]): boolean => b.lang === 'text' && (b.flags.has('output') || b.flags.has('formula'));
    const untagged = blocks.filter((b) => !b.file && b.lang !== 'sh' && !shown(b));
    expect(untagged.map((b) => `line ${b.line}: ${b.body.slice(0, 40)}`)).toEqual([]);
    expect([...files.keys()].sort()).toEqual(['package.json', 'presets/gradnorm.json', 'src/index.ts', 'tsconfig.json']);
    blocks.forEach((b, i) => {
      if (b.flags.has('output')) expect(blocks[i - 1]?.flags.has('run')).toBe(true);
    });
  });

  it('defines the metric by the formula its source implements', () => {
    const formulas = blocks.filter((b) => b.flags.has('formula')).map((b) => b.body.trim());
    expect(formulas).toHaveLength(1);
    expect(files.get('src/index.ts')).toContain(` *   ${formulas[0]}\n`);
  });

  it('builds the plugin of docs/examples/metric-gradnorm, file for file', () => {
    for (const [rel, text] of files) expect({ file: rel, text }).toEqual({ file: rel, text: fs.readFileSync(path.join(EXAMPLE, rel), 'utf8') });
  });

  it('compiles against the built absnas and runs ABS with the new metric, as written', () => {
    writeFiles(dir, files);
    linkDevDependencies(dir);
    let commands = 0;
    blocks.forEach((b, i) => {
      if (b.lang !== 'sh' || !b.flags.has('run')) return;
      const expected = Number(b.attrs.exit ?? 0);
      const lines = b.body.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      lines.forEach((line, k) => {
        const r = runLine(line, dir);
        commands++;
        const last = k === lines.length - 1;
        expect({ line, status: r.status, output: r.status === expected ? '' : r.stdout + r.stderr }).toEqual({ line, status: expected, output: '' });
        const shown = blocks[i + 1];
        if (last && shown?.lang === 'text' && shown.flags.has('output')) expect((r.stdout + r.stderr).trim()).toBe(shown.body.trim());
      });
    });
    expect(commands).toBeGreaterThanOrEqual(3);

    const out = path.join(dir, 'runs/gradnorm');
    expect(fs.existsSync(path.join(out, 'result.json'))).toBe(true);
    const shrunk = readJson<{ metric: string; rounds: { scores: { score: number }[] }[] }>(path.join(out, 'shrunk-space.json'));
    expect(shrunk.metric).toBe('gradnorm');
    expect(shrunk.rounds.length).toBeGreaterThan(0);
    // gradient norms: finite and positive for every scored operator
    for (const s of shrunk.rounds[0].scores) expect(s.score).toBeGreaterThan(0);
    expect(readJson<{ metric: string }>(path.join(out, 'result.json')).metric).toBe('gradnorm');
  });
});
