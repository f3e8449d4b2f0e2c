import { BACKEND_CHOICES } from '../backend/choices';

/** A JSON schema (draft 2020-12 / draft-07 subset that ajv accepts). */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON schema (draft-07) of a run configuration. It is the source of
 * truth for users: every object rejects unknown keys (so that typos fail),
 * and every setting but the search space has a default. Plugin options are
 * open objects here; validate.ts puts each plugin's own schema in their place.
 */

/** A plugin reference: `{ plugin, options }`; `options` defaults to `{}`. */
export function pluginRefSchema(description: string, defaultPlugin?: string): JsonSchema {
  const schema: JsonSchema = {
    type: 'object',
    description,
    additionalProperties: false,
    required: ['plugin'],
    properties: {
      plugin: {
        type: 'string',
        minLength: 1,
        description:
          'npm package name of the plugin, or a path to it (relative to the preset file that names it)',
      },
      options: {
        type: 'object',
        description: "the plugin's options (checked against the plugin's own schema)",
        default: {},
      },
    },
  };
  if (defaultPlugin !== undefined) schema.default = { plugin: defaultPlugin, options: {} };
  return schema;
}

/**
 * How a supernet is trained (SGD with momentum and a learning-rate schedule).
 * Searcher plugins may embed it in their options schemas; a missing object
 * becomes `{}` and then takes every default.
 */
export const trainConfigSchema: JsonSchema = {
  type: 'object',
  description: 'supernet training: SGD with momentum and a learning-rate schedule',
  additionalProperties: false,
  default: {},
  properties: {
    batchSize: { type: 'integer', minimum: 1, default: 64, description: 'images per step' },
    learningRate: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 0.025,
      description: 'initial learning rate',
    },
    minLearningRate: {
      type: 'number',
      minimum: 0,
      default: 0.001,
      description: 'final learning rate of the cosine or linear schedule',
    },
    schedule: {
      type: 'string',
      enum: ['cosine', 'linear', 'constant'],
      default: 'cosine',
      description: 'learning-rate schedule over the training epochs',
    },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9 },
    nesterov: { type: 'boolean', default: true },
    weightDecay: { type: 'number', minimum: 0, default: 5e-4, description: 'L2 weight decay' },
    weightDecayScope: {
      type: 'string',
      enum: ['all', 'weights'],
      default: 'all',
      description:
        "which parameters weightDecay applies to: 'all' (every trained parameter), or 'weights' (conv and linear/classifier kernels only: no biases, no batch-norm scale or shift; the ImageNet shrinking recipe)",
    },
    offPathUpdates: {
      type: 'boolean',
      default: false,
      description:
        'keep updating a parameter off the sampled path once it has had a gradient: it gets a zero gradient, so weight decay and momentum still move it (the NB201 reference trains so: its zero_grad, PyTorch <= 1.5, keeps zeroed gradients); false: it is left untouched',
    },
    gradientClip: {
      type: 'number',
      minimum: 0,
      default: 5,
      description: 'clip the gradients to this value (0 = off): their global norm, or every element (gradientClipMode)',
    },
    gradientClipMode: {
      type: 'string',
      enum: ['norm', 'value'],
      default: 'norm',
      description:
        "'norm': scale the gradients so that their global L2 norm is at most gradientClip (torch clip_grad_norm_, the DARTS code); 'value': clip every gradient element to [-gradientClip, gradientClip] (torch clip_grad_value_, the ABS DARTS shrinking reference)",
    },
    stepsPerEpoch: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'limit the steps of an epoch (0 = a full pass over the training split)',
    },
    augment: {
      type: 'boolean',
      default: false,
      description: 'random crop (zero padding 4) and horizontal flip',
    },
    labelSmoothing: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0,
      description: 'label smoothing of the cross-entropy loss (the ImageNet reference uses 0.1)',
    },
  },
};

