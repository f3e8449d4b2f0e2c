import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, runCli, tempDir, TINY } from './helpers';

/** Loads the exported model with @tensorflow/tfjs alone (cpu backend, no absnas code) and prints its logits. */
const PLAIN_TFJS_SCRIPT = `
const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs', { paths: [ROOT] }))});
const fs = require('fs');
(async () => {
  await tf.setBackend('cpu');
  const [dir, imagesFile] = process.argv.slice(2);
  const manifest = JSON.parse(fs.readFileSync(dir + '/model.json', 'utf8'));
  const bin = fs.readFileSync(dir + '/weights.bin');
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: manifest.modelTopology,
    weightSpecs: manifest.weightsManifest[0].weights,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
  }));
  const { shape, values } = JSON.parse(fs.readFileSync(imagesFile, 'utf8'));
  const logits = model.predict(tf.tensor4d(values, shape));
  process.stdout.write(JSON.stringify(Array.from(logits.dataSync())));
})();
`;

describe('absnas export', () => {
  const dir = tempDir('export');

  it('writes a tfjs model whose predictions on 100 test images equal absnas\'s own evaluation', async () => {
    const run = runCli(['run', 'presets/quickstart.json', ...TINY, '--set', 'data.testSize=100', '--out', dir, '--quiet']);
    expect(run.status).toBe(0);
    const exp = runCli(['export', dir, '--format', 'tfjs', '--out', path.join(dir, 'model')]);
    expect(exp.status).toBe(0);
    const check = JSON.parse(fs.readFileSync(path.join(dir, 'model/check-logits.json'), 'utf8'));
    expect(check.images).toBe(100);

    // the same 100 test images, taken independently of absnas's batching
    const { loadData } = await import('@absnas/core');
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const data = loadData(config.data, config.seed);
    const size = data.input.height * data.input.width * data.input.channels;
    const imagesFile = path.join(dir, 'images.json');
    fs.writeFileSync(imagesFile, JSON.stringify({ shape: [100, data.input.height, data.input.width, data.input.channels], values: Array.from(data.test.images.subarray(0, 100 * size)) }));
    const script = path.join(dir, 'plain.js');
    fs.writeFileSync(script, PLAIN_TFJS_SCRIPT);
    const r = spawnSync(process.execPath, [script, path.join(dir, 'model'), imagesFile], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const plain: number[] = JSON.parse(r.stdout);
    expect(plain).toHaveLength(check.logits.length);
    // tolerance: float32 on two backends (wasm for absnas, cpu here) through ~20 layers
    let maxDiff = 0;
    plain.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - check.logits[i]))));
    expect(maxDiff).toBeLessThan(1e-3);
    const argmax = (xs: number[], row: number) => {
      const r0 = xs.slice(row * 10, row * 10 + 10);
      return r0.indexOf(Math.max(...r0));
    };
    for (let i = 0; i < 100; i++) expect(argmax(plain, i)).toBe(argmax(check.logits, i));
  });

  it('writes the architecture as JSON in the space notation', () => {
    const r = runCli(['export', dir, '--format', 'json', '--out', path.join(dir, 'json')]);
    expect(r.status).toBe(0);
    const a = JSON.parse(fs.readFileSync(path.join(dir, 'json/architecture.json'), 'utf8'));
    const result = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(a.architecture).toBe(result.architecture);
    expect(Object.keys(a.choices)).toEqual(['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2']);
  });

  it('refuses a directory that holds no run, in one line', () => {
    const r = runCli(['export', path.join(dir, 'nowhere')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^absnas: .*nowhere: no result\.json/);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
});
