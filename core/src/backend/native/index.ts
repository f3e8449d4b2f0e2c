/** absnas's native CPU kernels for the wasm backend (see addon.ts). */
import { registerNativeBatchNorm } from './batch-norm';
import { registerNativeConvolutions } from './convolutions';
import { registerNativeElementwise } from './elementwise';
import { registerNativeOptimizer } from './optimizer';
import { registerNativePooling } from './pooling';
import { registerNativeReluGradient } from './relu';

export type { NativeKernelsInfo } from './addon';
export { NATIVE_ADDON_PATH, NATIVE_BUILD_HINT, nativeKernelCalls, nativeKernelsError, nativeKernelsInfo, nativeKernelsNotBuilt, setNativeKernelsEnabled } from './addon';
export { NATIVE_CONVOLUTIONS } from './convolutions';
export { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, nativeBatchNormActive } from './batch-norm';
export { RELU6_GRAD, RELU_GRAD } from './relu';
export { fusedSgdActive, fusedSgdStep, SGD_STEP } from './optimizer';
export type { FusedSgdEntry, FusedSgdSettings } from './optimizer';

/**
 * Registers the native kernels for 'wasm': the convolution, pooling and
 * element-wise wrappers (after the fill-ins and the helper-thread split), the
 * batch-norm kernels, the ReLU gradient (a global gradient config that
 * uses its kernel only on wasm) and the fused clip + SGD step. They run
 * only while the addon is in use (nativeKernelsInfo() != null). Idempotent.
 */
export function registerNativeKernels(): void {
  registerNativeConvolutions();
  registerNativePooling();
  registerNativeElementwise();
  registerNativeBatchNorm();
  registerNativeReluGradient();
  registerNativeOptimizer();
}
