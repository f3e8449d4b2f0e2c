/**
 * The commands a user pastes from README.md and docs/*.md work. Every line of
 * every shell block is either run here, in order, in a fresh working folder
 * (absnas commands, with small settings appended where a line names a preset
 * that would take minutes), or listed in ELSEWHERE with the test or CI step
 * that runs it instead. A new line in the docs fails this test until it is
 * one or the other, so the docs cannot drift from the CLI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TINY_RANKING_SETTINGS, TINY_SETTINGS } from '../e2e/helpers';
import { codeBlocks, ROOT, run, tempDir } from './authoring';

const BIN = path.join(ROOT, 'core/bin/absnas.js');

/** Lines not run here, and where they are run. */
const ELSEWHERE: Record<string, string> = {
  'npm ci && npm run quickstart': '.ci/run, in a fresh clone',
  'npm ci && npm test': '.ci/run, in a fresh clone',
  'npx absnas data fetch cifar10': '.ci/run, in a fresh clone (a download of 160 MB)',
  'npx tsc -p tsconfig.json': 'test/docs/plugins-guide.test.ts (an `sh run` block)',
  'npx absnas run presets/gradnorm.json --out runs/gradnorm --quiet': 'test/docs/plugins-guide.test.ts',
  'npx absnas run presets/gradnorm.json --set shrink.metric.options.batchSize=0': 'test/docs/plugins-guide.test.ts',
  'npm install absnas-metric-gradnorm': 'test/docs/example-gradnorm.test.ts (installed from its folder, offline)',
  'npx absnas list': 'here (README) and test/docs/example-gradnorm.test.ts',
  'npx absnas run my-preset.json --set shrink.metric.plugin=absnas-metric-gradnorm': 'test/docs/example-gradnorm.test.ts',
  'npm run build && npm publish': 'never: it publishes to the registry',
  'npm install @absnas/core @absnas/presets @absnas/space-nb201 @absnas/metric-angle @absnas/spos':
    'test/packaging/install.test.ts (the packed tarballs; CI runs it)',
  'npm install-scripts approve @absnas/core sharp webgpu': 'test/packaging/install.test.ts (the same approvals, in package.json)',
  'npx absnas plugin new absnas-metric-mine --kind metric': 'test/e2e/plugin-scaffold.test.ts',
  'cd absnas-metric-mine && npm install && npm run build && npm test && npm run search': 'test/e2e/plugin-scaffold.test.ts',
  'npx absnas worker --queue redis://:a-long-random-password@10.0.0.1:6379/0 --name gpu1':
    'test/queue/queue.test.ts (workers against a redis-server the test starts; no Redis listens at 10.0.0.1 here)',
  'npx absnas compare presets/paper/nb201-compare.json --queue redis://:a-long-random-password@10.0.0.1:6379/0 --out /mnt/absnas/nb201-compare':
    'test/queue/queue.test.ts (the same command on a small matrix, against a redis-server the test starts)',
};

/** Settings that make a preset's run take seconds: same components, tiny budget. */
const SMALL: Record<string, readonly string[]> = {
  'presets/quickstart.json': TINY_SETTINGS,
  quickstart: TINY_SETTINGS,
  'presets/paper/nb201-compare-mini.json': [
    'data={"dataset":"synthetic","trainSize":128,"valSize":64,"testSize":32}',
    'space.options.channels=4',
    'shrink.epochsBeforeFirstRound=1',
    'shrink.train.stepsPerEpoch=2',
    'compare.seeds=[0]',
    ...[0, 1, 2].flatMap((i) => [`compare.searchers.${i}.options.epochs=1`, `compare.searchers.${i}.options.train.stepsPerEpoch=2`]),
    'compare.searchers.0.options.evolution={"population":2,"iterations":1,"topK":1,"crossovers":1,"mutations":1}',
    'compare.searchers.1.options.warmupEpochs=0',
    'compare.searchers.1.options.arch.batchSize=16',
    'compare.searchers.3.options.train.stepsPerEpoch=2',
    ...[0, 1, 2].flatMap((s) => [`compare.searchers.3.options.stages.${s}.epochs=1`, `compare.searchers.3.options.stages.${s}.warmupEpochs=0`]),
  ],
  'presets/paper/nb201-ranking-mini.json': TINY_RANKING_SETTINGS,
};