const dataSchema: JsonSchema = {
  type: 'object',
  description: 'the dataset and its splits',
  additionalProperties: false,
  default: {},
  properties: {
    dataset: { type: 'string', enum: ['mnist', 'cifar10', 'image-folder', 'synthetic'], default: 'mnist' },
    trainSize: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'images used for training (0 = all the training images left after validation)',
    },
    valSize: {
      type: 'integer',
      minimum: 0,
      default: 5000,
      description: 'validation images, carved from the official training set',
    },
    testSize: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'images used from the official test set (0 = all)',
    },
    cacheDir: { type: 'string', minLength: 1, description: 'where fetched datasets are cached (default ~/.cache/absnas)' },
    dir: {
      type: 'string',
      minLength: 1,
      description: "the dataset's own directory: a cifar-10-batches-bin folder, or an image-folder root holding train/ and val/",
    },
    imageSize: { type: 'integer', minimum: 8, default: 224, description: 'image-folder: side of the (square) training crop' },
    imageFolder: {
      type: 'object',
      description: 'image-folder: how the images are read',
      additionalProperties: false,
      default: {},
      properties: {
        mode: {
          type: 'string',
          enum: ['auto', 'memory', 'stream'],
          default: 'auto',
          description:
            "'memory': decode every image once at load time (a training image keeps one random crop for the whole run; refused above maxImages); " +
            "'stream': index the files only and decode each batch when it is needed, in a worker thread, prefetch batches ahead (a fresh random crop and flip every pass; for ImageNet-scale folders); " +
            "'auto': memory up to maxImages images, stream above",
        },
        maxImages: {
          type: 'integer',
          minimum: 1,
          description: 'most images decoded into memory (default: as many as fit in 2 GiB as float32: 3,566 images at 224x224)',
        },
        prefetch: {
          type: 'integer',
          minimum: 0,
          default: 2,
          description: 'stream: batches decoded ahead of the one in use (each holds batchSize x imageSize^2 x 3 float32 values)',
        },
      },
    },
  },
};

const dropPolicySchema: JsonSchema = {
  type: 'object',
  description: 'which operators a shrinking round drops',
  additionalProperties: false,
  default: { kind: 'global', count: 7 },
  properties: {
    kind: {
      type: 'string',
      enum: ['global', 'per-choice'],
      default: 'global',
      description:
        "'global': the `count` lowest-ranked operators of the whole space; 'per-choice': up to `count` per choice",
    },
    count: { type: 'integer', minimum: 1, default: 7, description: 'operators dropped per round' },
    dropAbsent: {
      type: 'boolean',
      default: false,
      description:
        "also drop the operator that marks an absent edge in spaces that have one (the DARTS space's 'none'), like any other operator of a choice point with more than one left, as the ABS DARTS reference does; false: such a space keeps it, and an edge's last real operator, out of every drop list",
    },
  },
};

/** When the base weights W0 of the angle are taken (shrinking and the rank experiment). */
function baseWeightsSchema(takeAfterEpochs: string): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'when the base weights W0 of the angle are taken',
    properties: { takeAfterEpochs: { type: 'integer', minimum: 0, default: 0, description: takeAfterEpochs } },
  };
}

