/**
 * The DARTS cell search space: 28 choice points, the 14 edges of the normal
 * cell (`normal:2<-0` ... `normal:5<-4`) and the 14 of the reduction cell
 * (`reduce:...`), each over the 8 DARTS operators.
 *
 * Why 28 and not 14 shared: a DARTS result is a genotype whose normal and
 * reduction cells differ, and DARTS/PDARTS learn separate weights (alpha)
 * and switches for the two. ABS, which treats the cell as one (one random
 * cell copied to all cells), keeps the two lists equal through the space's
 * shrink hooks (see sampling.ts: tieCellScores, mirrorDrops). The size of
 * a candidate set counts both cell types: (product over the 14 edges)^2.
 */
import {
  Architecture,
  CandidateSet,
  ChildCost,
  ChoicePoint,
  InputSpec,
  Network,
  Operator,
  Rng,
  SearchSpace,
  WeightLayout,
} from '@absnas/core';
import { dartsCost } from './cost';
import { formatArchitecture, parseArchitecture, validateArchitecture } from './genotype';
import { DartsOptions, resolveOptions } from './macro';
import { DartsNetwork, resolveNetworkOptions } from './network';
import { deriveArchitecture, sampleArchitecture } from './sampling';
import { DartsSupernet } from './supernet';
import { CELL_TYPES, DARTS_OPS, EDGES } from './topology';
import { dartsWeightLayout } from './weight-layout';

export class DartsSpace implements SearchSpace {
  readonly name = 'darts';
  readonly kind = 'cell' as const;
  /** Its supernet runs mixtures of candidates (DARTS, PDARTS, ProxylessNAS, the magnitude metric). */
  readonly mixtures = true;
  readonly options: DartsOptions;
  readonly choicePoints: readonly ChoicePoint[] = CELL_TYPES.flatMap((type) =>
    EDGES.map((e) => ({ id: `${type}:${e.id}`, candidates: [...DARTS_OPS] })),
  );

  constructor(options?: Partial<DartsOptions>) {
    this.options = resolveOptions(options);
  }

  parse(text: string): Architecture {
    return parseArchitecture(text);
  }

  format(arch: Architecture): string {
    return formatArchitecture(arch);
  }

  /** One random cell copied to both cell types, two inputs per node, by the `sampling` rule (see sampling.ts). */
  sample(candidates: CandidateSet, rng: Rng, fixed?: Operator): Architecture {
    return sampleArchitecture(candidates, rng, fixed, this.options.sampling);
  }

  createSupernet(input: InputSpec, rng: Rng): DartsSupernet {
    return new DartsSupernet(this.options, input, rng);
  }

  /** Params and FLOPs of the standalone network (networkChannels, networkLayers; auxiliary head not counted). */
  cost(arch: Architecture, input: InputSpec): ChildCost {
    const { networkChannels: channels, networkLayers: layers, stemMultiplier } = this.options;
    return dartsCost(arch, { channels, layers, stemMultiplier }, input);
  }

  weightLayout(arch: Architecture): WeightLayout {
    return dartsWeightLayout(arch, this.options);
  }

  /** The DARTS genotype: the top-2 inputs of every node by their strongest non-`none` weight. */
  derive(weights: readonly Float32Array[]): Architecture {
    return deriveArchitecture(weights);
  }

  withOptions(overrides: Record<string, unknown>): DartsSpace {
    return new DartsSpace({ ...this.options, ...(overrides as Partial<DartsOptions>) });
  }

  /** NetworkCIFAR of the DARTS code; options: channels, layers, stemMultiplier, auxiliary (defaults: networkChannels, networkLayers, 3, true). */
  createNetwork(arch: Architecture, input: InputSpec, rng: Rng, options: Record<string, unknown>): Network {
    validateArchitecture(arch);
    const o = resolveNetworkOptions(options, {
      channels: this.options.networkChannels,
      layers: this.options.networkLayers,
      stemMultiplier: this.options.stemMultiplier,
      auxiliary: true,
    });
    return new DartsNetwork(arch, o, input, rng);
  }
}
