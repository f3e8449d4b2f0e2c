#!/usr/bin/env node
// The `absnas` command. This file is committed (dist/ is built by `prepare`,
// after npm links bins), so the link exists from the first `npm install`.
'use strict';
const path = require('path');

const built = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
let cli;
try {
  cli = require(built).cli;
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(built)) {
    process.stderr.write(`absnas: not built yet (no ${built}): run \`npm run build\` in the absnas checkout\n`);
    process.exit(1);
  }
  throw e;
}
cli(process.argv.slice(2));
