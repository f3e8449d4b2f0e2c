import Ajv from 'ajv';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { composeSchemaWithPlugins } from '../../src/config/plugin-slots';
import { discoverPlugins, nodeModulesChain, schemaPluginsOf } from '../../src/plugin/discover';
import { pluginContainer } from '../../src/plugin/container';
import { definePlugin, PLUGIN_API_VERSION } from '../../src/plugin/plugin';
import { HOOKS, METRIC } from '../../src/tokens';
import { HookBus } from '../../src/hooks/hooks';

function writePackage(dir: string, manifest: Record<string, unknown>, index?: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.2.3', main: 'index.js', ...manifest }));
  if (index !== undefined) fs.writeFileSync(path.join(dir, 'index.js'), index);
}

const pluginSource = (name: string, kind: string, apiVersion = PLUGIN_API_VERSION): string =>
  `module.exports = { name: '${name}', apiVersion: '${apiVersion}', kind: '${kind}', description: 'about ${name}', ` +
  `schema: { type: 'object', additionalProperties: false, properties: { level: { type: 'integer', default: 1 } } }, register() {} };\n`;

describe('discoverPlugins', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-discover-')));
  const project = path.join(root, 'project');
  const inner = path.join(project, 'sub', 'dir');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  beforeAll(() => {
    fs.mkdirSync(inner, { recursive: true });
    const nm = path.join(project, 'node_modules');
    writePackage(path.join(nm, 'absnas-metric-a'), { name: 'absnas-metric-a', keywords: ['absnas-plugin'] }, pluginSource('absnas-metric-a', 'metric'));
    writePackage(path.join(nm, '@me', 'space-b'), { name: '@me/space-b', keywords: ['x', 'absnas-plugin'] }, pluginSource('@me/space-b', 'space'));
    writePackage(path.join(nm, 'absnas-old'), { name: 'absnas-old', keywords: ['absnas-plugin'] }, pluginSource('absnas-old', 'metric', '0.1.0'));
    writePackage(path.join(nm, 'left-pad'), { name: 'left-pad' }, 'module.exports = {};\n');
    // a nearer copy of the same package wins, as it would for require
    writePackage(path.join(inner, 'node_modules', 'absnas-metric-a'), { name: 'absnas-metric-a', version: '9.0.0', keywords: ['absnas-plugin'] }, pluginSource('absnas-metric-a', 'metric'));
  });

  it('walks node_modules folders from a directory up to the root', () => {
    const chain = nodeModulesChain(inner);
    expect(chain[0]).toBe(path.join(inner, 'node_modules'));
    expect(chain).toContain(path.join(project, 'node_modules'));
    expect(chain[chain.length - 1]).toBe(path.join(path.parse(inner).root, 'node_modules'));
  });

  it('finds the packages with the absnas-plugin keyword, loads them, and keeps why one failed', () => {
    const found = discoverPlugins([inner]);
    const names = found.map((p) => p.package);
    expect(names).toEqual(expect.arrayContaining(['@me/space-b', 'absnas-metric-a', 'absnas-old']));
    expect(names).not.toContain('left-pad');
    const a = found.find((p) => p.package === 'absnas-metric-a');
    expect(a).toMatchObject({ version: '9.0.0', dir: path.join(inner, 'node_modules', 'absnas-metric-a'), description: 'about absnas-metric-a' });
    expect(a?.plugin?.kind).toBe('metric');
    expect(found.find((p) => p.package === '@me/space-b')?.plugin?.kind).toBe('space');
    const old = found.find((p) => p.package === 'absnas-old');
    expect(old?.plugin).toBeUndefined();
    expect(old?.error).toMatch(/built for plugin API 0\.1\.0, this absnas implements/);
  });

  it("composes a schema that checks each slot's options against the plugin it names", () => {
    const schema = composeSchemaWithPlugins(schemaPluginsOf(discoverPlugins([inner])));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const config = { space: { plugin: '@me/space-b', options: { level: 2 } }, shrink: { metric: { plugin: 'absnas-metric-a', options: {} } } };
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, space: { plugin: '@me/space-b', options: { level: 'high' } } })).toBe(false);
    expect(validate({ ...config, space: { plugin: '@me/space-b', options: { lvl: 2 } } })).toBe(false);
    // a metric's options schema does not apply in the space slot, nor to unknown plugins
    expect(validate({ ...config, space: { plugin: 'absnas-metric-a', options: { anything: true } } })).toBe(true);
    expect(validate({ ...config, space: { plugin: './mine', options: { anything: true } } })).toBe(true);
    const props = schema.properties as Record<string, { properties: { plugin: { examples: string[] } } }>;
    expect(props.space.properties.plugin.examples).toEqual(['@me/space-b']);
  });

  it('keeps internal $refs of a plugin schema working once embedded', () => {
    const schema = composeSchemaWithPlugins([
      {
        names: ['m'],
        kind: 'metric',
        schema: { type: 'object', definitions: { n: { type: 'integer' } }, properties: { k: { $ref: '#/definitions/n' } } },
      },
    ]);
    const validate = new Ajv({ strict: false }).compile(schema);
    const with_ = (k: unknown): unknown => ({ space: { plugin: 's' }, shrink: { metric: { plugin: 'm', options: { k } } } });
    expect(validate(with_(3))).toBe(true);
    expect(validate(with_('x'))).toBe(false);
  });
});

describe('pluginContainer', () => {
  const plugin = definePlugin<{ level: number }>({
    name: 'p',
    apiVersion: PLUGIN_API_VERSION,
    kind: 'metric',
    schema: { type: 'object', additionalProperties: false, properties: { level: { type: 'integer', default: 1 } } },
    register(container, options) {
      container.register(METRIC, { useValue: { name: `level-${options.level}`, prepare: async () => ({ score: () => 0 }) } });
    },
  });

  it('registers a plugin with its options checked and defaults filled in, beside a hook bus', () => {
    expect(pluginContainer(plugin).resolve(METRIC).name).toBe('level-1');
    expect(pluginContainer(plugin, { level: 3 }).resolve(METRIC).name).toBe('level-3');
    expect(pluginContainer(plugin).resolve(HOOKS)).toBeInstanceOf(HookBus);
    expect(() => pluginContainer(plugin, { levle: 3 })).toThrow(/unknown key 'levle'.*did you mean 'level'\? \[options of plugin p\]/);
  });
});
