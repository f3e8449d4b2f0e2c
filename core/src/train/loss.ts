import * as tf from '@tensorflow/tfjs';
import { constantOf, inNestedGradient } from '../backend/second-order-gradients';

/**
 * tf.logSoftmax over the last axis; inside a nested gradient (second order)
 * as public ops that tfjs differentiates to any order, since tf.logSoftmax's
 * custom gradient treats the softmax it saved as a constant.
 */
function logSoftmax(logits: tf.Tensor2D): tf.Tensor2D {
  if (!inNestedGradient()) return tf.logSoftmax(logits);
  // the row maxima as a constant: log-softmax does not depend on the shift
  const shifted = tf.sub(logits, constantOf(logits, (l) => tf.max(l, 1, true)));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true)));
}

/**
 * Mean softmax cross-entropy of logits [B, K] against one-hot targets [B, K].
 * With `labelSmoothing` = e > 0 the target is (1 - e) * oneHot + e / K, as
 * PyTorch's `CrossEntropyLoss(label_smoothing=e)` and the ABS reference's
 * `CrossEntropyLabelSmooth`.
 */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const target = labelSmoothing > 0 ? tf.add(tf.mul(oneHot, 1 - labelSmoothing), labelSmoothing / k) : oneHot;
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logSoftmax(logits)), 1))) as tf.Scalar;
  });
}
