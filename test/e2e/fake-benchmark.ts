/**
 * A fake NAS-Bench-201 table for end-to-end tests: every column of every
 * cell holds a known, integer-valued (so exact) function of its operators.
 */
import * as fs from 'fs';

const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
const COLUMNS = ['c10_test_200', 'c100_test_200', 'in16_test_200', 'c10_test_12', 'c10_val_12', 'c100_test_12', 'c100_val_12', 'in16_test_12', 'in16_val_12'];
const WEIGHT: Record<string, number> = { none: 0, skip_connect: 2, nor_conv_1x1: 4, nor_conv_3x3: 6, avg_pool_3x3: 1 };

/** The fake benchmark's ground truth: a known, integer-valued (so exact) function of the architecture, edges in arch-string order. */
export const KNOWN = `(ops) => ops.reduce((s, op, i) => s + ${JSON.stringify(WEIGHT)}[op] * (10 + i), 0)`;
const known = eval(KNOWN) as (ops: string[]) => number;

function archString(ops: string[]): string {
  return `|${ops[0]}~0|+|${ops[1]}~0|${ops[2]}~1|+|${ops[3]}~0|${ops[4]}~1|${ops[5]}~2|`;
}

/** All 15,625 NB201 cells, values = known(arch) in every column. */
export function writeFakeBenchmark(file: string): void {
  const lines = [['index', 'arch', ...COLUMNS].join(',')];
  for (let i = 0; i < 5 ** 6; i++) {
    const ops = Array.from({ length: 6 }, (_, e) => OPS[Math.floor(i / 5 ** (5 - e)) % 5]);
    const v = String(known(ops));
    lines.push([String(i), archString(ops), ...COLUMNS.map(() => v)].join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

