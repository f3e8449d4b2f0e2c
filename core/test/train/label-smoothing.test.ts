import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../../src/train/loss';

describe('crossEntropy with label smoothing', () => {
  it('is (1 - e) * CE(one-hot) + e * mean over classes of -log p, as PyTorch label_smoothing', () => {
    const logits = tf.tensor2d([
      [2, 0.5, -1],
      [0, 0, 3],
    ]);
    const y = tf.tensor2d([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const logp = tf.logSoftmax(logits).arraySync() as number[][];
    const e = 0.1;
    const expected =
      logp.map((row, i) => -(1 - e) * row[[0, 1][i]] - (e / 3) * row.reduce((s, v) => s + v, 0)).reduce((s, v) => s + v, 0) / 2;
    expect(crossEntropy(logits, y, e).dataSync()[0]).toBeCloseTo(expected, 5);
    const plain = -(logp[0][0] + logp[1][1]) / 2;
    expect(crossEntropy(logits, y).dataSync()[0]).toBeCloseTo(plain, 5);
    expect(crossEntropy(logits, y, 0).dataSync()[0]).toBeCloseTo(plain, 5);
    tf.dispose([logits, y]);
  });
});
