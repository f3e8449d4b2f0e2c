import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../backend';
import { Checkpointer, configHash } from '../checkpoint/checkpointer';
import { loadPreset } from '../config/load';
import { batches } from '../data/batches';
import { loadData } from '../data/load';
import { recalibrateBatchNorm } from '../eval/child-accuracy';
import { assemble } from '../run/assemble';
import type { RunResult } from '../run/run';
import { UserError } from '../util/errors';
import { ensureDir, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';

export interface ExportOptions {
  format: 'tfjs' | 'json';
  outDir: string;
  /** Training batches used to recompute the child's batch-norm statistics. */
  recalibrationBatches: number;
  /** Test images whose logits are saved beside the model, to check a reload against. */
  checkImages: number;
}

/** The supernet weights a run ended with: the newest checkpoint's search-phase trainer. */
function supernetWeights(runDir: string, hash: string): { params: Map<string, Float32Array>; buffers: Map<string, Float32Array> } {
  const loaded = new Checkpointer(path.join(runDir, 'checkpoints'), hash).latest();
  const key = loaded && Object.keys(loaded.parts).find((k) => k.startsWith('search/') && k.endsWith('/trainer'));
  if (!loaded || !key) throw new UserError(`${runDir}: no supernet weights in its checkpoints (export needs a run whose searcher trained a supernet)`);
  const pick = (prefix: string) =>
    new Map([...loaded.tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return { params: pick(`${key}/params/`), buffers: pick(`${key}/buffers/`) };
}

/**
 * Export a run's found architecture: `json` in the space's notation, or
 * `tfjs` as a standalone Layers model (model.json + weights.bin) with the
 * supernet's weights and BN statistics recalibrated for this child, plus the
 * logits absnas computes for the first test images (check-logits.json), so a
 * reloaded model can be checked against absnas's own evaluation.
 */
export async function exportRun(runDir: string, options: ExportOptions, progress: Progress): Promise<string[]> {
  const resultFile = path.join(runDir, 'result.json');
  if (!fs.existsSync(resultFile)) throw new UserError(`${runDir}: no result.json (is it a finished absnas run?)`);
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as RunResult;
  const loaded = loadPreset(path.join(runDir, 'config.json'));
  const assembly = assemble(loaded.raw, loaded.origin);
  const { config, space } = assembly;
  const arch = space.parse(result.architecture);
  ensureDir(options.outDir);

  if (options.format === 'json') {
    const file = path.join(options.outDir, 'architecture.json');
    writeJsonAtomic(file, {
      format: 'absnas.architecture',
      version: 1,
      space: space.name,
      architecture: result.architecture,
      choices: Object.fromEntries(space.choicePoints.map((p, i) => [p.id, arch[i]])),
      cost: result.cost,
      metrics: result.metrics,
    });
    return [file];
  }

  if (!space.exportModel) throw new UserError(`space '${space.name}' cannot export tfjs models (its plugin has no exportModel)`);
  await selectBackend(config.backend, (m) => progress.log(m));
  const data = loadData(config.data, config.seed);
  const supernet = space.createSupernet(data.input, new Rng(config.seed));
  try {
    const weights = supernetWeights(runDir, configHash(config));
    supernet.store.load(weights.params, 'params');
    supernet.store.load(weights.buffers, 'buffers');
    recalibrateBatchNorm(supernet, arch, data, options.recalibrationBatches, 64, Rng.derive(config.seed, 'export'));
    const model = space.exportModel(arch, supernet, data.input);
    const files: string[] = [];
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightsFile = path.join(options.outDir, 'weights.bin');
        writeFileAtomic(weightsFile, new Uint8Array(artifacts.weightData as ArrayBuffer));
        const modelFile = path.join(options.outDir, 'model.json');
        writeJsonAtomic(modelFile, {
          format: 'layers-model',
          generatedBy: `absnas (space ${space.name})`,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        });
        files.push(modelFile, weightsFile);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    // absnas's own evaluation of the same child on the first test images
    const n = Math.min(options.checkImages, data.test.count);
    const batch = batches(data.test, data.input, n, { limit: 1 }).next().value;
    if (batch) {
      const logits = tf.tidy(() => supernet.forward(batch.x, arch, 'eval'));
      batch.x.dispose();
      batch.y.dispose();
      // read asynchronously: webgpu in Node reads no other way
      const values = await logits.data();
      logits.dispose();
      const file = path.join(options.outDir, 'check-logits.json');
      writeJsonAtomic(file, { images: n, dataset: data.name, split: 'test (first images, in order)', logits: Array.from(values), classes: data.input.numClasses });
      files.push(file);
    }
    model.dispose();
    return files;
  } finally {
    supernet.dispose();
  }
}
