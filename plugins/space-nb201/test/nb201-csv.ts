/** Locates and reads the NAS-Bench-201 ground-truth table for the tests. */
import * as fs from 'fs';
import * as path from 'path';

export const NB201_CSV = process.env.ABSNAS_NB201 ?? path.resolve(__dirname, '../../../../shared/benchmarks/nb201/nb201.csv');

export const haveCsv = fs.existsSync(NB201_CSV);
if (!haveCsv) {
  console.warn(`nb201.csv not found at ${NB201_CSV} (set ABSNAS_NB201): the tests that need it are skipped`);
}

/** `describe`, or `describe.skip` when the CSV is missing. */
export const describeWithCsv = haveCsv ? describe : describe.skip;

/** index -> architecture string (empty when the CSV is missing). */
export function readArchStrings(): Map<number, string> {
  if (!haveCsv) return new Map();
  const lines = fs.readFileSync(NB201_CSV, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const iIndex = header.indexOf('index');
  const iArch = header.indexOf('arch');
  const out = new Map<number, string>();
  for (const line of lines.slice(1)) {
    const cols = line.split(',');
    out.set(Number(cols[iIndex]), cols[iArch]);
  }
  return out;
}
