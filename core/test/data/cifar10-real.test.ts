import * as fs from 'fs';
import * as path from 'path';
import { CIFAR10_FILES, cifar10CacheDir, clearCifar10Cache, loadCifar10 } from '../../src/data/cifar10';
import { fetchCifar10 } from '../../src/data/fetch-cifar10';
import { loadData } from '../../src/data/load';
import { Rng } from '../../src/util/rng';

const dir = cifar10CacheDir();
const present = [...CIFAR10_FILES.train, CIFAR10_FILES.test].every((f) => fs.existsSync(path.join(dir, f)));

describe('CIFAR-10 from the cache (absnas data fetch cifar10)', () => {
  afterAll(() => clearCifar10Cache());

  test('the fetched data: verified, loadable, first test labels 3 8 8 0 6, normalised', async () => {
    if (!present) {
      console.warn(`skipped: no CIFAR-10 in ${dir}; run \`absnas data fetch cifar10\` (or set ABSNAS_CACHE) to enable this test`);
      return;
    }
    // a valid cache: the fetch checks it and does nothing
    const r = await fetchCifar10();
    expect(r.fetched).toBe(false);
    expect(r.summary.trainPerClass).toEqual(new Array(10).fill(5000));
    expect(r.summary.testPerClass).toEqual(new Array(10).fill(1000));

    const d = loadData({ dataset: 'cifar10', trainSize: 5000, valSize: 1000, testSize: 100, imageSize: 32 }, 3);
    expect(d.name).toBe('cifar10');
    expect([d.train.count, d.val.count, d.test.count]).toEqual([5000, 1000, 100]);
    expect(Array.from(d.test.labels.subarray(0, 5))).toEqual([3, 8, 8, 0, 6]);
    // test image 0 (a cat), pixel (0, 0) is (R, G, B) = (158, 112, 49):
    //   (158/255 - 0.4914)/0.2470 = 0.51906, (112/255 - 0.4822)/0.2435 = -0.17653, (49/255 - 0.4465)/0.2616 = -0.97226
    expect(d.test.images[0]).toBeCloseTo(0.51906, 4);
    expect(d.test.images[1]).toBeCloseTo(-0.17653, 4);
    expect(d.test.images[2]).toBeCloseTo(-0.97226, 4);
    // per channel, the training split is about mean 0, std 1 (the constants are the whole set's statistics)
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      const img = d.train.images;
      for (let i = c; i < img.length; i += 3) {
        sum += img[i];
        sq += img[i] * img[i];
      }
      const n = img.length / 3;
      const mean = sum / n;
      expect(Math.abs(mean)).toBeLessThan(0.05);
      expect(Math.abs(Math.sqrt(sq / n - mean * mean) - 1)).toBeLessThan(0.05);
    }
    // testSize 0 = all 10,000 test images; the training split does not depend on how much of the test set is taken
    const all = loadCifar10({ trainSize: 5000, valSize: 1000, testSize: 0, rng: new Rng(3).fork('data') });
    expect(all.test.count).toBe(10000);
    expect(Array.from(all.train.labels)).toEqual(Array.from(d.train.labels));
  });
});
