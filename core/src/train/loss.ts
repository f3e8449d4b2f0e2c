import * as tf from '@tensorflow/tfjs';

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
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}
