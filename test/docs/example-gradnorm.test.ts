/**
 * docs/examples/metric-gradnorm is not a workspace package: copied outside
 * the repository, compiled against @absnas/core's public entry point, and
 * installed by npm (offline, from folders) beside absnas in a fresh project,
 * it is found by `absnas list` and used by name in a run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { absnas, linkDevDependencies, npmInstallFolders, readJson, ROOT, run, tempDir, tsc } from './authoring';

const EXAMPLE = path.join(ROOT, 'docs/examples/metric-gradnorm');

/** Module specifiers of import/export/require in a TypeScript source. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

describe('docs/examples/metric-gradnorm, out of tree', () => {
  const work = tempDir('example');
  const pkg = path.join(work, 'metric-gradnorm');
  const project = path.join(work, 'project');
  // absnas as the project has it installed
  const cli = path.join(project, 'node_modules/@absnas/core/dist/cli/main.js');

  beforeAll(() => {
    fs.cpSync(EXAMPLE, pkg, {
      recursive: true,
      filter: (src) => !/^(node_modules|dist|runs)(\/|$)/.test(path.relative(EXAMPLE, src)),
    });
  });

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('is no workspace of the repository', () => {
    const workspaces = readJson<{ workspaces: string[] }>(path.join(ROOT, 'package.json')).workspaces;
    expect(workspaces).toEqual(['core', 'plugins/*', 'presets', 'queue']);
    expect(path.relative(ROOT, EXAMPLE).startsWith('docs/')).toBe(true);
  });

  it('imports nothing but @absnas/core', () => {
    const source = fs.readFileSync(path.join(EXAMPLE, 'src/index.ts'), 'utf8');
    expect(new Set(specifiers(source))).toEqual(new Set(['@absnas/core']));
  });

  it('compiles against the public API of the built absnas', () => {
    linkDevDependencies(pkg);
    const r = tsc(pkg);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(pkg, 'dist/index.js'))).toBe(true);
  });

  it('installs from its folder beside absnas and its plugins, offline', () => {
    const r = npmInstallFolders(project, [path.join(ROOT, 'core'), path.join(ROOT, 'plugins/space-nb201'), path.join(ROOT, 'plugins/spos'), pkg]);
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(fs.realpathSync(path.join(project, 'node_modules/absnas-metric-gradnorm'))).toBe(pkg);
    expect(fs.existsSync(cli)).toBe(true);
  });

  it('can reach only the entry point and package.json of @absnas/core', () => {
    // Node's own resolution, from the project
    const script = `
      const fs = require('fs');
      const out = {};
      for (const spec of ['@absnas/core', '@absnas/core/package.json', '@absnas/core/dist/plugin/loader.js', '@absnas/core/src/index.ts']) {
        try { out[spec] = fs.realpathSync(require.resolve(spec)); } catch (e) { out[spec] = e.code; }
      }
      process.stdout.write(JSON.stringify(out));`;
    const r = run(process.execPath, ['-e', script], project);
    expect(JSON.parse(r.stdout)).toEqual({
      '@absnas/core': path.join(ROOT, 'core/dist/index.js'),
      '@absnas/core/package.json': path.join(ROOT, 'core/package.json'),
      '@absnas/core/dist/plugin/loader.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      '@absnas/core/src/index.ts': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  it('is listed by absnas list, with its kind and options', () => {
    const r = absnas(['list', '--json'], project, cli);
    expect(r.status).toBe(0);
    const entry = (JSON.parse(r.stdout) as Record<string, unknown>[]).find((p) => p.package === 'absnas-metric-gradnorm');
    expect(entry).toMatchObject({ kind: 'metric', version: '0.1.0', apiVersion: '2.0.0', dir: pkg });
    expect(entry?.schema).toMatchObject({ properties: { batchSize: { default: 64 } } });
    const text = absnas(['list'], project, cli).stdout;
    expect(text).toContain('absnas-metric-gradnorm@0.1.0  metric');
    expect(text).toMatch(/batchSize\s+integer, >= 1, default 64/);
  });

  it('is used by package name in a run', () => {
    const out = path.join(work, 'run');
    const preset = path.join(pkg, 'presets/gradnorm.json');
    const r = absnas(['run', preset, '--set', 'shrink.metric.plugin=absnas-metric-gradnorm', '--out', out, '--quiet'], project, cli);
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readJson(path.join(out, 'shrunk-space.json')).metric).toBe('gradnorm');
    expect(readJson(path.join(out, 'config.json'))).toMatchObject({ shrink: { metric: { plugin: 'absnas-metric-gradnorm', options: { batchSize: 32 } } } });
    expect(fs.existsSync(path.join(out, 'result.json'))).toBe(true);
  });
});
