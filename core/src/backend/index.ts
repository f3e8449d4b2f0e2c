/** tfjs backend selection, the gradient kernel fill-ins and the start-up self-test. */
export type { BackendChoice, BackendInfo } from './select';
export { BACKEND_CHOICES, currentBackendInfo, isBackendChoice, selectBackend } from './select';
export type { SelfTestCheck, SelfTestOptions, SelfTestResult } from './self-test';
export { backendSelfTest, describeSelfTestFailures } from './self-test';
export { registerCpuFixes, registerWasmFillIns, wasmFillInsRegistered, WASM_FILL_IN_KERNELS } from './wasm-kernels';
export { registerDilatedConvGradients } from './conv-gradients';
