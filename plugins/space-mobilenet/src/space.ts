/**
 * The MobileNet-style chain spaces of SPOS/ProxylessNAS (21 layers, 6 MBConv
 * candidates + identity) and FairNAS (19 layers, 6 MBConv candidates); see
 * macro.ts for the layer tables.
 */
import {
  Architecture,
  CandidateSet,
  ChildCost,
  ChoicePoint,
  ConfigError,
  InputSpec,
  Operator,
  Rng,
  SearchSpace,
  WeightLayout,
  WeightSegment,
} from '@absnas/core';
import { childCost, costTable, CostTable } from './cost';
import { blockConvWeights, MobileNetOptions, names, resolveOptions, skeleton } from './macro';
import { formatArchitecture, parseArchitecture, validateArchitecture } from './notation';
import { isIdentity, mbconvSpec } from './ops';
import { sampleDepthUniform, sampleWithinFlops } from './sampling';
import { MobileNetSupernet } from './supernet';

export class MobileNetSpace implements SearchSpace {
  readonly name: string;
  readonly kind = 'chain' as const;
  /** Its supernet runs mixtures of candidates (DARTS, PDARTS, ProxylessNAS, the magnitude metric). */
  readonly mixtures = true;
  readonly options: MobileNetOptions;
  /** Layers `layer0`, `layer1`, ... with their candidates. */
  readonly choicePoints: readonly ChoicePoint[];
  /** The input the FLOPs cap is measured at: the one the supernet was built for. */
  private flopsInput?: InputSpec;
  private readonly tables = new Map<string, CostTable>();

  constructor(options?: Partial<MobileNetOptions>) {
    this.options = resolveOptions(options);
    this.name = `mobilenet-${this.options.variant}`;
    this.choicePoints = skeleton(this.options).layers.map((l) => ({ id: `layer${l.index}`, candidates: l.candidates }));
  }

  parse(text: string): Architecture {
    return parseArchitecture(text, this.choicePoints);
  }

  format(arch: Architecture): string {
    validateArchitecture(arch, this.choicePoints);
    return formatArchitecture(arch);
  }

  /**
   * Depth-uniform sampling (see sampling.ts) over the remaining candidates,
   * with `fixed` held, rejecting children above `maxFlops` (measured at the
   * input of the last supernet built, or of `bindInput`).
   */
  sample(candidates: CandidateSet, rng: Rng, fixed?: Operator): Architecture {
    if (!(this.options.maxFlops > 0)) return sampleDepthUniform(candidates, rng, fixed);
    if (!this.flopsInput) {
      throw new ConfigError('space-mobilenet: maxFlops needs the input size: build the supernet (or call bindInput) before sampling');
    }
    return sampleWithinFlops(candidates, rng, fixed, this.table(this.flopsInput), this.options.maxFlops);
  }

  /** Set the input at which the FLOPs cap of `sample` is measured. */
  bindInput(input: InputSpec): void {
    this.flopsInput = { ...input };
  }

  createSupernet(input: InputSpec, rng: Rng): MobileNetSupernet {
    this.bindInput(input);
    return new MobileNetSupernet(this.options, this.choicePoints, input, rng);
  }

  cost(arch: Architecture, input: InputSpec): ChildCost {
    validateArchitecture(arch, this.choicePoints);
    return childCost(this.table(input), arch);
  }

  /**
   * The angle's weight vector (ABS-METHOD, chain spaces): stem conv, the
   * first block's convs, the final 1x1 conv, the classifier weight (no
   * bias), then for every non-identity layer its block's expand, depthwise
   * and project conv weights. No BN parameters; identity adds nothing.
   */
  weightLayout(arch: Architecture): WeightLayout {
    validateArchitecture(arch, this.choicePoints);
    const segments: WeightSegment[] = [
      { param: `${names.stemConv}.weight` },
      ...blockConvWeights(names.first, 1).map((param) => ({ param })),
      { param: `${names.finalConv}.weight` },
      { param: `${names.classifier}.weight` },
    ];
    arch.forEach((op, i) => {
      const spec = mbconvSpec(op);
      if (isIdentity(op) || !spec) return;
      for (const param of blockConvWeights(names.block(i, op), spec.expansion)) segments.push({ param });
    });
    return { segments, allPathsCut: false };
  }

  private table(input: InputSpec): CostTable {
    const key = `${input.height}x${input.width}x${input.channels}/${input.numClasses}`;
    let t = this.tables.get(key);
    if (!t) {
      t = costTable(this.options, input);
      this.tables.set(key, t);
    }
    return t;
  }
}