interface DocLine {
  file: string;
  line: number;
  text: string;
}

/** The command lines of the shell blocks of README.md and docs/*.md: comments and blank lines dropped. */
function docLines(): DocLine[] {
  const files = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const out: DocLine[] = [];
  for (const file of files) {
    for (const block of codeBlocks(fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
      if (!['sh', 'bash', 'shell'].includes(block.lang)) continue;
      block.body.split('\n').forEach((raw, i) => {
        const text = raw.replace(/\s+#.*$/, '').trim();
        if (text !== '' && !text.startsWith('#')) out.push({ file, line: block.line + 1 + i, text });
      });
    }
  }
  return out;
}

/** Splits a command line into words as a shell would here (single quotes only; the docs use no others). */
function words(text: string): string[] {
  return [...text.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

describe('the shell commands of README.md and docs/*.md', () => {
  const lines = docLines();
  const work = tempDir('docs-commands');
  // the presets as a user's checkout has them, beside the runs the commands write
  fs.symlinkSync(path.join(ROOT, 'presets'), path.join(work, 'presets'));
  fs.symlinkSync(path.join(ROOT, 'docs'), path.join(work, 'docs'));
  const env = { ABSNAS_CACHE: path.join(work, 'cache') };

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('are each run here or named in ELSEWHERE with where they run, and ELSEWHERE names no line the docs dropped', () => {
    const runnable = (t: string): boolean => ELSEWHERE[t] === undefined || ELSEWHERE[t].startsWith('here');
    const unknown = lines.filter((l) => runnable(l.text) && !/^npx absnas /.test(l.text) && !/^npm run build && docs\//.test(l.text));
    expect(unknown.map((l) => `${l.file}:${l.line}: ${l.text}`)).toEqual([]);
    const stale = Object.keys(ELSEWHERE).filter((t) => !lines.some((l) => l.text === t));
    expect(stale).toEqual([]);
  });

  it('run as written, in order, with small settings for the presets that would take minutes', () => {
    let ran = 0;
    for (const l of lines) {
      if (ELSEWHERE[l.text] !== undefined && !ELSEWHERE[l.text].startsWith('here')) continue;
      let argv = words(l.text);
      // `npm run build && <script> ...`: absnas is built already; the script runs with small settings too
      if (argv[0] === 'npm') argv = argv.slice(argv.indexOf('&&') + 1);
      else argv = [process.execPath, BIN, ...argv.slice(2)]; // npx absnas -> the bin npm links
      const preset = argv.find((a) => SMALL[a] !== undefined);
      if (preset) argv.push(...SMALL[preset].flatMap((s) => ['--set', s]));
      const r = run(argv[0], argv.slice(1), work, 600000, env);
      ran++;
      expect({ where: `${l.file}:${l.line}`, command: l.text, status: r.status, output: r.status === 0 ? '' : r.stdout + r.stderr }).toEqual({
        where: `${l.file}:${l.line}`,
        command: l.text,
        status: 0,
        output: '',
      });
    }
    expect(ran).toBeGreaterThanOrEqual(12);
    // what the README says the runs write
    for (const f of ['config.json', 'events.jsonl', 'checkpoints', 'shrunk-space.json', 'result.json', 'report.md', 'report.html']) {
      expect(fs.existsSync(path.join(work, 'runs/mine', f))).toBe(true);
    }
    expect(fs.existsSync(path.join(work, 'runs/mine/export-tfjs/model.json'))).toBe(true);
    expect(fs.existsSync(path.join(work, 'my-metric/package.json'))).toBe(true);
  }, 1800000);
});
