/** tfjs backend selection, the gradient kernel fill-ins and the start-up self-test. */
export type { BackendChoice, BackendInfo } from './select';
export { kernelSet } from './kernel-set';
export { BACKEND_CHOICES, currentBackendInfo, isBackendChoice, missingLibrary, selectBackend } from './select';
export type { WebgpuAdapter, WebgpuProbe } from './webgpu';
export { adapterKind, describeAdapter, probeWebgpu } from './webgpu';
export type { SelfTestCheck, SelfTestOptions, SelfTestResult } from './self-test';
export { backendSelfTest, describeSelfTestFailures } from './self-test';
export { registerCpuFixes, registerWasmFillIns, wasmFillInsRegistered, WASM_FILL_IN_KERNELS } from './wasm-kernels';
export { registerAddNGradient } from './add-n-gradient';
export { registerDilatedConvGradients } from './conv-gradients';
export { installFrugalGradients, setFrugalGradients } from './gradients';
export { avgPoolGradByDepthwise, registerPoolGradients } from './pool-gradients';
export { inNestedGradient, registerSecondOrderGradients } from './second-order-gradients';
export type { BatchNormTrainResult, RunningStats } from './batch-norm';
export { batchNormInference, batchNormTrain, batchNormTrainUpdating } from './batch-norm';
export { setWasmHelperEnabled, waitForHelper, wasmHelperEnabled, wasmHelperJobs } from './parallel/helper';
export { registerWasmSplitKernels, setSplitThreshold, SPLIT_MIN_MACS } from './parallel/kernels';
export { MAX_WASM_THREADS, setWasmThreads, wasmThreadsActive, wasmThreadsError, wasmThreadsRequested } from './wasm-threads';
export type { NativeKernelsInfo } from './native';
export {
  NATIVE_ADDON_PATH,
  NATIVE_CONVOLUTIONS,
  nativeBatchNormActive,
  nativeKernelCalls,
  nativeKernelsError,
  nativeKernelsInfo,
  registerNativeKernels,
  setNativeKernelsEnabled,
} from './native';
