import * as tf from '@tensorflow/tfjs';

/** Mean softmax cross-entropy of logits [B, K] against one-hot targets [B, K]. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** Number of rows whose arg-max matches the one-hot target's (a scalar tensor). */
export function correctCount(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(oneHot, 1)), 'float32')) as tf.Scalar);
}
