/**
 * The backends a run may ask for (`backend` in the config, `absnas doctor
 * --backend`), 'auto' first: the one list that the config schema, the
 * config type, the doctor and the selection read.
 */
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;

export type BackendChoice = (typeof BACKEND_CHOICES)[number];
