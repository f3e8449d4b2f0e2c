import * as fs from 'fs';
import * as path from 'path';
import { PLUGIN_KEYWORD } from '../plugin/discover';
import { PLUGIN_API_VERSION } from '../plugin/plugin';
import { UserError } from '../util/errors';
import type { KindTemplate, TemplateContext } from './templates/context';
import { metricTemplate } from './templates/metric';
import { searcherTemplate } from './templates/searcher';
import { spaceTemplate } from './templates/space';

export const SCAFFOLD_KINDS = ['metric', 'searcher', 'space'] as const;
export type ScaffoldKind = (typeof SCAFFOLD_KINDS)[number];

const TEMPLATES: Record<ScaffoldKind, (t: TemplateContext) => KindTemplate> = {
  metric: metricTemplate,
  searcher: searcherTemplate,
  space: spaceTemplate,
};

/** The build and test tools a new plugin package develops with (the versions absnas itself uses). */
export const DEV_TOOLS: Readonly<Record<string, string>> = {
  '@types/jest': '^29.5.14',
  '@types/node': '^20.19.43',
  jest: '^29.7.0',
  'ts-jest': '^29.4.5',
  typescript: '^5.9.3',
};

/** npm's rules for a package name (lower case, URL-safe, optional scope). */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Where the absnas that runs lives, and how a new package should depend on it and on its plugins. */
export interface AbsnasInstallation {
  coreDir: string;
  coreVersion: string;
  /**
   * The devDependency spec of a package: a range of the registry's versions
   * from the installed one (never a path of this machine, so the package
   * moves to any machine and any CI).
   */
  specOf(pkg: string): string;
}

function readVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The absnas installation this code belongs to. */
export function currentInstallation(): AbsnasInstallation {
  const coreDir = fs.realpathSync(path.resolve(__dirname, '..', '..'));
  const coreVersion = readVersion(coreDir) ?? '0.0.0';
  return {
    coreDir,
    coreVersion,
    specOf(pkg) {
      if (pkg === '@absnas/core') return `^${coreVersion}`;
      let version: string | undefined;
      try {
        version = readVersion(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [process.cwd(), coreDir] })));
      } catch {
        // not installed: assume it is released in step with core
      }
      return `^${version ?? coreVersion}`;
    },
  };
}

export interface ScaffoldOptions {
  /** npm package name of the new plugin. */
  name: string;
  kind: ScaffoldKind;
  /** The folder in which the package folder (named after the package, without scope) is made. */
  parentDir: string;
  installation?: AbsnasInstallation;
}

export interface ScaffoldResult {
  dir: string;
  /** Files written, relative to `dir`. */
  files: string[];
}

function json(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}

/** Every file of a new plugin package, by path relative to the package. */
export function pluginPackageFiles(
  name: string,
  kind: ScaffoldKind,
  installation: AbsnasInstallation = currentInstallation(),
): Record<string, string> {
  const shortName = name.replace(/^@[^/]+\//, '');
  const t = TEMPLATES[kind]({ packageName: name, shortName, apiVersion: PLUGIN_API_VERSION });
  const devDependencies: Record<string, string> = { '@absnas/core': installation.specOf('@absnas/core') };
  for (const used of t.uses) devDependencies[used] = installation.specOf(used);
  Object.assign(devDependencies, DEV_TOOLS);
  const packageJson = {
    name,
    version: '0.1.0',
    description: `absnas ${kind} plugin: ${t.summary}`,
    keywords: [PLUGIN_KEYWORD, 'absnas', 'neural-architecture-search', kind],
    license: 'MIT',
    main: 'dist/index.js',
    types: 'dist/index.d.ts',
    files: ['dist'],
    scripts: {
      build: 'tsc -p tsconfig.json',
      test: 'jest',
      search: 'absnas run presets/demo.json',
      prepublishOnly: 'npm run build && npm test',
    },
    peerDependencies: { '@absnas/core': `^${installation.coreVersion}` },
    devDependencies,
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2020',
      lib: ['ES2020'],
      module: 'node16',
      moduleResolution: 'node16',
      strict: true,
      declaration: true,
      sourceMap: true,
      rootDir: 'src',
      outDir: 'dist',
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['src'],
  };
  const tsconfigTest = {
    extends: './tsconfig.json',
    compilerOptions: { rootDir: '.', noEmit: true, isolatedModules: true, types: ['node', 'jest'] },
    include: ['src', 'test'],
  };
  const jestConfig = `/** Tests are TypeScript, compiled by ts-jest as they run. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
};
`;
  const slotExample = t.slot
    .split('.')
    .reduceRight<unknown>((inner, key) => ({ [key]: inner }), { plugin: name, options: {} });
  const readme = `# ${name}

An absnas ${kind} plugin: ${t.summary}.

${t.readme}
## Develop

\`\`\`sh
npm install
npm run build     # tsc: src/ -> dist/
npm test          # jest: test/*.test.ts
npm run search    # a tiny search with presets/demo.json (synthetic data, seconds)
\`\`\`

\`presets/demo.json\` names this package by its path (\`".."\`, relative to the
preset), so it runs without installing the package anywhere. It also uses
${t.uses.map((u) => `\`${u}\``).join(' and ')} (devDependencies).

## Use it

Install it beside absnas and name it in a preset:

\`\`\`sh
npm install ${name}
npx absnas list              # shows it, with its options
\`\`\`

\`\`\`json
${JSON.stringify(slotExample, null, 2)}
\`\`\`

## Publish

The keyword \`${PLUGIN_KEYWORD}\` in package.json is how \`absnas list\` and
\`absnas config schema\` find the installed plugin; keep it. \`@absnas/core\` is a
peer dependency: the plugin uses the absnas it is installed beside, and the
plugin API version in \`src/index.ts\` (\`apiVersion: '${PLUGIN_API_VERSION}'\`) must
have the same major version as that absnas's, or absnas refuses to load it.
Import from \`@absnas/core\` only (its one entry point).

\`\`\`sh
npm publish
\`\`\`
`;
  return {
    'package.json': json(packageJson),
    'tsconfig.json': json(tsconfig),
    'tsconfig.test.json': json(tsconfigTest),
    'jest.config.js': jestConfig,
    '.gitignore': 'node_modules/\ndist/\nruns/\n',
    'README.md': readme,
    'src/index.ts': t.source,
    'test/plugin.test.ts': t.test,
    'presets/demo.json': json(t.preset),
  };
}

/** Write a new plugin package: `<parentDir>/<name without scope>/`. Refuses to write into a non-empty folder. */
export function scaffoldPlugin(options: ScaffoldOptions): ScaffoldResult {
  const { name, kind } = options;
  if (!PACKAGE_NAME.test(name) || name.length > 214) {
    throw new UserError(
      `'${name}' is not a valid npm package name (lower case letters, digits, '-', '.', '_', '~'; optionally @scope/name)`,
    );
  }
  if (!(SCAFFOLD_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`unknown plugin kind '${String(kind)}' (expected one of ${SCAFFOLD_KINDS.join(', ')})`);
  }
  const dir = path.resolve(options.parentDir, name.replace(/^@[^/]+\//, ''));
  if (fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0)) {
    throw new UserError(`${dir} already exists and is not an empty folder`);
  }
  const files = pluginPackageFiles(name, kind, options.installation);
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return { dir, files: Object.keys(files) };
}
