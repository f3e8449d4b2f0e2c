import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as crypto from 'crypto';
import * as zlib from 'zlib';
import { NB201_BUNDLED_TABLE, NB201_COLUMNS, NB201_EDGES, Nb201Benchmark, parseNb201Arch } from '../../src/benchmarks';
import { kendallTauB, spearman } from '../../src/stats/rank-correlation';
import { ArchitectureError, DataError, UserError } from '../../src/util/errors';

/** The text of the table that ships with absnas, unzipped by zlib here (not by the loader). */
const bundledText = zlib.gunzipSync(fs.readFileSync(NB201_BUNDLED_TABLE)).toString('utf8');

/** Fields of a line of the shipped table, found by its index, read as plain text. */
function csvRow(index: number): Record<string, string> {
  const lines = bundledText.split(/\r?\n/);
  const header = lines[0].split(',');
  const line = lines.find((l) => l.startsWith(`${index},`))!;
  const fields = line.split(',');
  return Object.fromEntries(header.map((h, i) => [h, fields[i]]));
}

describe('parseNb201Arch', () => {
  test('six ops in edge order; anything else is undefined', () => {
    expect(parseNb201Arch('|a~0|+|b~0|c~1|+|d~0|e~1|f~2|')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(NB201_EDGES).toEqual(['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2']);
    for (const bad of ['', '|a~0|+|b~0|c~1|', '|a~0|+|b~0|c~2|+|d~0|e~1|f~2|', 'a~0+|b~0|c~1|+|d~0|e~1|f~2|', '|a~0|+|b~0|c~1|+|d~0|e~1|f~2|x~3|']) {
      expect(parseNb201Arch(bad)).toBeUndefined();
    }
  });
});

describe('Nb201Benchmark on the table that ships with absnas', () => {
  let bench: Nb201Benchmark;
  beforeAll(() => {
    bench = Nb201Benchmark.load();
  });

  test('is the table of its README: same SHA-256 of the CSV, read by default', () => {
    const readme = fs.readFileSync(path.join(path.dirname(NB201_BUNDLED_TABLE), 'README.md'), 'utf8');
    const stated = /SHA-256 of nb201\.csv[^`]*`([0-9a-f]{64})`/.exec(readme)?.[1];
    expect(stated).toBeDefined();
    expect(crypto.createHash('sha256').update(bundledText).digest('hex')).toBe(stated);
    expect(Nb201Benchmark.defaultPath()).toBe(NB201_BUNDLED_TABLE);
  });

  test('size, columns, index 0 and 6111 equal the CSV text', () => {
    expect(bench.file).toBe(NB201_BUNDLED_TABLE);
    expect(bench.size).toBe(15625);
    expect(bench.columns()).toEqual(NB201_COLUMNS);
    for (const index of [0, 6111]) {
      const row = csvRow(index);
      expect(bench.has(row.arch)).toBe(true);
      expect(bench.index(row.arch)).toBe(index);
      for (const c of NB201_COLUMNS) expect(bench.lookup(row.arch, c)).toBe(Number(row[c]));
    }
    // from the README: index 0 and the best architecture
    const a0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
    expect(bench.lookup(a0, 'c10_test_200')).toBe(85.8633);
    expect(bench.lookup(a0, 'c10_val_12')).toBe(63.364);
    const best = bench.best('c10_test_200');
    expect(best.arch).toBe('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|');
    expect(best.value).toBeCloseTo(94.373, 3);
    expect(bench.index(best.arch)).toBe(6111);
    // loading again returns the parsed table
    expect(Nb201Benchmark.load(NB201_BUNDLED_TABLE)).toBe(bench);
  });

  test('entries: every architecture once, official indices 0..15624', () => {
    const seen = new Set<number>();
    const keys = new Set<string>();
    let n = 0;
    for (const e of bench.entries()) {
      if (n === 0) expect(e).toEqual({ index: 0, arch: csvRow(0).arch, values: expect.objectContaining({ c10_test_200: 85.8633 }) });
      seen.add(e.index);
      keys.add(Object.keys(e.values).join());
      n++;
    }
    expect(n).toBe(15625);
    expect([...keys]).toEqual([NB201_COLUMNS.join()]);
    expect(seen.size).toBe(15625);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(15624);
  });

  test('operator ranking equals a brute-force recomputation from the CSV text', () => {
    for (const column of ['c10_test_200', 'c10_val_12']) {
      // brute force: split the CSV by hand, regex the arch, sum per (edge, op)
      const lines = bundledText.trim().split(/\r?\n/);
      const header = lines[0].split(',');
      const col = header.indexOf(column);
      const sums = new Map<string, number[]>();
      for (const line of lines.slice(1)) {
        const f = line.split(',');
        const ops = [...f[1].matchAll(/([a-z_0-9]+)~(\d)/g)].map((m) => m[1]);
        if (ops.length !== 6) throw new Error(`bad arch ${f[1]}`);
        ops.forEach((op, e) => {
          const k = `${NB201_EDGES[e]} ${op}`;
          const s = sums.get(k) ?? [0, 0];
          s[0] += Number(f[col]);
          s[1]++;
          sums.set(k, s);
        });
      }
      const ranking = bench.operatorRanking(column);
      expect(ranking).toHaveLength(30); // 6 edges x 5 ops
      expect(ranking.map((r) => r.rank)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      for (let i = 0; i < ranking.length; i++) {
        const r = ranking[i];
        const [sum, count] = sums.get(`${r.edge} ${r.op}`)!;
        expect(count).toBe(3125); // 5^5 architectures share any one (edge, op)
        expect(r.mean).toBeCloseTo(sum / count, 9);
        if (i > 0) expect(ranking[i - 1].mean).toBeGreaterThanOrEqual(r.mean);
      }
      // in NAS-Bench-201 a 3x3 convolution is the best operator on average
      expect(ranking[0].op).toBe('nor_conv_3x3');
      expect(new Set(ranking.map((r) => r.edge))).toEqual(new Set(NB201_EDGES));
    }
  });

  test('ranking correlation of the 12-epoch validation with the 200-epoch test accuracy (scipy reference)', () => {
    const val: number[] = [];
    const test: number[] = [];
    for (const e of bench.entries()) {
      val.push(e.values.c10_val_12);
      test.push(e.values.c10_test_200);
    }
    // scipy 1.10.1 on the same CSV columns: stats.kendalltau(val, test).statistic, stats.spearmanr(val, test).statistic
    expect(kendallTauB(val, test)).toBeCloseTo(0.594499257769366, 10);
    expect(spearman(val, test)).toBeCloseTo(0.7718283273247906, 10);
  });

  test('unknown architecture or column: a one-line error naming it', () => {
    const a0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
    expect(() => bench.lookup(a0, 'c10_test')).toThrow(UserError);
    expect(() => bench.lookup(a0, 'c10_test')).toThrow(`NAS-Bench-201: unknown column 'c10_test' (columns: ${NB201_COLUMNS.join(', ')})`);
    expect(() => bench.operatorRanking('nope')).toThrow("unknown column 'nope'");
    expect(() => bench.best('nope')).toThrow("unknown column 'nope'");
    expect(() => bench.lookup('|conv~0|', 'c10_test_200')).toThrow(ArchitectureError);
    expect(() => bench.lookup('|conv~0|', 'c10_test_200')).toThrow("NAS-Bench-201: '|conv~0|' is not an arch string (expected '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|')");
    const unknown = '|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|';
    expect(bench.has(unknown)).toBe(false);
    expect(() => bench.index(unknown)).toThrow(`NAS-Bench-201: architecture ${unknown} is not in ${NB201_BUNDLED_TABLE}`);
  });
});

describe('Nb201Benchmark on broken tables', () => {
  let dir: string;
  const header = ['index', 'arch', ...NB201_COLUMNS].join(',');
  const row = (i: number, arch: string, v = 1): string => [i, arch, ...NB201_COLUMNS.map((_, c) => v + c)].join(',');
  const A = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const B = '|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const write = (text: string): string => {
    const f = path.join(dir, 'nb.csv');
    fs.writeFileSync(f, text);
    return f;
  };
  const errorOf = (file: string): string => {
    try {
      Nb201Benchmark.load(file);
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      return (e as Error).message;
    }
    throw new Error('expected a DataError');
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-nb201-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a small valid table loads (CRLF line ends too); extra columns are kept', () => {
    const f = write([header + ',extra', row(0, A) + ',7', row(5, B, 10) + ',8', ''].join('\r\n'));
    const b = Nb201Benchmark.load(f);
    expect(b.size).toBe(2);
    expect(b.columns()).toEqual([...NB201_COLUMNS, 'extra']);
    expect(b.index(B)).toBe(5);
    expect(b.lookup(B, 'c10_test_200')).toBe(10);
    expect(b.lookup(A, 'extra')).toBe(7);
    expect(b.best('c10_test_200')).toEqual({ arch: B, value: 10 });
    const r = b.operatorRanking('c10_test_200');
    // edge 1<-0: skip_connect (mean 10) above none (mean 1); other edges: none only, mean (1 + 10) / 2
    expect(r[0]).toEqual({ edge: '1<-0', op: 'skip_connect', mean: 10, rank: 1 });
    expect(r.slice(1, 6).map((x) => [x.edge, x.mean])).toEqual(NB201_EDGES.slice(1).map((e) => [e, 5.5]));
    expect(r[6]).toEqual({ edge: '1<-0', op: 'none', mean: 1, rank: 7 });
  });

  test('a missing column is named', () => {
    const cols = ['index', 'arch', ...NB201_COLUMNS.filter((c) => c !== 'c10_val_12' && c !== 'in16_test_12')];
    const f = write(cols.join(',') + '\n');
    expect(errorOf(f)).toBe(`${f}: missing column(s) c10_val_12, in16_test_12 (header: ${cols.join(', ')})`);
  });

  test('a malformed row is named by its line number', () => {
    let f = write([header, row(0, A), '1,' + B + ',1,2,3'].join('\n'));
    expect(errorOf(f)).toBe(`${f}:3: malformed row: 5 fields, expected 11 (${header.split(',').join(', ')})`);
    f = write([header, row(0, A), row(1, B).replace(',2,', ',abc,')].join('\n'));
    expect(errorOf(f)).toBe(`${f}:3: malformed row: c100_test_200 'abc' is not a number`);
    f = write([header, row(0, '|none~0|+|none~0|')].join('\n'));
    expect(errorOf(f)).toBe(`${f}:2: malformed row: arch '|none~0|+|none~0|' is not an arch string (expected '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|')`);
    f = write([header, row(0, A), row(1, A)].join('\n'));
    expect(errorOf(f)).toBe(`${f}:3: arch ${A} appears again (first on line 2)`);
    f = write([header, row(-1, A)].join('\n'));
    expect(errorOf(f)).toBe(`${f}:2: malformed row: index '-1' is not an integer >= 0`);
  });

  test('a gzipped table reads like the plain one; a broken gzip file is named', () => {
    const plain = write([header, row(0, A), row(1, B)].join('\n'));
    const gz = path.join(dir, 'table.csv.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(plain)));
    const a = Nb201Benchmark.load(plain);
    const b = Nb201Benchmark.load(gz);
    expect([...b.entries()]).toEqual([...a.entries()]);
    const broken = path.join(dir, 'broken.csv.gz');
    fs.writeFileSync(broken, zlib.gzipSync(fs.readFileSync(plain)).subarray(0, 20));
    expect(errorOf(broken)).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a valid gzip file \\(.*\\); expected a gzipped or plain CSV NAS-Bench-201 table$`));
  });

  test('a missing file is named; ABSNAS_NB201 is used when no file is given', () => {
    const missing = path.join(dir, 'none.csv');
    expect(errorOf(missing)).toBe(`${missing}: cannot read the NAS-Bench-201 table: no such file`);
    const saved = process.env.ABSNAS_NB201;
    try {
      process.env.ABSNAS_NB201 = missing;
      expect(Nb201Benchmark.defaultPath()).toBeUndefined();
      expect(() => Nb201Benchmark.load()).toThrow(`${missing}: cannot read the NAS-Bench-201 table: no such file (from ABSNAS_NB201)`);
      const f = write([header, row(3, A)].join('\n'));
      process.env.ABSNAS_NB201 = f;
      expect(Nb201Benchmark.defaultPath()).toBe(f);
      expect(Nb201Benchmark.load().index(A)).toBe(3);
    } finally {
      if (saved === undefined) delete process.env.ABSNAS_NB201;
      else process.env.ABSNAS_NB201 = saved;
    }
  });
});
