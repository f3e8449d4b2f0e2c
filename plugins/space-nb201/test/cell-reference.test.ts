/**
 * The tfjs search cell against a direct float64 computation of the same
 * cell (PyTorch semantics: NCHW-agnostic loops, batch-statistics BN with the
 * biased variance and eps 1e-5, average pooling that does not count padding).
 */
import { Architecture, ParamStore, Rng, tf } from '@absnas/core';
import { SearchCell } from '../src/cell';
import { avgPool3x3 } from '../src/ops';
import { EDGES } from '../src/topology';

/** A dense NHWC float64 tensor. */
interface T {
  n: number;
  h: number;
  w: number;
  c: number;
  data: Float64Array;
}

const at = (t: T, b: number, i: number, j: number, k: number) => ((b * t.h + i) * t.w + j) * t.c + k;
const like = (t: T): T => ({ ...t, data: new Float64Array(t.data.length) });

function relu(x: T): T {
  const y = like(x);
  for (let i = 0; i < x.data.length; i++) y.data[i] = Math.max(0, x.data[i]);
  return y;
}

/** Conv, stride 1, zero padding k//2, weight [k, k, cin, cout], cin == cout. */
function conv(x: T, weight: Float32Array, k: number): T {
  const y = like(x);
  const r = Math.floor(k / 2);
  for (let b = 0; b < x.n; b++)
    for (let i = 0; i < x.h; i++)
      for (let j = 0; j < x.w; j++)
        for (let co = 0; co < x.c; co++) {
          let s = 0;
          for (let di = 0; di < k; di++)
            for (let dj = 0; dj < k; dj++) {
              const ii = i + di - r;
              const jj = j + dj - r;
              if (ii < 0 || ii >= x.h || jj < 0 || jj >= x.w) continue;
              for (let ci = 0; ci < x.c; ci++) s += x.data[at(x, b, ii, jj, ci)] * weight[((di * k + dj) * x.c + ci) * x.c + co];
            }
          y.data[at(y, b, i, j, co)] = s;
        }
  return y;
}

/** BN with batch statistics, no affine parameters. */
function batchNorm(x: T): T {
  const y = like(x);
  const m = x.n * x.h * x.w;
  for (let k = 0; k < x.c; k++) {
    let mean = 0;
    for (let p = 0; p < m; p++) mean += x.data[p * x.c + k];
    mean /= m;
    let v = 0;
    for (let p = 0; p < m; p++) v += (x.data[p * x.c + k] - mean) ** 2;
    v /= m;
    for (let p = 0; p < m; p++) y.data[p * x.c + k] = (x.data[p * x.c + k] - mean) / Math.sqrt(v + 1e-5);
  }
  return y;
}

/** 3x3 average, stride 1, padding 1, count_include_pad=False. */
function avgPool(x: T): T {
  const y = like(x);
  for (let b = 0; b < x.n; b++)
    for (let i = 0; i < x.h; i++)
      for (let j = 0; j < x.w; j++)
        for (let k = 0; k < x.c; k++) {
          let s = 0;
          let count = 0;
          for (let ii = i - 1; ii <= i + 1; ii++)
            for (let jj = j - 1; jj <= j + 1; jj++) {
              if (ii < 0 || ii >= x.h || jj < 0 || jj >= x.w) continue;
              s += x.data[at(x, b, ii, jj, k)];
              count++;
            }
          y.data[at(y, b, i, j, k)] = s / count;
        }
  return y;
}

function referenceCell(x: T, arch: Architecture, weightOf: (edge: number, op: string) => Float32Array): T {
  const nodes: T[] = [x];
  for (let to = 1; to < 4; to++) {
    const sum = like(x);
    EDGES.forEach((e, i) => {
      if (e.to !== to || arch[i] === 'none') return;
      const src = nodes[e.from];
      let y: T;
      if (arch[i] === 'skip_connect') y = src;
      else if (arch[i] === 'avg_pool_3x3') y = avgPool(src);
      else y = batchNorm(conv(relu(src), weightOf(i, arch[i]), arch[i] === 'nor_conv_3x3' ? 3 : 1));
      for (let p = 0; p < sum.data.length; p++) sum.data[p] += y.data[p];
    });
    nodes.push(sum);
  }
  return nodes[3];
}

