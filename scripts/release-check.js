#!/usr/bin/env node
/**
 * The release dry run: what `npm publish` would publish for every package
 * lerna manages, checked without publishing anything. Run after a build
 * (`npm run release:check` builds first).
 *
 * - versions: every package at lerna.json's version; every @absnas/*
 *   dependency exactly that version; every plugin's `apiVersion` of the same
 *   major version as core's PLUGIN_API_VERSION;
 * - contents (`npm pack --dry-run --json`): the files each package needs,
 *   and no tests, run directories, build info, native build output or
 *   node_modules;
 * - sizes: packed and unpacked, against the limits below.
 *
 * Prints one row per package and every problem; exits 1 if there is any.
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

/** Files a package cannot work without, beyond package.json. */
const REQUIRED = {
  '@absnas/core': [
    'bin/absnas.js',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/cli/main.js',
    'data/nb201/nb201.csv.gz',
    'data/nb201/README.md',
    'native/build.js',
    'native/addon.cc',
  ],
  '@absnas/presets': ['quickstart.json', 'paper/nb201-ranking-mini.json', 'README.md'],
  // the worker forks processor.js for each job
  '@absnas/queue': ['dist/index.js', 'dist/index.d.ts', 'dist/processor.js'],
  plugin: ['dist/index.js', 'dist/index.d.ts'],
};

/** What never belongs in a published package. */
const FORBIDDEN = [
  { pattern: /(^|\/)(test|tests|__tests__)\//, why: 'a test folder' },
  { pattern: /\.(test|spec)\.(js|ts|d\.ts|js\.map)$/, why: 'a test file' },
  { pattern: /(^|\/)runs\//, why: 'a run directory' },
  { pattern: /\.tsbuildinfo$/, why: 'TypeScript build info' },
  { pattern: /(^|\/)node_modules\//, why: 'node_modules' },
  { pattern: /\.node$/, why: 'a built native addon (it is built on install)' },
  { pattern: /(^|\/)\.ci\//, why: 'CI files' },
];

/** Packed (.tgz) and unpacked size limits in bytes: core carries the NAS-Bench-201 table (0.47 MB). */
const LIMITS = {
  '@absnas/core': { packed: 1.5e6, unpacked: 4e6 },
  default: { packed: 200e3, unpacked: 800e3 },
};

function lernaPackages() {
  const out = execFileSync(process.execPath, [require.resolve('lerna/dist/cli.js', { paths: [ROOT] }), 'list', '--json', '--all', '--loglevel', 'silent'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

function packDryRun(dir) {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out)[0];
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function major(version) {
  return Number(/^(\d+)/.exec(version)?.[1]);
}

function pluginApiVersion() {
  const text = fs.readFileSync(path.join(ROOT, 'core/src/plugin/plugin.ts'), 'utf8');
  return /export const PLUGIN_API_VERSION = '([^']+)'/.exec(text)[1];
}

function main() {
  const version = readJson(path.join(ROOT, 'lerna.json')).version;
  const api = pluginApiVersion();
  const problems = [];
  const rows = [];
  for (const pkg of lernaPackages()) {
    if (pkg.private) continue;
    const manifest = readJson(path.join(pkg.location, 'package.json'));
    const say = (what) => problems.push(`${pkg.name}: ${what}`);
    if (manifest.version !== version) say(`version ${manifest.version}, lerna.json says ${version}`);
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
        if (dep.startsWith('@absnas/') && spec !== version) say(`${field}.${dep} is '${spec}', expected '${version}' (the release's version)`);
      }
    }
    const isPlugin = (manifest.keywords ?? []).includes('absnas-plugin');
    if (isPlugin) {
      const src = path.join(pkg.location, 'src/index.ts');
      const declared = fs.existsSync(src) ? /apiVersion: '([^']+)'/.exec(fs.readFileSync(src, 'utf8'))?.[1] : undefined;
      if (declared === undefined) say('no apiVersion literal in src/index.ts');
      else if (major(declared) !== major(api)) say(`apiVersion '${declared}', core implements plugin API ${api} (major versions must match)`);
    }
    const packed = packDryRun(pkg.location);
    const files = packed.files.map((f) => f.path);
    for (const f of REQUIRED[pkg.name] ?? (isPlugin ? REQUIRED.plugin : [])) if (!files.includes(f)) say(`missing ${f}`);
    for (const f of files) {
      const bad = FORBIDDEN.find((r) => r.pattern.test(f));
      if (bad) say(`would publish ${f} (${bad.why})`);
    }
    const limit = LIMITS[pkg.name] ?? LIMITS.default;
    if (packed.size > limit.packed) say(`packed size ${packed.size} B over its limit ${limit.packed} B`);
    if (packed.unpackedSize > limit.unpacked) say(`unpacked size ${packed.unpackedSize} B over its limit ${limit.unpacked} B`);
    rows.push([pkg.name, manifest.version, String(packed.entryCount), (packed.size / 1e3).toFixed(1), (packed.unpackedSize / 1e3).toFixed(1)]);
  }
  const header = ['package', 'version', 'files', 'packed kB', 'unpacked kB'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`release dry run: ${rows.length} packages at ${version}, plugin API ${api}; nothing is published`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  if (problems.length > 0) {
    console.log(`\n${problems.length} problem(s):`);
    for (const p of problems) console.log(`  ${p}`);
    process.exitCode = 1;
  } else {
    console.log('\nno problems: every package would publish what it needs and nothing else');
  }
}

main();
