import type { Nb201Benchmark } from '../benchmarks/nb201';
import type { Operator } from '../space/candidates';
import type { Architecture, SearchSpace } from '../space/search-space';
import { UserError } from '../util/errors';

/** The benchmark's value of `column` for each child, looked up by the space's text notation. */
export function groundTruth(bench: Nb201Benchmark, space: SearchSpace, children: readonly Architecture[], column: string): Float64Array {
  const out = new Float64Array(children.length);
  children.forEach((arch, i) => {
    const text = space.format(arch);
    if (!bench.has(text)) {
      throw new UserError(`the benchmark ${bench.file} has no entry for ${text}: is it a table of the '${space.name}' space?`);
    }
    out[i] = bench.lookup(text, column);
  });
  return out;
}

/**
 * The benchmark's best `count` operators (by the mean of `column` over the
 * architectures that contain them), as operators of `space`.
 */
export function topOperators(bench: Nb201Benchmark, space: SearchSpace, column: string, count: number): (Operator & { mean: number })[] {
  const ids = space.choicePoints.map((p) => p.id);
  return bench
    .operatorRanking(column)
    .slice(0, count)
    .map((r) => {
      const point = ids.indexOf(r.edge);
      if (point < 0) throw new UserError(`benchmark edge '${r.edge}' is not a choice point of space '${space.name}' (${ids.join(', ')})`);
      return { point, op: r.op, mean: r.mean };
    });
}
