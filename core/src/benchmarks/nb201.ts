import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ArchitectureError, DataError, UserError } from '../util/errors';

/** The value columns of the NAS-Bench-201 table: test accuracy (%) after 200 epochs, test and validation after 12. */
export const NB201_COLUMNS: readonly string[] = Object.freeze([
  'c10_test_200',
  'c100_test_200',
  'in16_test_200',
  'c10_test_12',
  'c10_val_12',
  'c100_test_12',
  'c100_val_12',
  'in16_test_12',
  'in16_val_12',
]);

/** The cell's edges in the order of the arch string: into node 1, then 2, then 3. */
export const NB201_EDGES: readonly string[] = Object.freeze(['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2']);

/** The table that ships with absnas (core/data/nb201: provenance and columns in its README). */
export const NB201_BUNDLED_TABLE = path.join(__dirname, '..', '..', 'data', 'nb201', 'nb201.csv.gz');
const NODES = 3;

/**
 * The six operators of an arch string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`,
 * in edge order (NB201_EDGES); undefined when it is not of that form.
 */
export function parseNb201Arch(arch: string): string[] | undefined {
  const groups = arch.split('+');
  if (groups.length !== NODES) return undefined;
  const ops: string[] = [];
  for (let node = 1; node <= NODES; node++) {
    const g = groups[node - 1];
    if (g.length < 2 || g[0] !== '|' || g[g.length - 1] !== '|') return undefined;
    const tokens = g.slice(1, -1).split('|');
    if (tokens.length !== node) return undefined;
    for (let input = 0; input < node; input++) {
      const m = /^([A-Za-z0-9_]+)~(\d+)$/.exec(tokens[input]);
      if (!m || Number(m[2]) !== input) return undefined;
      ops.push(m[1]);
    }
  }
  return ops;
}

function describeArchFormat(): string {
  return "expected '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'";
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

interface Parsed {
  columns: string[];
  indices: Int32Array;
  archs: string[];
  ops: string[][];
  values: Map<string, Float64Array>;
  byArch: Map<string, number>;
}

function parseCsv(file: string, text: string): Parsed {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new DataError(`${file}: empty file, expected a CSV with the columns index, arch, ${NB201_COLUMNS.join(', ')}`);
  const header = lines[0].split(',').map((h) => h.trim());
  const missing = ['index', 'arch', ...NB201_COLUMNS].filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new DataError(`${file}: missing column(s) ${missing.join(', ')} (header: ${header.join(', ')})`);
  }
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new DataError(`${file}: column '${dup}' appears twice in the header`);
  const iIndex = header.indexOf('index');
  const iArch = header.indexOf('arch');
  const columns = header.filter((h) => h !== 'index' && h !== 'arch');
  const colPos = columns.map((c) => header.indexOf(c));
  const rows = lines.length - 1;
  const indices = new Int32Array(rows);
  const archs: string[] = new Array(rows);
  const ops: string[][] = new Array(rows);
  const cols = columns.map(() => new Float64Array(rows));
  const byArch = new Map<string, number>();
  const seenIndex = new Map<number, number>();
  for (let r = 0; r < rows; r++) {
    const lineNo = r + 2;
    const fields = lines[r + 1].split(',');
    if (fields.length !== header.length) {
      throw new DataError(`${file}:${lineNo}: malformed row: ${fields.length} fields, expected ${header.length} (${header.join(', ')})`);
    }
    const idxText = fields[iIndex].trim();
    if (!/^\d+$/.test(idxText)) throw new DataError(`${file}:${lineNo}: malformed row: index '${idxText}' is not an integer >= 0`);
    const index = Number(idxText);
    const arch = fields[iArch].trim();
    const archOps = parseNb201Arch(arch);
    if (!archOps) throw new DataError(`${file}:${lineNo}: malformed row: arch '${arch}' is not an arch string (${describeArchFormat()})`);
    if (byArch.has(arch)) throw new DataError(`${file}:${lineNo}: arch ${arch} appears again (first on line ${byArch.get(arch)! + 2})`);
    if (seenIndex.has(index)) throw new DataError(`${file}:${lineNo}: index ${index} appears again (first on line ${seenIndex.get(index)! + 2})`);
    for (let c = 0; c < columns.length; c++) {
      const t = fields[colPos[c]].trim();
      const v = t === '' ? NaN : Number(t);
      if (!Number.isFinite(v)) throw new DataError(`${file}:${lineNo}: malformed row: ${columns[c]} '${t}' is not a number`);
      cols[c][r] = v;
    }
    indices[r] = index;
    archs[r] = arch;
    ops[r] = archOps;
    byArch.set(arch, r);
    seenIndex.set(index, r);
  }
  return { columns, indices, archs, ops, values: new Map(columns.map((c, i) => [c, cols[i]])), byArch };
}

/** The text of a table file: gzipped (by its magic bytes) or plain UTF-8. */
function decode(file: string, bytes: Buffer): string {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes.toString('utf8');
  try {
    return zlib.gunzipSync(bytes).toString('utf8');
  } catch (e) {
    throw new DataError(`${file}: not a valid gzip file (${(e as Error).message}); expected a gzipped or plain CSV NAS-Bench-201 table`);
  }
}

