import type { KindTemplate, TemplateContext } from './context';

/** A search space: a two-layer chain, three convolutions per layer, with its supernet, cost and weight layout. */
export function spaceTemplate(t: TemplateContext): KindTemplate {
  const source = `/**
 * ${t.packageName}: a tiny chain search space for absnas.
 *
 * stem (3x3 conv, BN) -> layer0 -> layer1 -> ReLU -> global average pool -> linear
 *
 * Each layer chooses one of conv1x1, conv3x3, conv5x5, applied as
 * ReLU -> conv (stride 1, same padding, \`channels\` in and out) -> BN: 3 x 3 = 9
 * children. The text notation joins the two choices with '-', e.g.
 * 'conv3x3-conv1x1'. Every candidate of every layer has its own weights in
 * the supernet (weight sharing across children).
 */
import {
  Architecture,
  ArchitectureError,
  BatchNorm,
  CandidateSet,
  ChildCost,
  ChoicePoint,
  Conv2d,
  definePlugin,
  ForwardMode,
  globalAvgPool,
  InputSpec,
  Linear,
  Operator,
  ParamStore,
  relu,
  Rng,
  SEARCH_SPACE,
  SearchSpace,
  Supernet,
  tf,
  WeightLayout,
} from '@absnas/core';

export const OPS = ['conv1x1', 'conv3x3', 'conv5x5'] as const;
export const LAYERS = 2;
const KERNEL: Record<string, number> = { conv1x1: 1, conv3x3: 3, conv5x5: 5 };

export interface TinyChainOptions {
  /** Channels of the stem and of every layer. */
  channels: number;
}

/** Parameter-name prefixes, shared by the supernet, the cost and the weight layout. */
export const names = {
  stemConv: 'stem.conv',
  stemBn: 'stem.bn',
  conv: (layer: number, op: string): string => 'layer' + layer + '.' + op + '.conv',
  bn: (layer: number, op: string): string => 'layer' + layer + '.' + op + '.bn',
  classifier: 'classifier',
};

/** Throws an ArchitectureError (exit code 2 in the CLI) naming what is wrong. */
export function checkArchitecture(arch: Architecture): void {
  if (arch.length !== LAYERS) {
    throw new ArchitectureError('expected ' + LAYERS + ' operators, one per layer, got ' + arch.length + ' (' + arch.join('-') + ')');
  }
  arch.forEach((op, layer) => {
    if (!(OPS as readonly string[]).includes(op)) {
      throw new ArchitectureError('layer' + layer + ": unknown operator '" + op + "' (expected one of " + OPS.join(', ') + ')');
    }
  });
}

/** The trainable parameters of a child, in the order of its weight vector: chosen ops first, then the fixed parts. */
export function childParams(arch: Architecture): string[] {
  checkArchitecture(arch);
  const out: string[] = [];
  arch.forEach((op, layer) => out.push(names.conv(layer, op) + '.weight', names.bn(layer, op) + '.gamma', names.bn(layer, op) + '.beta'));
  out.push(names.stemConv + '.weight', names.stemBn + '.gamma', names.stemBn + '.beta');
  out.push(names.classifier + '.weight', names.classifier + '.bias');
  return out;
}

interface Candidate {
  conv: Conv2d;
  bn: BatchNorm;
}

export class TinyChainSupernet implements Supernet {
  readonly store: ParamStore;
  private readonly stemConv: Conv2d;
  private readonly stemBn: BatchNorm;
  /** Per layer, every candidate operator with its own weights. */
  private readonly layers: Map<string, Candidate>[] = [];
  private readonly classifier: Linear;

  constructor(readonly options: TinyChainOptions, readonly input: InputSpec, rng: Rng) {
    // initialisation draws from the seeded generator: the same supernet on every backend
    this.store = new ParamStore(rng);
    const c = options.channels;
    this.stemConv = new Conv2d(this.store, names.stemConv, input.channels, c, 3);
    this.stemBn = new BatchNorm(this.store, names.stemBn, c, true);
    for (let layer = 0; layer < LAYERS; layer++) {
      const ops = new Map<string, Candidate>();
      for (const op of OPS) {
        ops.set(op, {
          conv: new Conv2d(this.store, names.conv(layer, op), c, c, KERNEL[op]),
          bn: new BatchNorm(this.store, names.bn(layer, op), c, true),
        });
      }
      this.layers.push(ops);
    }
    this.classifier = new Linear(this.store, names.classifier, c, input.numClasses);
  }

  forward(x: tf.Tensor4D, arch: Architecture, mode: ForwardMode): tf.Tensor2D {
    checkArchitecture(arch);
    return tf.tidy(() => {
      let h = this.stemBn.apply(this.stemConv.apply(x), mode);
      arch.forEach((op, layer) => {
        const m = this.layers[layer].get(op) as Candidate;
        h = m.bn.apply(m.conv.apply(relu(h)), mode);
      });
      return this.classifier.apply(globalAvgPool(relu(h)));
    });
  }

  paramsOf(arch: Architecture): string[] {
    return childParams(arch);
  }

  resetBatchNormStats(): void {
    this.stemBn.resetStats();
    for (const ops of this.layers) for (const m of ops.values()) m.bn.resetStats();
  }

  dispose(): void {
    this.store.dispose();
  }
}

export class TinyChainSpace implements SearchSpace {
  readonly name = '${t.shortName}';
  readonly kind = 'chain' as const;
  readonly choicePoints: readonly ChoicePoint[] = Array.from({ length: LAYERS }, (_, layer) => ({
    id: 'layer' + layer,
    candidates: [...OPS],
  }));

  constructor(readonly options: TinyChainOptions) {}

  parse(text: string): Architecture {
    const arch = text.trim().split('-');
    checkArchitecture(arch);
    return arch;
  }

  format(arch: Architecture): string {
    checkArchitecture(arch);
    return arch.join('-');
  }

  /** Uniform over the remaining candidates of each layer, with \`fixed\` held. */
  sample(candidates: CandidateSet, rng: Rng, fixed?: Operator): Architecture {
    return candidates.sampleUniform(rng, fixed);
  }

  createSupernet(input: InputSpec, rng: Rng): TinyChainSupernet {
    return new TinyChainSupernet(this.options, input, rng);
  }

  /** Parameters of the standalone child, and FLOPs counted as multiply-accumulates of its convolutions and classifier, per image. */
  cost(arch: Architecture, input: InputSpec): ChildCost {
    checkArchitecture(arch);
    const c = this.options.channels;
    const pixels = input.height * input.width;
    let params = 9 * input.channels * c + 2 * c;
    let flops = 9 * input.channels * c * pixels;
    for (const op of arch) {
      const k = KERNEL[op];
      params += k * k * c * c + 2 * c;
      flops += k * k * c * c * pixels;
    }
    params += c * input.numClasses + input.numClasses;
    flops += c * input.numClasses;
    return { params, flops };
  }

  /** The child's weight vector for the angle metric: its trainable parameters; no pooling, no cut paths. */
  weightLayout(arch: Architecture): WeightLayout {
    return { segments: childParams(arch).map((param) => ({ param })), allPathsCut: false };
  }
}

export const plugin = definePlugin<TinyChainOptions>({
  name: '${t.packageName}',
  apiVersion: '${t.apiVersion}',
  kind: 'space',
  description: 'A tiny chain space: two layers, each conv1x1, conv3x3 or conv5x5 (9 children), with its weight-sharing supernet.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      channels: { type: 'integer', minimum: 1, default: 8, description: 'channels of the stem and of every layer' },
    },
  },
  register(container, options) {
    container.register(SEARCH_SPACE, { useValue: new TinyChainSpace(options) });
  },
});

export default plugin;
`;

  const test = `import { CandidateSet, PLUGIN_API_VERSION, pluginContainer, Rng, SEARCH_SPACE, selectBackend, tf } from '@absnas/core';
import plugin from '../src/index';

const input = { height: 8, width: 8, channels: 1, numClasses: 4 };

beforeAll(async () => {
  await selectBackend('wasm');
}, 60000);

describe('${t.packageName}', () => {
  const space = pluginContainer(plugin, { channels: 4 }).resolve(SEARCH_SPACE);
  const children = [...new CandidateSet(space.choicePoints).enumerate()];

  it('is a space plugin for this absnas with 9 children', () => {
    expect(plugin.kind).toBe('space');
    expect(plugin.apiVersion.split('.')[0]).toBe(PLUGIN_API_VERSION.split('.')[0]);
    expect(children).toHaveLength(9);
  });

  it('reads back what it writes, and names what is wrong in a bad architecture', () => {
    for (const arch of children) expect(space.parse(space.format(arch))).toEqual(arch);
    expect(() => space.parse('conv3x3-conv7x7')).toThrow(/layer1: unknown operator 'conv7x7'/);
    expect(() => space.parse('conv3x3')).toThrow(/expected 2 operators/);
  });

  it('runs every child through the supernet; cost and weight layout agree with the parameters it uses', () => {
    const supernet = space.createSupernet(input, new Rng(0));
    const x = tf.randomNormal([2, 8, 8, 1]) as tf.Tensor4D;
    for (const arch of children) {
      const logits = supernet.forward(x, arch, 'eval');
      expect(logits.shape).toEqual([2, 4]);
      logits.dispose();
      const used = supernet.paramsOf(arch);
      const size = used.reduce((n, name) => n + supernet.store.get(name).size, 0);
      expect(space.cost(arch, input).params).toBe(size);
      for (const s of space.weightLayout(arch).segments) if ('param' in s) expect(used).toContain(s.param);
    }
    expect(space.cost(['conv5x5', 'conv5x5'], input).flops).toBeGreaterThan(space.cost(['conv1x1', 'conv1x1'], input).flops);
    x.dispose();
    supernet.dispose();
  });
});
`;

  const preset = {
    name: `${t.shortName}-demo`,
    description: `ABS (angle) on ${t.packageName} with synthetic data, then SPOS over the shrunk space. Seconds on a laptop.`,
    seed: 0,
    data: { dataset: 'synthetic', trainSize: 256, valSize: 64, testSize: 64 },
    space: { plugin: '..', options: { channels: 8 } },
    shrink: {
      enabled: true,
      metric: { plugin: '@absnas/metric-angle', options: {} },
      threshold: 4,
      policy: { kind: 'per-choice', count: 1 },
      epochsBeforeFirstRound: 2,
      train: { batchSize: 32, learningRate: 0.05 },
    },
    search: {
      plugin: '@absnas/spos',
      options: {
        epochs: 2,
        train: { batchSize: 32, learningRate: 0.05 },
        evolution: { population: 2, iterations: 2, topK: 2, crossovers: 1, mutations: 1 },
        recalibrationBatches: 1,
        evalBatchSize: 64,
      },
    },
  };

  return {
    source,
    test,
    preset,
    slot: 'space',
    uses: ['@absnas/metric-angle', '@absnas/spos'],
    summary: 'a tiny chain search space (two layers, three convolutions each) with its weight-sharing supernet',
    readme: `## What it does

\`TinyChainSpace\` is a chain space of two layers; each layer chooses one of
\`conv1x1\`, \`conv3x3\`, \`conv5x5\` (ReLU, conv, BN), so it has 9 children,
written like \`conv3x3-conv1x1\`. It provides what absnas asks of a space:

- \`choicePoints\`, \`parse\`/\`format\` (errors are \`ArchitectureError\`s that
  name the bad layer), \`sample\`;
- \`createSupernet\`: every candidate with its own weights on a \`ParamStore\`
  (\`Conv2d\`, \`BatchNorm\`, \`Linear\` from core), a forward pass along one
  child, \`paramsOf\` (what the trainer updates for that child);
- \`cost\`: standalone parameters and multiply-accumulates;
- \`weightLayout\`: the child's weight vector for the angle metric.

Option: \`channels\` (default 8). A preset selects it with

\`\`\`json
"space": { "plugin": "${t.packageName}", "options": { "channels": 16 } }
\`\`\`
`,
  };
}