function expectClose(actual: ArrayLike<number>, expected: Float64Array, rel: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  }
  expect(worst).toBeLessThan(rel);
}

describe('search cell vs a float64 reference (train mode: batch statistics)', () => {
  const [n, h, w, c] = [2, 5, 6, 3]; // odd sizes: pooling and padding at every kind of border
  const rng = new Rng(99);
  const input: T = { n, h, w, c, data: Float64Array.from({ length: n * h * w * c }, () => rng.normal()) };

  const cases: [string, Architecture][] = [
    // 1<-0 conv1x1, 2<-0 pool, 2<-1 skip, 3<-0 conv3x3, 3<-1 none, 3<-2 pool
    ['conv, pool, skip and none', ['nor_conv_1x1', 'avg_pool_3x3', 'skip_connect', 'nor_conv_3x3', 'none', 'avg_pool_3x3']],
    // node 1 receives only none: a zero tensor feeding a conv (BN of a constant batch gives 0)
    ['a zero node', ['none', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'nor_conv_3x3', 'nor_conv_1x1']],
    ['every edge pooling', Array(6).fill('avg_pool_3x3')],
  ];

  it.each(cases)('%s', (_what, arch) => {
    const store = new ParamStore(new Rng(1));
    try {
      const cell = new SearchCell(store, 0, c);
      const weightOf = (edge: number, op: string) =>
        store.get(`cells.0.edge.${EDGES[edge].id}.${op}.conv.weight`).dataSync() as Float32Array;
      const expected = referenceCell(input, arch, weightOf);
      const actual = tf.tidy(() => cell.apply(tf.tensor4d(Float32Array.from(input.data), [n, h, w, c]), arch, 'train').dataSync());
      expectClose(actual, expected.data, 1e-4);
    } finally {
      store.dispose();
    }
  });
});

describe('avgPool3x3', () => {
  const [n, h, w, c] = [1, 4, 5, 2];
  const rng = new Rng(3);
  const xs = Float64Array.from({ length: n * h * w * c }, () => rng.normal());
  const ws = Float64Array.from({ length: n * h * w * c }, () => rng.normal());

  it('matches tfjs avgPool with same padding (padding not counted) in the forward pass', () => {
    const [mine, builtin] = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(xs), [n, h, w, c]);
      return [avgPool3x3(x).dataSync(), tf.avgPool(x, 3, 1, 'same').dataSync()];
    });
    expectClose(mine, Float64Array.from(builtin), 1e-6);
    expectClose(mine, avgPool({ n, h, w, c, data: xs }).data, 1e-5);
  });

  it('has the exact gradient of count_include_pad=False pooling at the border', () => {
    // d/dx sum(w * pool(x)): every output q whose window holds p gives w[q] / count(q)
    const expected = new Float64Array(xs.length);
    const t: T = { n, h, w, c, data: xs };
    const span = (i: number, size: number) => Math.min(i + 1, size - 1) - Math.max(i - 1, 0) + 1;
    const count = (i: number, j: number) => span(i, h) * span(j, w);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let k = 0; k < c; k++)
          for (let ii = Math.max(0, i - 1); ii <= Math.min(h - 1, i + 1); ii++)
            for (let jj = Math.max(0, j - 1); jj <= Math.min(w - 1, j + 1); jj++)
              expected[at(t, 0, ii, jj, k)] += ws[at(t, 0, i, j, k)] / count(i, j);
    const grad = tf.tidy(() => {
      const weights = tf.tensor4d(Float32Array.from(ws), [n, h, w, c]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(avgPool3x3(x as tf.Tensor4D), weights)));
      return g(tf.tensor4d(Float32Array.from(xs), [n, h, w, c])).dataSync();
    });
    expectClose(grad, expected, 1e-5);
  });
});
