import { Architecture, BatchNorm, Conv2d, InputSpec, Linear, tf } from '@absnas/core';
import type { Nb201Supernet } from './supernet';
import { EDGES, NUM_NODES } from './topology';

type Sym = tf.SymbolicTensor;

/** Symmetric zero padding then a 'valid' convolution: PyTorch's padding, also for stride 2. */
function conv(x: Sym, c: Conv2d): Sym {
  const pad = Math.floor(c.kernel / 2) * c.dilation;
  const padded = pad > 0 ? (tf.layers.zeroPadding2d({ padding: pad }).apply(x) as Sym) : x;
  return tf.layers
    .conv2d({ filters: c.cout, kernelSize: c.kernel, strides: c.stride, dilationRate: c.dilation, padding: 'valid', useBias: false, weights: [c.weight.clone()] })
    .apply(padded) as Sym;
}

function batchNorm(x: Sym, bn: BatchNorm): Sym {
  const stats = [bn.runningMean.clone(), bn.runningVar.clone()];
  return tf.layers
    .batchNormalization({
      axis: -1,
      epsilon: bn.eps,
      center: bn.affine,
      scale: bn.affine,
      weights: bn.affine ? [(bn.gamma as tf.Variable).clone(), (bn.beta as tf.Variable).clone(), ...stats] : stats,
    })
    .apply(x) as Sym;
}

const relu = (x: Sym): Sym => tf.layers.reLU().apply(x) as Sym;

function reluConvBn(x: Sym, op: { conv: Conv2d; bn: BatchNorm }): Sym {
  return batchNorm(conv(relu(x), op.conv), op.bn);
}

function dense(x: Sym, l: Linear): Sym {
  return tf.layers.dense({ units: l.cout, useBias: Boolean(l.bias), weights: l.bias ? [l.weight.clone(), l.bias.clone()] : [l.weight.clone()] }).apply(x) as Sym;
}

/**
 * The child `arch` of an NB201 supernet as a plain tfjs Layers model: the
 * same computation as `supernet.forward(x, arch, 'eval')`, built only from
 * standard layers so that @tensorflow/tfjs loads it without absnas.
 */
export function exportNb201Model(supernet: Nb201Supernet, arch: Architecture, input: InputSpec): tf.LayersModel {
  const x = tf.input({ shape: [input.height, input.width, input.channels] });
  let h = batchNorm(conv(x, supernet.stemConv), supernet.stemBn);
  supernet.stages.forEach((stage, s) => {
    if (s > 0) {
      const red = supernet.reductions[s - 1];
      const pooled = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' }).apply(h) as Sym;
      const residual = conv(pooled, red.shortcut);
      h = tf.layers.add().apply([residual, reluConvBn(reluConvBn(h, red.convA), red.convB)]) as Sym;
    }
    for (const index of stage.cells) {
      const cell = supernet.cells[index];
      const nodes: Sym[] = [h];
      for (let to = 1; to < NUM_NODES; to++) {
        const terms: Sym[] = [];
        EDGES.forEach((e, i) => {
          if (e.to !== to) return;
          const op = arch[i];
          const from = nodes[e.from];
          if (op === 'none') return;
          if (op === 'skip_connect') terms.push(from);
          // 'same' average pooling in tfjs leaves the padding out of the mean (count_include_pad=False)
          else if (op === 'avg_pool_3x3') terms.push(tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(from) as Sym);
          else terms.push(reluConvBn(from, cell.edges[i].convs.get(op) as { conv: Conv2d; bn: BatchNorm }));
        });
        if (terms.length === 0) {
          // a node without inputs is zero; a frozen all-zero 1x1 convolution makes that tensor from standard layers
          const c = stage.channels;
          nodes.push(tf.layers.conv2d({ filters: c, kernelSize: 1, useBias: false, trainable: false, weights: [tf.zeros([1, 1, c, c])] }).apply(h) as Sym);
        } else {
          nodes.push(terms.length === 1 ? terms[0] : (tf.layers.add().apply(terms) as Sym));
        }
      }
      h = nodes[NUM_NODES - 1];
    }
  });
  h = relu(batchNorm(h, supernet.finalBn));
  const pooled = tf.layers.globalAveragePooling2d({}).apply(h) as Sym;
  return tf.model({ inputs: x, outputs: dense(pooled, supernet.classifier), name: 'nb201_child' });
}
