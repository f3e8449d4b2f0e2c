import { CandidateSet, Rng, tf } from '@absnas/core';
import { MobileNetSpace } from '../src/index';

describe('MobileNet supernet mixtures', () => {
  const space = new MobileNetSpace({ variant: 'spos', widthMultiplier: 0.1, stemStride: 1, minFeatureSize: 2 });
  const input = { height: 8, width: 8, channels: 1, numClasses: 4 };

  it('a one-op mixture with weight 1 equals the single-path forward; weights scale each op', () => {
    const supernet = space.createSupernet(input, new Rng(1));
    const rng = new Rng(2);
    const full = new CandidateSet(space.choicePoints);
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    for (let trial = 0; trial < 3; trial++) {
      const arch = space.sample(full, rng);
      const single = supernet.forward(x, arch, 'eval');
      const ones = arch.map(() => tf.ones([1]) as tf.Tensor1D);
      const mixed = supernet.forwardMixture!(x, { ops: arch.map((op) => [op]), weights: ones }, 'eval');
      expect(tf.max(tf.abs(tf.sub(single, mixed))).dataSync()[0]).toBeLessThan(1e-5);
      // a two-op mixture is linear in its weights at the first layer
      const pair = [space.choicePoints[0].candidates[0], space.choicePoints[0].candidates[1]];
      const mix = (a: number, b: number) =>
        supernet.forwardMixture!(x, { ops: [pair, ...arch.slice(1).map((op) => [op])], weights: [tf.tensor1d([a, b]), ...ones.slice(1)] }, 'eval');
      const onlyFirst = supernet.forward(x, [pair[0], ...arch.slice(1)], 'eval');
      expect(tf.max(tf.abs(tf.sub(mix(1, 0), onlyFirst))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([single, mixed, onlyFirst, ...ones]);
    }
    // every param a mixture uses is listed
    const names = supernet.paramsOfMixture!(space.choicePoints.map((p) => p.candidates.slice(0, 2)));
    expect(names).toContain(supernet.paramsOf(space.choicePoints.map((p) => p.candidates[0]))[0]);
    expect(new Set(names).size).toBe(names.length);
    x.dispose();
    supernet.dispose();
  });
});
