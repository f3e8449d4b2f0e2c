/**
 * `absnas plugin new` for each kind: the package it writes builds, passes its
 * own tests and, installed beside absnas (offline), runs a tiny search.
 */
import * as fs from 'fs';
import * as path from 'path';
import { absnas, linkDevDependencies, npmInstallFolders, readJson, ROOT, run, tempDir } from '../docs/authoring';

const KINDS = ['metric', 'searcher', 'space'] as const;
type Kind = (typeof KINDS)[number];
const nameOf = (kind: Kind): string => `absnas-${kind}-demo`;
/** The config key naming the plugin of each kind. */
const SLOT: Record<Kind, string> = { metric: 'shrink.metric', searcher: 'search', space: 'space' };

describe('absnas plugin new', () => {
  const work = tempDir('scaffold');
  const project = path.join(work, 'project');
  const pkg = (kind: Kind): string => path.join(work, nameOf(kind));
  const created = new Map<Kind, ReturnType<typeof absnas>>();
  let built: ReturnType<typeof run>;

  beforeAll(() => {
    for (const kind of KINDS) {
      created.set(kind, absnas(['plugin', 'new', nameOf(kind), '--kind', kind, '--dir', work], ROOT));
      if (created.get(kind)?.status === 0) linkDevDependencies(pkg(kind));
    }
    // one tsc for the three packages (each one's own `npm run build` is `tsc -p tsconfig.json`)
    const typescript = path.join(pkg('metric'), 'node_modules/typescript/bin/tsc');
    built = run(process.execPath, [typescript, '-b', ...KINDS.map(pkg)], work);
  });

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it.each(KINDS)('writes a complete %s package depending on this absnas', (kind) => {
    const r = created.get(kind);
    expect({ status: r?.status, stderr: r?.stderr }).toEqual({ status: 0, stderr: '' });
    for (const f of ['package.json', 'tsconfig.json', 'jest.config.js', 'README.md', 'src/index.ts', 'test/plugin.test.ts', 'presets/demo.json']) {
      expect(fs.existsSync(path.join(pkg(kind), f))).toBe(true);
    }
    const manifest = readJson<Record<string, Record<string, string> & string[]>>(path.join(pkg(kind), 'package.json'));
    expect(manifest.keywords).toContain('absnas-plugin');
    expect(manifest.peerDependencies['@absnas/core']).toBe('^0.1.0');
    // a range of the registry's versions, never a path of this machine
    expect(manifest.devDependencies['@absnas/core']).toBe('^0.1.0');
    expect(Object.values(manifest.devDependencies).filter((spec) => spec.startsWith('file:'))).toEqual([]);
    // the source speaks to absnas through its public entry point only
    const source = fs.readFileSync(path.join(pkg(kind), 'src/index.ts'), 'utf8');
    expect([...source.matchAll(/from '([^']+)'/g)].map((m) => m[1])).toEqual(['@absnas/core']);
  });

  it('builds the three packages with tsc', () => {
    expect({ status: built.status, output: built.stdout + built.stderr }).toEqual({ status: 0, output: '' });
    for (const kind of KINDS) expect(fs.existsSync(path.join(pkg(kind), 'dist/index.js'))).toBe(true);
  });

  it('passes the tests of every package (one jest, one project per package)', () => {
    const jest = path.join(pkg('metric'), 'node_modules/jest/bin/jest.js');
    const r = run(process.execPath, [jest, '--ci', '--projects', ...KINDS.map(pkg)], work);
    expect({ status: r.status, output: r.status === 0 ? '' : r.stderr + r.stdout }).toEqual({ status: 0, output: '' });
    expect(r.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
  });

  it('refuses to write over a folder that is not empty, and names a bad package name', () => {
    const again = absnas(['plugin', 'new', nameOf('metric'), '--kind', 'metric', '--dir', work], ROOT);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists and is not an empty folder/);
    const bad = absnas(['plugin', 'new', 'My Plugin', '--kind', 'metric', '--dir', work], ROOT);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/'My Plugin' is not a valid npm package name/);
    const kind = absnas(['plugin', 'new', 'absnas-x', '--kind', 'optimizer', '--dir', work], ROOT);
    expect(kind.status).toBe(2);
    expect(kind.stderr).toMatch(/unknown kind 'optimizer' \(expected one of metric, searcher, space\)/);
  });

  describe('installed beside absnas', () => {
    let installed: ReturnType<typeof npmInstallFolders>;
    beforeAll(() => {
      installed = npmInstallFolders(project, [path.join(ROOT, 'core'), ...KINDS.map(pkg)]);
    });

    it('installs offline', () => {
      expect({ status: installed.status, stderr: installed.status === 0 ? '' : installed.stderr }).toEqual({ status: 0, stderr: '' });
    });

    it('absnas list shows the three plugins with their kinds', () => {
      const r = absnas(['list', '--json'], project);
      expect(r.status).toBe(0);
      const listed = JSON.parse(r.stdout) as { package: string; kind: string; dir: string }[];
      for (const kind of KINDS) {
        expect(listed.find((p) => p.package === nameOf(kind))).toMatchObject({ kind, dir: pkg(kind) });
      }
    });

    it.each(KINDS)('runs a tiny search with the %s plugin named by its package name', (kind) => {
      const out = path.join(work, `run-${kind}`);
      const r = absnas(
        ['run', path.join(pkg(kind), 'presets/demo.json'), '--set', `${SLOT[kind]}.plugin=${nameOf(kind)}`, '--out', out, '--quiet'],
        project,
      );
      expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
      const result = readJson<{ space: string; searcher: string; metric: string; architecture: string }>(path.join(out, 'result.json'));
      if (kind === 'metric') expect(readJson(path.join(out, 'shrunk-space.json')).metric).toBe(nameOf(kind));
      if (kind === 'searcher') expect(result.searcher).toBe(nameOf(kind));
      if (kind === 'space') {
        expect(result.space).toBe(nameOf(kind));
        expect(result.architecture).toMatch(/^conv[135]x[135]-conv[135]x[135]$/);
      }
    });
  });
});
