import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadPlugin } from '../../src/plugin/loader';
import { PLUGIN_API_VERSION } from '../../src/plugin/plugin';
import { PluginError } from '../../src/util/errors';

/** A plugin module in a temporary folder, written as plain JavaScript. */
function writePlugin(dir: string, name: string, body: string): string {
  const file = path.join(dir, `${name}.js`);
  fs.writeFileSync(file, body);
  return file;
}

const plugin = (fields: Record<string, string>): string => {
  const all: Record<string, string> = {
    name: "'p'",
    apiVersion: `'${PLUGIN_API_VERSION}'`,
    kind: "'metric'",
    schema: '{ type: "object" }',
    register: 'function () {}',
    ...fields,
  };
  const entries = Object.entries(all).filter(([, v]) => v !== '');
  return `module.exports = { ${entries.map(([k, v]) => `${k}: ${v}`).join(', ')} };\n`;
};

describe('loadPlugin', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-loader-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads a plugin by path and accepts any minor or patch version of the same major', () => {
    const major = PLUGIN_API_VERSION.split('.')[0];
    const f = writePlugin(dir, 'ok', plugin({ apiVersion: `'${major}.99.3'` }));
    expect(loadPlugin(f, 'metric', 'x').name).toBe('p');
  });

  it("accepts the plugin as the module's default export", () => {
    const f = writePlugin(dir, 'default', `exports.default = ${plugin({}).replace('module.exports = ', '').trim()}\n`);
    expect(loadPlugin(f, 'metric', 'x').kind).toBe('metric');
  });

  it('refuses another major version of the plugin API, naming both versions', () => {
    const future = `${Number(PLUGIN_API_VERSION.split('.')[0]) + 1}.0.0`;
    const f = writePlugin(dir, 'future', plugin({ name: "'future'", apiVersion: `'${future}'` }));
    expect(() => loadPlugin(f, 'metric', 'preset.json: /shrink/metric/plugin')).toThrow(PluginError);
    expect(() => loadPlugin(f, 'metric', 'preset.json: /shrink/metric/plugin')).toThrow(
      `preset.json: /shrink/metric/plugin: plugin 'future' was built for plugin API ${future}, this absnas implements ${PLUGIN_API_VERSION} (major versions must match)`,
    );
    const old = writePlugin(dir, 'old', plugin({ apiVersion: "'0.9.0'" }));
    expect(() => loadPlugin(old, 'metric', 'x')).toThrow(/built for plugin API 0\.9\.0/);
    const garbage = writePlugin(dir, 'garbage', plugin({ apiVersion: "'latest'" }));
    expect(() => loadPlugin(garbage, 'metric', 'x')).toThrow(/built for plugin API latest/);
  });

  it('names what an export lacks', () => {
    const f = writePlugin(dir, 'partial', plugin({ schema: '', register: '' }));
    expect(() => loadPlugin(f, 'metric', 'x')).toThrow(/is not an absnas plugin: its export lacks schema, register/);
  });

  it('refuses a plugin of another kind in a slot', () => {
    const f = writePlugin(dir, 'space', plugin({ kind: "'space'" }));
    expect(() => loadPlugin(f, 'metric', 'x')).toThrow("x: plugin 'p' is a space plugin, a metric plugin is expected here");
  });

  it('says how to install a package it cannot find', () => {
    expect(() => loadPlugin('absnas-no-such-plugin', 'metric', 'x')).toThrow(
      "x: unknown plugin 'absnas-no-such-plugin': not installed (try: npm install absnas-no-such-plugin; absnas list shows the installed plugins)",
    );
  });

  it('suggests the installed plugin a name most likely means: a typo, or the name without its scope', () => {
    expect(() => loadPlugin('@absnas/metirc-angle', 'metric', 'x')).toThrow(
      "x: unknown plugin '@absnas/metirc-angle': not installed; did you mean '@absnas/metric-angle'?",
    );
    expect(() => loadPlugin('spos', 'searcher', 'x')).toThrow("x: unknown plugin 'spos': not installed; did you mean '@absnas/spos'?");
  });

  it('names the dependency a plugin given by path cannot find, and other load errors, as plugin errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-loader-'));
    fs.writeFileSync(path.join(dir, 'needs-core.js'), "require('@absnas/not-installed-here'); module.exports = {};");
    fs.writeFileSync(path.join(dir, 'broken.js'), 'module.exports = {;');
    let e: unknown;
    try {
      loadPlugin(path.join(dir, 'needs-core.js'), 'metric', 'x');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(PluginError);
    expect((e as Error).message).toBe(
      `x: plugin '${path.join(dir, 'needs-core.js')}' cannot be loaded: it requires '@absnas/not-installed-here', which cannot be found ` +
        `from ${dir}: install it where the plugin is (npm install @absnas/not-installed-here in the plugin's package)`,
    );
    expect(() => loadPlugin(path.join(dir, 'broken.js'), 'metric', 'x')).toThrow(
      new RegExp(`^x: plugin '.*broken\\.js' cannot be loaded: (SyntaxError: )?Unexpected token .* \\(in .*broken\\.js\\)$`),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
