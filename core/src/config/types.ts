/**
 * The run configuration, as validated (defaults applied). The JSON schema in
 * schema.ts is the source of truth for users; these types mirror it.
 */
import type { BackendChoice } from '../backend/choices';

export interface PluginRef {
  /** npm package name, or a path (relative to the preset file) to a plugin package/module. */
  plugin: string;
  options: Record<string, unknown>;
}

/** How a supernet is trained: SGD with momentum and a learning-rate schedule. */
export interface TrainConfig {
  batchSize: number;
  learningRate: number;
  /** Final learning rate of the cosine/linear schedule. */
  minLearningRate: number;
  schedule: 'cosine' | 'linear' | 'constant';
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Which parameters weightDecay applies to: all, or conv/linear kernels only (absent = all). */
  weightDecayScope?: 'all' | 'weights';
  /** Keep updating parameters off the sampled path (zero gradient: decay and momentum) once they had a gradient (absent = off). */
  offPathUpdates?: boolean;
  /** Clip the gradients to this value (0 = off): their global norm, or every element (gradientClipMode). */
  gradientClip: number;
  /** 'norm': clip the global L2 norm (torch clip_grad_norm_); 'value': clip every element to [-clip, clip] (torch clip_grad_value_). Absent = 'norm'. */
  gradientClipMode?: GradientClipMode;
  /** Limit the steps of an epoch (0 = a full pass over the training split). */
  stepsPerEpoch: number;
  /** Random crop (padding 4) and horizontal flip. */
  augment: boolean;
  /** Label smoothing of the cross-entropy loss (0 = plain one-hot targets). */
  labelSmoothing: number;
}

export type GradientClipMode = 'norm' | 'value';

export type DropPolicyConfig = { kind: 'global' | 'per-choice'; count: number } & DropPolicyScope;

/** What a drop list may hold besides a space's real operators. */
export interface DropPolicyScope {
  /**
   * Also drop the operator that marks an absent edge in spaces that have one
   * (the DARTS space's `none`), like any other (absent = false: such a space
   * keeps it, and an edge's last real operator, out of every drop list).
   */
  dropAbsent?: boolean;
}

export interface ShrinkConfig {
  enabled: boolean;
  metric: PluginRef;
  /** Stop when the space has at most this many child models. */
  threshold: number;
  policy: DropPolicyConfig;
  epochsBeforeFirstRound: number;
  epochsPerRound: number;
  /** Children sampled per operator when scores are sampled. */
  childrenPerOperator: number;
  /** Sampled children count for every operator they hold, each child drawn once (the ABS DARTS reference); absent = false. */
  shareChildren?: boolean;
  /** Score every child when the space has at most this many (NB201: all 15,625). */
  enumerateUpTo: number;
  /** Re-take the base weights W0 once, after more than this many operators were dropped (0 = never). */
  retakeBaseAfterDrops: number;
  /** When W0 is taken: after `takeAfterEpochs` epochs of shrinking-phase training after the warm-up if any (0, or absent: as built, or as the warm-up left it). */
  baseWeights?: { takeAfterEpochs: number };
  maxRounds: number;
  train: TrainConfig;
  /** Space options of the shrinking supernet (e.g. { layers: 14 }; absent or empty: the search's space as configured). */
  space?: Record<string, unknown>;
  /** A warm-up that grows the supernet cell by cell before the epochs of the rounds (absent or startCells 0: none). */
  warmup?: WarmupConfig;
  /** Epochs of the learning-rate schedule after the warm-up (absent or 0: through the epochs of the last round). */
  horizonEpochs?: number;
}

/**
 * The ABS DARTS reference's warm-up: stages of `epochsPerStage` epochs, the
 * first on `startCells` cells, each next one on one cell more, up to one
 * cell short of full depth; a fresh optimizer and learning-rate schedule per
 * stage and after the last; W0 is taken after it.
 */
export interface WarmupConfig {
  startCells: number;
  epochsPerStage: number;
}

export interface DataConfig {
  dataset: 'mnist' | 'cifar10' | 'image-folder' | 'synthetic';
  /** Images used from the official training set (0 = all); validation is carved from it. */
  trainSize: number;
  valSize: number;
  /** Images used from the official test set (0 = all). */
  testSize: number;
  /** Where fetched datasets are cached (default ~/.cache/absnas). */
  cacheDir?: string;
  /** The dataset's own directory (a cifar-10-batches-bin folder, an image-folder root). */
  dir?: string;
  /** image-folder: side of the square training crop. */
  imageSize: number;
  /** image-folder: decode into memory, stream batches from disk, or pick by size (absent = auto, defaults). */
  imageFolder?: ImageFolderConfig;
}

/** How an image-folder dataset is read. */
export interface ImageFolderConfig {
  /** 'memory': decode everything at load time; 'stream': decode each batch on demand; 'auto': stream above maxImages. */
  mode: 'auto' | 'memory' | 'stream';
  /** Most images decoded into memory (default: what fits in 2 GiB as float32). */
  maxImages?: number;
  /** Stream mode: batches decoded ahead of the one in use. */
  prefetch: number;
}

/** The `absnas compare` matrix. */
export interface CompareConfig {
  searchers: PluginRef[];
  seeds: number[];
  spaces: ('original' | 'abs')[];
  column: string;
  benchmark?: string;
}

/** A metric of the `absnas rank` experiment. */
export interface RankMetricRef extends PluginRef {
  /** Name in tables and plots (default: the metric's own name). */
  label?: string;
  /** Score every child of the space, or the seeded sample of `accuracySample` children. */
  children: 'all' | 'sample';
}

/** The `absnas rank` experiment: how well metrics rank children against a benchmark. */
export interface RankConfig {
  /** Supernet epochs after which every metric scores children (ascending). */
  epochs: number[];
  metrics: RankMetricRef[];
  /** Size of the seeded sample of children scored by metrics with `children: 'sample'`. */
  accuracySample: number;
  /** The benchmark column that is the ground truth. */
  column: string;
  /** One supernet (per training group) per seed; results are averaged over seeds. */
  seeds: number[];
  /** The benchmark table (default: the NAS-Bench-201 table found by the benchmark loader). */
  benchmark?: string;
  /** When W0 is taken: after `takeAfterEpochs` training epochs (0, or absent: as built). */
  baseWeights?: { takeAfterEpochs: number };
  /** Epochs of the learning-rate schedule (absent: the last of `epochs`). */
  horizonEpochs?: number;
}

export interface RunConfig {
  name: string;
  seed: number;
  backend: BackendChoice;
  data: DataConfig;
  space: PluginRef;
  shrink: ShrinkConfig;
  search: PluginRef;
  /** Extension plugins (hooks only). */
  plugins: PluginRef[];
  output: { progress: boolean };
  /** Only for `absnas rank`; absent otherwise. */
  rank?: RankConfig;
  /** Only for `absnas compare`; absent otherwise. */
  compare?: CompareConfig;
  /** A shrunk-space.json to search instead of the original space. */
  shrunkSpace?: string;
}
