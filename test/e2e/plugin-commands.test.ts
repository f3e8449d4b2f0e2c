/** `absnas list`, `absnas config schema`, and a plugin built for another plugin API. */
import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { PLUGIN_API_VERSION } from '@absnas/core';
import { absnas, readJson, ROOT, tempDir } from '../docs/authoring';

/** A plugin API version of a major this absnas does not implement. */
const FUTURE = `${Number(PLUGIN_API_VERSION.split('.')[0]) + 1}.0.0`;

/** Our plugins, as their package.json files describe them. */
const OURS = fs
  .readdirSync(path.join(ROOT, 'plugins'))
  .map((d) => path.join(ROOT, 'plugins', d, 'package.json'))
  .filter((f) => fs.existsSync(f))
  .map((f) => readJson<{ name: string; version: string; keywords?: string[] }>(f));

describe('absnas list', () => {
  it('marks every plugin of this repository with the plugin keyword', () => {
    expect(OURS.length).toBeGreaterThanOrEqual(3);
    // absnas finds installed plugins by this keyword: a plugin without it is missing from `absnas list`
    const unmarked = OURS.filter((p) => !p.keywords?.includes('absnas-plugin')).map((p) => `${p.name}: add "keywords": ["absnas-plugin"] to its package.json`);
    expect(unmarked).toEqual([]);
  });

  it('shows our plugins with kind, version, description and options', () => {
    const r = absnas(['list'], ROOT);
    expect(r.status).toBe(0);
    for (const p of OURS) expect(r.stdout).toContain(`${p.name}@${p.version}`);
    expect(r.stdout).toContain('@absnas/space-nb201@0.1.0  space');
    expect(r.stdout).toContain('@absnas/metric-angle@0.1.0  metric');
    expect(r.stdout).toContain('@absnas/spos@0.1.0  searcher');
    expect(r.stdout).toMatch(/channels\s+integer, >= 1, default 16: Channels of the first stage/);
  });

  it('--json gives each plugin with its options schema', () => {
    const r = absnas(['list', '--json'], ROOT);
    expect(r.status).toBe(0);
    const listed = JSON.parse(r.stdout) as { package: string; kind: string; apiVersion: string; schema: { type: string } }[];
    const byName = new Map(listed.map((p) => [p.package, p]));
    expect(byName.get('@absnas/space-nb201')).toMatchObject({ kind: 'space', apiVersion: PLUGIN_API_VERSION, schema: { type: 'object' } });
    expect(byName.get('@absnas/metric-angle')).toMatchObject({ kind: 'metric' });
    expect(byName.get('@absnas/spos')).toMatchObject({ kind: 'searcher' });
  });
});

describe('absnas config schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const quickstart = readJson(path.join(ROOT, 'presets/quickstart.json'));
  let schema: Record<string, unknown>;
  let validate: ReturnType<Ajv['compile']>;

  beforeAll(() => {
    const r = absnas(['config', 'schema'], ROOT);
    expect(r.status).toBe(0);
    schema = JSON.parse(r.stdout) as Record<string, unknown>;
  });

  it('is a valid JSON schema that ajv compiles', () => {
    expect(ajv.validateSchema(schema)).toBe(true);
    validate = ajv.compile(schema);
  });

  it('validates presets/quickstart.json', () => {
    expect(validate(quickstart)).toBe(true);
  });

  it("checks each plugin's options where the preset names the plugin", () => {
    const typo = JSON.parse(JSON.stringify(quickstart));
    typo.space.options.chanels = 8;
    expect(validate(typo)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/space/options');
    const wrong = JSON.parse(JSON.stringify(quickstart));
    wrong.search.options.evolution.population = 'many';
    expect(validate(wrong)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/search/options/evolution/population');
    // a plugin it does not know (a path) keeps open options
    const other = JSON.parse(JSON.stringify(quickstart));
    other.space = { plugin: './my-space', options: { anything: 1 } };
    expect(validate(other)).toBe(true);
  });

  it('writes a file with --out, the one presets refer to by "$schema"', () => {
    const dir = tempDir('schema');
    const out = path.join(dir, 'config.schema.json');
    expect(absnas(['config', 'schema', '--out', out], ROOT).status).toBe(0);
    expect(readJson(out)).toEqual(schema);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(quickstart.$schema).toBe('../docs/config.schema.json');
    expect(new Ajv({ strict: false }).compile(readJson(path.join(ROOT, 'docs/config.schema.json')))(quickstart)).toBe(true);
  });
});

describe('a plugin built for another major version of the plugin API', () => {
  const dir = tempDir('api-version');
  const plugin = path.join(dir, 'metric-from-the-future');
  fs.mkdirSync(plugin);
  fs.writeFileSync(path.join(plugin, 'package.json'), JSON.stringify({ name: 'metric-from-the-future', version: '3.0.0', main: 'index.js' }));
  fs.writeFileSync(
    path.join(plugin, 'index.js'),
    `module.exports = { name: 'metric-from-the-future', apiVersion: '${FUTURE}', kind: 'metric', schema: { type: 'object' }, register() {} };\n`,
  );
  const preset = path.join(dir, 'preset.json');
  fs.writeFileSync(
    preset,
    JSON.stringify({
      data: { dataset: 'synthetic' },
      space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
      shrink: { metric: { plugin: './metric-from-the-future' } },
    }),
  );

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is refused with one line naming both versions, exit code 2', () => {
    const r = absnas(['run', preset], dir);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `absnas: preset.json: /shrink/metric/plugin: plugin 'metric-from-the-future' was built for plugin API ${FUTURE}, ` +
        `this absnas implements ${PLUGIN_API_VERSION} (major versions must match)`,
    );
    expect(r.stdout).toBe('');
  });
});
