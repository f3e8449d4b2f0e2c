/**
 * The angle metric against an independent implementation: weights of a small
 * NB201 supernet (C=2, N=1) trained in PyTorch by
 * bench/reference/nb201_angle_rank.py, and the angles that script computes for
 * 40 children by building V(W0) and V(Wt) as explicit concatenations, the way
 * the ABS reference code does for NAS-Bench-201 (fixed parts with BN affine
 * parameters and the classifier bias; per path and cell, conv weights, a 1/9
 * pseudo-kernel per pooling edge, nothing for skip, the path dropped at a
 * `none`). Regenerate with:
 *   /usr/bin/python3 bench/reference/nb201_angle_rank.py --channels 2 --cells 1 --train-images 640 \
 *     --steps 30 --report 30 --export-fixture plugins/metric-angle/test/fixtures/nb201-reference-c2n1.json
 */
import * as fs from 'fs';
import * as path from 'path';
import { Rng, tf } from '@absnas/core';
import { Nb201Space, livePaths } from '@absnas/space-nb201';
import { AngleMetric } from '../src/angle';

interface Fixture {
  channels: number;
  cellsPerStage: number;
  params: { name: string; w0: string; wt: string }[];
  children: { arch: string; angle: number }[];
}

function float32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

describe('angle metric against the PyTorch reference algorithm (NB201)', () => {
  const fixture: Fixture = JSON.parse(
    fs.readFileSync(path.join(__dirname, 'fixtures', 'nb201-reference-c2n1.json'), 'utf8'),
  );

  it('gives the reference angle for every child with a live path, and 0 when every path is cut', async () => {
    const space = new Nb201Space({ channels: fixture.channels, cellsPerStage: fixture.cellsPerStage });
    const supernet = space.createSupernet({ height: 32, width: 32, channels: 3, numClasses: 10 }, new Rng(7));
    try {
      const base = new Map<string, Float32Array>();
      for (const p of fixture.params) {
        const v = supernet.store.get(p.name);
        const w0 = float32(p.w0);
        const wt = float32(p.wt);
        expect(w0.length).toBe(v.size);
        base.set(p.name, w0);
        // element order is PyTorch's: irrelevant to the angle, which only uses whole-tensor inner products
        v.assign(tf.tensor(wt, v.shape));
      }
      // every trainable parameter of the supernet is covered (cell BNs have no affine parameters)
      expect(new Set(fixture.params.map((p) => p.name))).toEqual(new Set(supernet.store.params.keys()));
      const scorer = await new AngleMetric().prepare({ space, supernet, base } as never);
      let cut = 0;
      for (const child of fixture.children) {
        const arch = space.parse(child.arch);
        const score = await scorer.score(arch);
        if (livePaths(arch).length === 0) {
          // choice: every path cut scores as the worst (the reference keeps only the fixed parts)
          cut++;
          expect(score).toBe(0);
        } else {
          expect(Math.abs(score - child.angle)).toBeLessThan(1e-9);
        }
      }
      expect(cut).toBeGreaterThan(0);
      expect(fixture.children.length - cut).toBeGreaterThanOrEqual(30);
    } finally {
      supernet.dispose();
    }
  });
});