const shrinkSchema: JsonSchema = {
  type: 'object',
  description: 'angle-based search space shrinking (ABS)',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    metric: pluginRefSchema('the metric that ranks operators', '@absnas/metric-angle'),
    threshold: {
      type: 'number',
      minimum: 1,
      default: 1e6,
      description: 'stop when the space has at most this many child models',
    },
    policy: dropPolicySchema,
    epochsBeforeFirstRound: { type: 'integer', minimum: 0, default: 1 },
    epochsPerRound: { type: 'integer', minimum: 1, default: 1 },
    childrenPerOperator: {
      type: 'integer',
      minimum: 1,
      default: 100,
      description: 'children sampled per operator when scores are sampled',
    },
    shareChildren: {
      type: 'boolean',
      default: false,
      description:
        'sampled children are shared: every child drawn (each at most once) counts for every operator it holds, and an operator draws only the children it still lacks; its score is the mean over the first childrenPerOperator children holding it (the ABS DARTS reference). false: every operator draws its own childrenPerOperator children, counted for it alone',
    },
    enumerateUpTo: {
      type: 'integer',
      minimum: 0,
      default: 20000,
      description: 'score every child when the space has at most this many',
    },
    retakeBaseAfterDrops: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 're-take the base weights once, after more than this many operators were dropped (0 = never)',
    },
    baseWeights: baseWeightsSchema(
      'W0 = the weights after this many epochs of shrinking-phase training, counted from the end of shrink.warmup when there is one (0 = the supernet as built, or as the warm-up left it: the DARTS reference takes W0 after its warm-up); at most epochsBeforeFirstRound',
    ),
    maxRounds: { type: 'integer', minimum: 1, default: 50 },
    train: trainConfigSchema,
    space: {
      type: 'object',
      default: {},
      description:
        "space options of the shrinking supernet, through the space's withOptions (e.g. { layers: 14, init: 'kaiming' }: the ABS DARTS reference shrinks on a 14-cell supernet and searches on 8 cells); {} = the space as configured",
    },
    warmup: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'a warm-up that grows the supernet cell by cell before the epochs of the rounds (the ABS DARTS reference: from 3 cells, 11 stages of 5 epochs on 14 cells): stages of epochsPerStage epochs, the first on startCells cells, each next on one cell more, the last one cell short of full depth, each with a fresh optimizer and learning-rate schedule; then a fresh optimizer for the rounds, and W0 taken after it (plus baseWeights.takeAfterEpochs). Needs a supernet with progressive depth (space-darts)',
      properties: {
        startCells: { type: 'integer', minimum: 0, default: 0, description: 'cells of the first stage (0 = no warm-up)' },
        epochsPerStage: { type: 'integer', minimum: 1, default: 5, description: 'epochs of every stage' },
      },
    },
    horizonEpochs: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description:
        'epochs of the learning-rate schedule after the warm-up (0 = through the last round; the ABS DARTS reference decays over 400 epochs and shrinks after 150 + 5 x 20, stopping the decay at minLearningRate)',
    },
  },
};

/** The `absnas rank` experiment (absent from other runs: it has no default). */
const rankSchema: JsonSchema = {
  type: 'object',
  description: 'absnas rank: how well metrics rank child models against a tabular benchmark',
  additionalProperties: false,
  properties: {
    epochs: {
      type: 'array',
      items: { type: 'integer', minimum: 0 },
      minItems: 1,
      uniqueItems: true,
      default: [2, 4, 8],
      description: 'supernet epochs after which every metric scores children',
    },
    metrics: {
      type: 'array',
      minItems: 1,
      description: 'the metrics compared',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['plugin'],
        properties: {
          plugin: { type: 'string', minLength: 1, description: 'npm package name of the metric plugin, or a path to it' },
          options: { type: 'object', default: {}, description: "the plugin's options" },
          label: { type: 'string', minLength: 1, description: "name in tables and plots (default: the metric's name)" },
          children: {
            type: 'string',
            enum: ['all', 'sample'],
            default: 'sample',
            description: "'all': every child of the space; 'sample': the seeded sample of accuracySample children",
          },
        },
      },
      default: [
        { plugin: '@absnas/metric-angle', options: {}, children: 'all' },
        { plugin: '@absnas/metric-accuracy', options: { recalibrate: true }, children: 'sample' },
        { plugin: '@absnas/metric-accuracy', options: { recalibrate: false }, children: 'sample' },
        { plugin: '@absnas/metric-random', options: {}, children: 'sample' },
      ],
    },
    accuracySample: {
      type: 'integer',
      minimum: 2,
      default: 1000,
      description: "children in the seeded sample scored by metrics with children 'sample'",
    },
    column: { type: 'string', minLength: 1, default: 'c10_test_200', description: 'the benchmark column used as ground truth' },
    seeds: {
      type: 'array',
      items: { type: 'integer', minimum: 0, maximum: 4294967295 },
      minItems: 1,
      uniqueItems: true,
      default: [0],
      description: 'one supernet per seed (and per metric that trains alongside it); results are averaged',
    },
    benchmark: { type: 'string', minLength: 1, description: 'the benchmark table, CSV or gzipped CSV (default: $ABSNAS_NB201, else the NAS-Bench-201 table that ships with absnas)' },
    horizonEpochs: {
      type: 'integer',
      minimum: 1,
      description:
        "epochs over which the learning-rate schedule runs (default: the last of `epochs`); larger stops training part way down the schedule, as the reference's operator dropping does (100 epochs of a 250-epoch cosine)",
    },
    baseWeights: baseWeightsSchema(
      "W0 = the supernet's weights after this many training epochs (0 = as built, the reference's operator dropping; 1 = the released NB201 ranking pipeline, whose W0 is the checkpoint written after the first epoch); every scoring epoch must come after it",
    ),
  },
};

