/**
 * AddN's gradient without saving its inputs.
 *
 * tfjs's AddN gradient config declares saveAllInputs, so every tensor summed
 * by addN stayed alive until the backward pass, although the gradient of a
 * sum is dy for each input and needs none of them. In a cell-based supernet
 * every node is an addN of its edges' outputs: on the NB201 benchmark that
 * kept 175 MiB of edge outputs alive per step. The replacement saves nothing.
 * The engine asks the gradient map for each input by name ('0', '1', ...),
 * and the count is not passed to a gradient function, so the map answers for
 * any name.
 */
import * as tf from '@tensorflow/tfjs';

const MARK = Symbol.for('absnas.addNGradient');

type GradConfig = tf.GradConfig & { [MARK]?: true };

/** Replaces AddN's gradient as described above (the registry is global: every backend). Idempotent. */
export function registerAddNGradient(): void {
  const current = tf.getGradient('AddN') as GradConfig | undefined;
  if (current != null && current[MARK]) return;
  const config: GradConfig = {
    kernelName: 'AddN',
    gradFunc: (dy) => {
      const g = dy as tf.Tensor;
      const each = () => g.clone();
      return new Proxy({} as Record<string, () => tf.Tensor>, { has: () => true, get: () => each });
    },
    [MARK]: true,
  };
  tf.registerGradient(config);
}
