/**
 * absnas as people install it: every package lerna manages is packed with
 * `npm pack`, the tarballs are installed into an empty project (no
 * workspace, no repository beside it), and there the absnas command lists
 * the plugins, runs the shipped quickstart and a ranking that reads the
 * NAS-Bench-201 table from the installed @absnas/core. A plugin scaffolded by
 * `absnas plugin new` in that project (registry version ranges, no paths of
 * this machine) builds and tests against the packed core, and is installed
 * into the project from its own tarball and used by name.
 *
 * Slow (npm installs from the registry): `npm run test:packaging`, run by
 * CI, not part of `npm test`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TINY, TINY_RANKING_SETTINGS } from '../e2e/helpers';

const ROOT = path.resolve(__dirname, '../..');

interface Ran {
  status: number | null;
  /** stdout and stderr */
  out: string;
  stdout: string;
}

/** A command as a user runs it: no npm or jest variables from around this test. */
function sh(command: string, args: string[], cwd: string, timeoutMs = 900000): Ran {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  for (const k of Object.keys(env)) if (/^npm_/i.test(k) || k === 'JEST_WORKER_ID' || k === 'INIT_CWD') delete env[k];
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function expectOk(r: Ran, what: string): void {
  expect({ what, status: r.status, out: r.status === 0 ? '' : r.out }).toEqual({ what, status: 0, out: '' });
}

function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Whether this machine can build the native kernels (as core/native/build.js decides). */
function canBuildNative(): boolean {
  const gxx = spawnSync(process.env.CXX || 'g++', ['--version']);
  return !gxx.error && gxx.status === 0 && fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp');
}

describe('the packed packages, installed into an empty project', () => {
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-packaging-')));
  const tarballs = path.join(work, 'tarballs');
  const project = path.join(work, 'project');
  const absnas = (args: string[], cwd = project): Ran => sh(process.execPath, [path.join(project, 'node_modules/.bin/absnas'), ...args], cwd);
  let packages: { name: string; version: string; file: string }[] = [];
  const tarballOf = (name: string): string => packages.find((p) => p.name === name)!.file;

  beforeAll(() => {
    fs.mkdirSync(tarballs);
    fs.mkdirSync(project);
    const lerna = sh(process.execPath, [require.resolve('lerna/dist/cli.js', { paths: [ROOT] }), 'list', '--json', '--loglevel', 'silent'], ROOT);
    expectOk(lerna, 'lerna list');
    for (const p of JSON.parse(lerna.stdout) as { name: string; version: string; location: string }[]) {
      const packed = sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], p.location);
      expectOk(packed, `npm pack ${p.name}`);
      const [info] = JSON.parse(packed.stdout) as { filename: string }[];
      packages.push({ name: p.name, version: p.version, file: path.join(tarballs, info.filename) });
    }
    // install scripts reviewed as npm 11 asks (allowScripts): absnas builds its native kernels on install
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify(
        { name: 'my-nas', private: true, allowScripts: { [`file:${tarballOf('@absnas/core')}`]: true, sharp: true, webgpu: true, 'core-js': false, 'msgpackr-extract': false } },
        null,
        2,
      ),
    );
    const installed = sh('npm', ['install', '--no-audit', '--no-fund', ...packages.map((p) => p.file)], project);
    expectOk(installed, 'npm install of the tarballs');
    expect(installed.out).not.toMatch(/install-scripts/);
  }, 1800000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('packs every package of the monorepo, presets included', () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@absnas/core', '@absnas/presets', '@absnas/space-nb201', '@absnas/metric-angle', '@absnas/spos']));
    expect(packages.length).toBeGreaterThanOrEqual(14);
  });

  it('absnas list shows every plugin package with its kind', () => {
    const r = absnas(['list']);
    expectOk(r, 'absnas list');
    const plugins = packages.filter((p) => (readJson<{ keywords?: string[] }>(path.join(project, 'node_modules', p.name, 'package.json')).keywords ?? []).includes('absnas-plugin'));
    expect(plugins.length).toBeGreaterThanOrEqual(12);
    for (const p of plugins) expect(r.out).toMatch(new RegExp(`^${p.name.replace('/', '\\/')}@${p.version.replace(/\./g, '\\.')}  (space|metric|searcher|extension)`, 'm'));
  });

  it('builds the native kernels on install where g++ and oneDNN exist, and absnas doctor says which', () => {
    const r = absnas(['doctor']);
    expectOk(r, 'absnas doctor');
    const built = fs.existsSync(path.join(project, 'node_modules/@absnas/core/native/build/absnas_native.node'));
    expect(built).toBe(canBuildNative());
    expect(r.out).toMatch(built ? /^native: +oneDNN /m : /^native: +not used: not built .*npm rebuild @absnas\/core/m);
  });

  it('runs the shipped quickstart by name', () => {
    const out = path.join(work, 'runs/quickstart');
    expectOk(absnas(['run', 'quickstart', ...TINY, '--out', out, '--quiet']), 'absnas run quickstart');
    expect(readJson<{ searcher: string }>(path.join(out, 'result.json')).searcher).toBe('spos');
  });

  it('ranks with the NAS-Bench-201 table of the installed @absnas/core', () => {
    const out = path.join(work, 'runs/rank');
    const small = TINY_RANKING_SETTINGS.flatMap((s) => ['--set', s]);
    expectOk(absnas(['rank', 'paper/nb201-ranking-mini', ...small, '--out', out, '--quiet']), 'absnas rank');
    expect(readJson<{ seeds: unknown[] }>(path.join(out, 'ranking.json')).seeds).toHaveLength(1);
    const start = fs.readFileSync(path.join(out, 'events.jsonl'), 'utf8').split('\n').map((l) => (l ? JSON.parse(l) : {})).find((e) => e.event === 'rankStart');
    expect(start.benchmark).toBe(path.join(project, 'node_modules/@absnas/core/data/nb201/nb201.csv.gz'));
  });

  it('a plugin scaffolded there builds and tests against the packed core, and runs installed from its own tarball', () => {
    expectOk(absnas(['plugin', 'new', 'my-metric', '--kind', 'metric']), 'absnas plugin new');
    const plugin = path.join(project, 'my-metric');
    const manifest = readJson<{ devDependencies: Record<string, string>; peerDependencies: Record<string, string> }>(path.join(plugin, 'package.json'));
    // version ranges of the registry, never a path of this machine
    expect(Object.entries(manifest.devDependencies).filter(([, spec]) => !/^\^\d/.test(spec))).toEqual([]);
    expect(manifest.peerDependencies['@absnas/core']).toBe(`^${packages[0].version}`);
    // absnas is not on the registry from here: its packages come from the tarballs, the tools from the registry.
    // (--ignore-scripts: the plugin's development copy of core needs no native kernels.)
    const absnasDev = Object.keys(manifest.devDependencies).filter((n) => n.startsWith('@absnas/')).map(tarballOf);
    expectOk(sh('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', ...absnasDev], plugin), 'npm install (plugin)');
    expect(readJson<{ devDependencies: Record<string, string> }>(path.join(plugin, 'package.json')).devDependencies).toEqual(manifest.devDependencies);
    expectOk(sh('npm', ['run', 'build'], plugin), 'npm run build (plugin)');
    expectOk(sh('npm', ['test'], plugin), 'npm test (plugin)');
    const packed = sh('npm', ['pack', '--json', '--ignore-scripts'], plugin);
    expectOk(packed, 'npm pack (plugin)');
    const [info] = JSON.parse(packed.stdout) as { filename: string }[];
    expectOk(sh('npm', ['install', '--no-audit', '--no-fund', path.join(plugin, info.filename)], project), 'npm install (plugin tarball)');
    expect(absnas(['list']).out).toMatch(/^my-metric@0\.1\.0  metric/m);
    const out = path.join(work, 'runs/my-metric');
    expectOk(absnas(['run', 'quickstart', ...TINY, '--set', 'shrink.metric.plugin=my-metric', '--out', out, '--quiet']), 'absnas run with the plugin');
    expect(readJson<{ metric: string }>(path.join(out, 'result.json')).metric).toBe('my-metric');
  });
});
