#!/usr/bin/env node
/**
 * Sets the plugin API version (PLUGIN_API_VERSION of @absnas/core) and the
 * `apiVersion` every plugin of this repository declares, with the docs that
 * quote it, in one step. Package versions are lerna's (`npm run version:bump`);
 * this is the other version a release may change (docs/api.md, "Versions").
 *
 *   npm run plugin-api:set -- 1.1.0
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const version = process.argv[2];
if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) {
  console.error('usage: npm run plugin-api:set -- <major.minor.patch>');
  process.exit(2);
}

/** [file, pattern whose group 1 is the version] */
const places = [
  ['core/src/plugin/plugin.ts', /export const PLUGIN_API_VERSION = '([^']+)'/],
  ['docs/api.md', /`PLUGIN_API_VERSION` \(now `'([^']+)'`\)/],
  ['docs/api.md', /`apiVersion: '([^']+)'`\. \(Not/],
  ['docs/plugins.md', /apiVersion: '([^']+)'/],
  ['docs/examples/metric-gradnorm/src/index.ts', /apiVersion: '([^']+)'/],
];
for (const dir of fs.readdirSync(path.join(ROOT, 'plugins'))) {
  const index = `plugins/${dir}/src/index.ts`;
  if (fs.existsSync(path.join(ROOT, index))) places.push([index, /apiVersion: '([^']+)'/]);
}

let changed = 0;
for (const [file, pattern] of places) {
  const full = path.join(ROOT, file);
  const text = fs.readFileSync(full, 'utf8');
  const m = pattern.exec(text);
  if (!m) {
    console.error(`${file}: no plugin API version found (${pattern})`);
    process.exit(1);
  }
  if (m[1] === version) continue;
  const start = m.index + m[0].indexOf(m[1]);
  fs.writeFileSync(full, text.slice(0, start) + version + text.slice(start + m[1].length));
  console.log(`${file}: ${m[1]} -> ${version}`);
  changed++;
}
console.log(changed === 0 ? `plugin API version already ${version} everywhere` : `plugin API version ${version} in ${changed} place(s); rebuild and run the tests`);
