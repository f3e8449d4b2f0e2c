/**
 * The shared-memory protocol between the main thread and the wasm helper
 * thread (see helper.ts). Int32 slots of the control buffer:
 */
export const SLOT_JOB = 0; // sequence number of the last job posted (main -> helper); -1 stops the helper
export const SLOT_DONE = 1; // sequence number of the last job finished (helper -> main)
export const SLOT_READY = 2; // 1 once the helper's wasm backend is up
export const SLOT_STATUS = 3; // 0 ok, 1 the job failed (message in the header buffer)
export const SLOT_HEADER_BYTES = 4; // length of the JSON in the header buffer
export const CONTROL_SLOTS = 8;

export const HEADER_BYTES = 1 << 16;
/** Float32 slots of the data buffer (64 MiB; untouched pages cost nothing). */
export const DATA_FLOATS = 1 << 24;

export interface JobInput {
  shape: number[];
  /** offset in the data buffer, in floats */
  offset: number;
}

export interface Job {
  kernel: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, JobInput>;
  /** where the helper writes its float32 output, in floats, and its expected shape */
  outOffset: number;
  outShape: number[];
}

export interface SharedBuffers {
  control: SharedArrayBuffer;
  header: SharedArrayBuffer;
  data: SharedArrayBuffer;
}