/** Parsed tables, by file, size and modification time. */
const loaded = new Map<string, Nb201Benchmark>();

/**
 * The NAS-Bench-201 table (core/data/nb201/nb201.csv.gz by default): per cell
 * architecture its official index and accuracies. Ground truth for ranking
 * correlations and for judging a shrunk space.
 */
export class Nb201Benchmark {
  readonly file: string;
  readonly size: number;
  private readonly data: Parsed;

  private constructor(file: string, data: Parsed) {
    this.file = file;
    this.data = data;
    this.size = data.archs.length;
  }

  /** Where load() reads without a file: ABSNAS_NB201, else the table that ships with absnas; undefined if that file does not exist. */
  static defaultPath(): string | undefined {
    const env = process.env.ABSNAS_NB201;
    const file = env ? path.resolve(env) : NB201_BUNDLED_TABLE;
    return isFile(file) ? file : undefined;
  }

  /** Read (and cache) the table from `file` (CSV, or gzipped CSV), else ABSNAS_NB201, else the table that ships with absnas. */
  static load(file?: string): Nb201Benchmark {
    const given = file ?? (process.env.ABSNAS_NB201 || undefined);
    const where = given !== undefined ? path.resolve(given) : NB201_BUNDLED_TABLE;
    let stat: fs.Stats;
    let bytes: Buffer;
    try {
      stat = fs.statSync(where);
      bytes = fs.readFileSync(where);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DataError(
        `${where}: cannot read the NAS-Bench-201 table: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}` +
          (file === undefined && given !== undefined ? ' (from ABSNAS_NB201)' : ''),
      );
    }
    const key = `${where}\0${stat.size}\0${stat.mtimeMs}`;
    const hit = loaded.get(key);
    if (hit) return hit;
    const bench = new Nb201Benchmark(where, parseCsv(where, decode(where, bytes)));
    loaded.set(key, bench);
    return bench;
  }

  /** The value columns of the file (at least NB201_COLUMNS). */
  columns(): readonly string[] {
    return this.data.columns;
  }

  has(arch: string): boolean {
    return this.data.byArch.has(arch);
  }

  /** The value of `column` for `arch` (an arch string). */
  lookup(arch: string, column: string): number {
    return this.column(column)[this.row(arch)];
  }

  /** The official NAS-Bench-201 index of `arch`. */
  index(arch: string): number {
    return this.data.indices[this.row(arch)];
  }

  *entries(): Iterable<{ index: number; arch: string; values: Record<string, number> }> {
    const { archs, indices, columns, values } = this.data;
    const cols = columns.map((c) => values.get(c)!);
    for (let r = 0; r < archs.length; r++) {
      const v: Record<string, number> = {};
      for (let c = 0; c < columns.length; c++) v[columns[c]] = cols[c][r];
      yield { index: indices[r], arch: archs[r], values: v };
    }
  }

  /**
   * Ground-truth operator ranking: per (edge, op), the mean of `column` over
   * all architectures with that op on that edge; sorted best (highest) first,
   * ties in edge order then op name. Edge ids are NB201_EDGES.
   */
  operatorRanking(column: string): { edge: string; op: string; mean: number; rank: number }[] {
    const values = this.column(column);
    const sums = new Map<string, { edge: number; op: string; sum: number; count: number }>();
    const { ops } = this.data;
    for (let r = 0; r < ops.length; r++) {
      for (let e = 0; e < NB201_EDGES.length; e++) {
        const key = `${e} ${ops[r][e]}`;
        let s = sums.get(key);
        if (!s) sums.set(key, (s = { edge: e, op: ops[r][e], sum: 0, count: 0 }));
        s.sum += values[r];
        s.count++;
      }
    }
    const rows = [...sums.values()].map((s) => ({ edgeNo: s.edge, edge: NB201_EDGES[s.edge], op: s.op, mean: s.sum / s.count }));
    rows.sort((a, b) => b.mean - a.mean || a.edgeNo - b.edgeNo || (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
    return rows.map((r, i) => ({ edge: r.edge, op: r.op, mean: r.mean, rank: i + 1 }));
  }

  /** The architecture with the highest `column` (the first in the file on a tie). */
  best(column: string): { arch: string; value: number } {
    const values = this.column(column);
    if (this.size === 0) throw new DataError(`${this.file}: the table has no rows`);
    let bestRow = 0;
    for (let r = 1; r < values.length; r++) if (values[r] > values[bestRow]) bestRow = r;
    return { arch: this.data.archs[bestRow], value: values[bestRow] };
  }

  private column(column: string): Float64Array {
    const v = this.data.values.get(column);
    if (!v) throw new UserError(`NAS-Bench-201: unknown column '${column}' (columns: ${this.data.columns.join(', ')})`);
    return v;
  }

  private row(arch: string): number {
    const r = this.data.byArch.get(arch);
    if (r !== undefined) return r;
    if (!parseNb201Arch(arch)) throw new ArchitectureError(`NAS-Bench-201: '${arch}' is not an arch string (${describeArchFormat()})`);
    throw new ArchitectureError(`NAS-Bench-201: architecture ${arch} is not in ${this.file}`);
  }
}
