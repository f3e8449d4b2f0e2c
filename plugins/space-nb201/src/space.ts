/**
 * The NAS-Bench-201 search space: 6 edges x 5 operators (15,625 children),
 * cells shared by all 3N cell positions.
 */
import {
  Architecture,
  ArchitectureGraph,
  CandidateSet,
  ChildCost,
  ChoicePoint,
  InputSpec,
  Operator,
  Rng,
  SearchSpace,
  Supernet,
  tf,
  WeightLayout,
} from '@absnas/core';
import { exportNb201Model } from './export';
import { formatArchString, parseArchString } from './arch-string';
import { nb201Cost } from './cost';
import { NUM_STAGES, Nb201Options, resolveOptions } from './macro';
import { samplePerCell } from './sampling';
import { Nb201Supernet } from './supernet';
import { EDGES, NB201_OPS } from './topology';
import { nb201WeightLayout } from './weight-layout';

export class Nb201Space implements SearchSpace {
  readonly name = 'nb201';
  readonly kind = 'cell' as const;
  /** Its supernet runs mixtures of candidates (DARTS, PDARTS, ProxylessNAS, the magnitude metric). */
  readonly mixtures = true;
  readonly options: Nb201Options;
  /** The 6 edges, ids `1<-0`, `2<-0`, `2<-1`, `3<-0`, `3<-1`, `3<-2`. */
  readonly choicePoints: readonly ChoicePoint[] = EDGES.map((e) => ({ id: e.id, candidates: [...NB201_OPS] }));

  constructor(options?: Partial<Nb201Options>) {
    this.options = resolveOptions(options);
  }

  parse(text: string): Architecture {
    return parseArchString(text);
  }

  format(arch: Architecture): string {
    return formatArchString(arch);
  }

  /** Uniform over the remaining candidates of every edge (NB201 has no constraints). */
  sample(candidates: CandidateSet, rng: Rng, fixed?: Operator): Architecture {
    return candidates.sampleUniform(rng, fixed);
  }

  /** `shared`: one child for all cells (`sample`); `per-cell`: every cell its own, by the reference's redraw rule. */
  sampleTrainingPath(candidates: CandidateSet, rng: Rng): Architecture {
    if (this.options.sampling === 'shared') return this.sample(candidates, rng);
    return samplePerCell(candidates, rng, NUM_STAGES * this.options.cellsPerStage);
  }

  createSupernet(input: InputSpec, rng: Rng): Nb201Supernet {
    return new Nb201Supernet(this.options, input, rng);
  }

  /** Standalone params and FLOPs (plain counts), as in the NAS-Bench-201 records. */
  cost(arch: Architecture, input: InputSpec): ChildCost {
    return nb201Cost(arch, this.options, input);
  }

  weightLayout(arch: Architecture): WeightLayout {
    return nb201WeightLayout(arch, this.options);
  }

  /** The same space with other macro options (PDARTS deepens the supernet stage by stage: { cellsPerStage: 3 }). */
  withOptions(overrides: Record<string, unknown>): Nb201Space {
    return new Nb201Space({ ...this.options, ...(overrides as Partial<Nb201Options>) });
  }

  exportModel(arch: Architecture, supernet: Supernet, input: InputSpec): tf.LayersModel {
    return exportNb201Model(supernet as Nb201Supernet, arch, input);
  }

  /** The cell as a diamond: input 0 left, output 3 right, so no two edges overlap. */
  graph(arch: Architecture): ArchitectureGraph {
    const nodes = [
      { id: '0', x: 0, y: 0.5 },
      { id: '1', x: 0.5, y: 1 },
      { id: '2', x: 0.5, y: 0 },
      { id: '3', x: 1, y: 0.5 },
    ];
    const edges = EDGES.map((e, i) => ({ from: String(e.from), to: String(e.to), op: arch[i] })).filter((e) => e.op !== 'none');
    return { nodes, edges };
  }
}