/** The `absnas compare` matrix (absent from other runs: it has no default). */
const compareSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'absnas compare: searchers x {original space, ABS-shrunk space} x seeds',
  required: ['searchers'],
  properties: {
    searchers: {
      type: 'array',
      minItems: 1,
      items: pluginRefSchema('a searcher of the comparison'),
      description: 'the searchers compared; each keeps its own options',
    },
    seeds: {
      type: 'array',
      items: { type: 'integer', minimum: 0, maximum: 4294967295 },
      minItems: 1,
      uniqueItems: true,
      default: [0],
      description: 'one shrunk space per seed, shared by every searcher of that seed',
    },
    spaces: {
      type: 'array',
      items: { type: 'string', enum: ['original', 'abs'] },
      minItems: 1,
      uniqueItems: true,
      default: ['original', 'abs'],
      description: "search the original space, the ABS-shrunk one, or both",
    },
    column: {
      type: 'string',
      minLength: 1,
      default: 'c10_test_200',
      description: 'benchmark column that judges the found architectures (spaces with a tabular benchmark)',
    },
    benchmark: { type: 'string', minLength: 1, description: 'the benchmark table, CSV or gzipped CSV (default: $ABSNAS_NB201, else the NAS-Bench-201 table that ships with absnas)' },
  },
};

export const coreConfigSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'absnas run configuration',
  type: 'object',
  additionalProperties: false,
  required: ['space'],
  properties: {
    $schema: { type: 'string', description: 'the JSON schema of this file, for editors' },
    extends: {
      type: ['string', 'array'],
      items: { type: 'string', minLength: 1 },
      minLength: 1,
      description: 'preset(s) this one builds on, relative to this file; applied in order, this file wins',
    },
    description: { type: 'string' },
    name: { type: 'string', minLength: 1, default: 'run', description: 'the name of the run' },
    seed: {
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
      default: 0,
      description: 'seeds every random choice of the run',
    },
    backend: {
      type: 'string',
      enum: [...BACKEND_CHOICES],
      default: 'auto',
      description:
        "tfjs backend; auto picks the fastest one installed (a software WebGPU adapter such as lavapipe only when asked: 'webgpu')",
    },
    data: dataSchema,
    space: pluginRefSchema('the search space plugin'),
    shrink: shrinkSchema,
    search: pluginRefSchema('the searcher plugin that picks the final architecture', '@absnas/spos'),
    rank: rankSchema,
    compare: compareSchema,
    shrunkSpace: {
      type: 'string',
      minLength: 1,
      description: 'a shrunk-space.json of an earlier run: search its candidates instead of the original space (needs shrink.enabled false)',
    },
    plugins: {
      type: 'array',
      description: 'extension plugins (hooks only)',
      items: pluginRefSchema('an extension plugin'),
      default: [],
    },
    output: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        progress: { type: 'boolean', default: true, description: 'show progress of long work' },
      },
    },
  },
};
