/** The NAS-Bench-201 architecture strings, from the table that ships with absnas. */
import { Nb201Benchmark } from '@absnas/core';

/** index -> architecture string, for all 15,625 cells. */
export function readArchStrings(): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of Nb201Benchmark.load().entries()) out.set(e.index, e.arch);
  return out;
}
