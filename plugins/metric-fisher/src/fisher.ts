/**
 * Fisher (Theis et al. 2018; Turner et al., "BlockSwap", ICLR 2020) as the
 * zero-cost proxy of Abdelfattah et al. (ICLR 2021; compute_fisher_per_weight,
 * its channel values broadcast over the channel's weights, summed):
 *
 *   fisher(a) = sum over conv and linear layers l, output channels k of
 *               fanIn_l * 1/2 * mean_n ( sum_{h,w} z_{n,k,h,w} * dL/dz_{n,k,h,w} )^2
 *
 * z: the layer's output (bias added, before batch norm); fanIn_l: the weights
 * of one output channel (kh * kw * cin / groups, or the linear layer's inputs).
 * L: the mean cross-entropy of the child on one batch, batch norm in training
 * mode. A forward probe puts an identity on every layer output whose gradient
 * reads z and dL/dz, as the reference's backward hook does. Layer sums in
 * float64.
 */
import { lossGradients, probeForward, tf } from '@absnas/core';
import type { Batch, ForwardProbe, LayerSite, ProxyChild } from '@absnas/core';

/** 1/2 * mean over the batch of the squared channel sums of z * dz, summed over channels and times the fan-in: [] scalar. */
function layerFisher(z: tf.Tensor, dz: tf.Tensor, site: LayerSite): tf.Scalar {
  return tf.tidy(() => {
    const perChannel = z.rank > 2 ? tf.sum(tf.mul(z, dz), [1, 2]) : tf.mul(z, dz); // [n, channels]
    const channels = perChannel.shape[1]!;
    const delta = tf.mul(tf.mean(tf.square(perChannel), 0), 0.5);
    return tf.mul(tf.sum(delta), site.weight.size / channels) as tf.Scalar;
  });
}

export async function fisherScore(child: ProxyChild, batch: Batch): Promise<number> {
  const perLayer: tf.Scalar[] = [];
  const probe: ForwardProbe = {
    layer(output, site) {
      const tap = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const [z, save] = args as [tf.Tensor, tf.GradSaveFunc];
        save([z]);
        return {
          value: tf.clone(z),
          gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => {
            perLayer.push(tf.keep(layerFisher(saved[0], dz, site)));
            return dz;
          },
        };
      });
      return tap(output) as tf.Tensor;
    },
  };
  try {
    // the kernels' gradients are not used: they make the backward pass reach every layer of the child
    await lossGradients(child, batch, child.kernels, (loss) => probeForward(probe, loss));
    const values = await Promise.all(perLayer.map((t) => t.data()));
    return values.reduce((sum, v) => sum + v[0], 0);
  } finally {
    perLayer.forEach((t) => t.dispose());
  }
}
