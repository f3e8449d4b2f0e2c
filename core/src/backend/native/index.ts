/** absnas's native CPU kernels for the wasm backend (see addon.ts). */
import { registerNativeBatchNorm } from './batch-norm';
import { registerNativeConvolutions } from './convolutions';

export type { NativeKernelsInfo } from './addon';
export { NATIVE_ADDON_PATH, nativeKernelCalls, nativeKernelsError, nativeKernelsInfo, setNativeKernelsEnabled } from './addon';
export { NATIVE_CONVOLUTIONS } from './convolutions';
export { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, nativeBatchNormActive } from './batch-norm';

/**
 * Registers the native kernels for 'wasm': the convolution wrappers (after the
 * fill-ins and the helper-thread split) and the batch-norm kernels. They run
 * only while the addon is in use (nativeKernelsInfo() != null). Idempotent.
 */
export function registerNativeKernels(): void {
  registerNativeConvolutions();
  registerNativeBatchNorm();
}
