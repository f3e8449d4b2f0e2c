import type { DataConfig } from '../config/types';
import { DataError } from '../util/errors';
import { Rng } from '../util/rng';
import type { DataSplits } from './dataset';
import { loadCifar10 } from './cifar10';
import { loadImageFolder } from './image-folder';
import { loadMnist } from './mnist';
import { loadSynthetic } from './synthetic';

/**
 * The splits a run uses, from its data config. The split (and the synthetic
 * data) depend only on the seed, through a generator of their own.
 */
export function loadData(config: DataConfig, seed: number): DataSplits {
  const rng = new Rng(seed).fork('data');
  const sizes = { trainSize: config.trainSize, valSize: config.valSize, testSize: config.testSize, rng };
  switch (config.dataset) {
    case 'mnist':
      return loadMnist(sizes);
    case 'cifar10':
      return loadCifar10({ ...sizes, dir: config.dir, cacheDir: config.cacheDir });
    case 'image-folder':
      if (!config.dir) throw new DataError("image-folder: set data.dir to the folder that holds train/<class>/ and val/<class>/");
      return loadImageFolder({
        ...sizes,
        dir: config.dir,
        imageSize: config.imageSize,
        mode: config.imageFolder?.mode,
        maxImages: config.imageFolder?.maxImages,
        prefetch: config.imageFolder?.prefetch,
      });
    case 'synthetic':
      return loadSynthetic(sizes);
    default:
      throw new DataError(`unknown dataset '${String((config as { dataset: unknown }).dataset)}' (known: mnist, synthetic)`);
  }
}
