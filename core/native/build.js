#!/usr/bin/env node
/**
 * Builds absnas's optional native CPU kernels (addon.cc with activation.cc,
 * batch_norm.cc, convolution.cc, depthwise.cc, elementwise.cc, optimizer.cc, pooling.cc,
 * threads.cc) into build/absnas_native.node
 * when a C++ compiler and oneDNN's headers are present; otherwise says what
 * is missing and exits 0, and absnas runs its wasm kernels.
 *
 *   node core/native/build.js            (run by `npm install` / `npm ci`)
 *   node core/native/build.js --force    rebuild even if up to date
 *   node core/native/build.js --require  exit 1 when it cannot build
 *
 * Needs: g++ (or $CXX), oneDNN 2.x or 3.x headers and library (Debian/Ubuntu:
 * `apt-get install g++ libdnnl-dev`; elsewhere set DNNLROOT to its install
 * prefix) and Node's headers (shipped with Node in include/node). Nothing is
 * downloaded. ABSNAS_NATIVE=0 skips the build.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const here = __dirname;
/** The addon's sources and headers (also read by check-onednn3.sh). */
const SOURCES = ['addon.cc', 'activation.cc', 'batch_norm.cc', 'convolution.cc', 'depthwise.cc', 'elementwise.cc', 'optimizer.cc', 'pooling.cc', 'threads.cc'];
const HEADERS = ['activation.h', 'batch_norm.h', 'blocks.h', 'convolution.h', 'depthwise.h', 'dnnl_compat.h', 'elementwise.h', 'optimizer.h', 'pooling.h', 'simd.h', 'threads.h'];
const sources = SOURCES.map((f) => path.join(here, f));
const headers = HEADERS.map((f) => path.join(here, f));
const outDir = path.join(here, 'build');
const target = path.join(outDir, 'absnas_native.node');
/** Beside the addon: the fingerprint of the sources it was built from. */
const STAMP = path.join(outDir, 'absnas_native.sources');

/**
 * SHA-256 of the addon's sources and headers: absnas uses an addon only with
 * the sources it was built from (an addon left from an older absnas has other
 * kernel signatures), and the build is up to date when they match.
 */
function sourcesFingerprint() {
  const hash = crypto.createHash('sha256');
  for (const f of [...SOURCES, ...HEADERS, 'build.js']) hash.update(`${f}\0`).update(fs.readFileSync(path.join(here, f)));
  return hash.digest('hex');
}

/** The fingerprint the addon in build/ was built from, or undefined. */
function builtFingerprint() {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim();
  } catch {
    return undefined;
  }
}

module.exports = { SOURCES, HEADERS, sourcesFingerprint, builtFingerprint };
const force = process.argv.includes('--force');
const required = process.argv.includes('--require');

function skip(why) {
  const msg =
    `absnas: native kernels not built (${why}); the wasm kernels will be used. ` +
    'To build them: apt-get install g++ libdnnl-dev (or set DNNLROOT), then `npm rebuild @absnas/core`.';
  console.log(msg);
  process.exit(required ? 1 : 0);
}

function exists(p) {
  try {
    fs.accessSync(p);
    return true;
  } catch {
    return false;
  }
}

function main() {
  if (process.env.ABSNAS_NATIVE === '0') skip('ABSNAS_NATIVE=0');
  if (process.platform !== 'linux' && process.platform !== 'darwin') skip(`platform ${process.platform} is not supported`);

  const fingerprint = sourcesFingerprint();
  if (!force && exists(target) && builtFingerprint() === fingerprint) {
    console.log(`absnas: native kernels up to date (${path.relative(process.cwd(), target) || target})`);
    process.exit(0);
  }

  const cxx = process.env.CXX || 'g++';
  const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) skip(`no C++ compiler '${cxx}'`);

  const nodeInclude = [
    process.env.ABSNAS_NODE_INCLUDE,
    path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'),
    '/usr/include/node',
  ].find((d) => d && exists(path.join(d, 'node_api.h')));
  if (!nodeInclude) skip("Node's headers (node_api.h) not found; set ABSNAS_NODE_INCLUDE");

  const dnnlRoot = process.env.DNNLROOT;
  const dnnlInclude = [dnnlRoot && path.join(dnnlRoot, 'include'), '/usr/include', '/usr/local/include'].find(
    (d) => d && exists(path.join(d, 'oneapi', 'dnnl', 'dnnl.hpp')),
  );
  if (!dnnlInclude) skip('oneDNN headers (oneapi/dnnl/dnnl.hpp) not found');
  const dnnlConfig = fs.readFileSync(path.join(dnnlInclude, 'oneapi', 'dnnl', 'dnnl_version.h'), 'utf8');
  const major = Number((/#define DNNL_VERSION_MAJOR (\d+)/.exec(dnnlConfig) || [])[1]);
  if (major !== 2 && major !== 3) skip(`oneDNN ${major || '?'}.x found; these kernels use the oneDNN 2.x or 3.x API`);

  const libDirs = dnnlRoot ? [path.join(dnnlRoot, 'lib'), path.join(dnnlRoot, 'lib64')].filter(exists) : [];
  const args = [
    '-O3',
    '-std=c++17',
    '-shared',
    '-fPIC',
    '-fvisibility=hidden',
    '-fopenmp',
    // float32 results as written (no fused multiply-adds): the SGD step repeats the separate ops bit for bit
    '-ffp-contract=off',
    '-DNODE_GYP_MODULE_NAME=absnas_native',
    '-DNAPI_VERSION=8',
    `-I${nodeInclude}`,
    `-I${dnnlInclude}`,
    ...sources,
    ...libDirs.flatMap((d) => [`-L${d}`, `-Wl,-rpath,${d}`]),
    '-ldnnl',
    '-o',
  ];
  if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');

  fs.mkdirSync(outDir, { recursive: true });
  // compile to a temporary name, then rename: a failed build never leaves a broken addon
  const tmp = path.join(outDir, `.absnas_native.${process.pid}.${os.hostname()}.tmp.node`);
  const t0 = Date.now();
  const res = spawnSync(cxx, [...args, tmp], { encoding: 'utf8' });
  if (res.status !== 0) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* nothing written */
    }
    process.stderr.write(res.stderr || String(res.error || ''));
    skip(`${cxx} failed`);
  }
  fs.renameSync(tmp, target);
  const stampTmp = `${STAMP}.${process.pid}.tmp`;
  fs.writeFileSync(stampTmp, `${fingerprint}\n`);
  fs.renameSync(stampTmp, STAMP);
  console.log(`absnas: built native kernels in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${target}`);
}

if (require.main === module) main();
