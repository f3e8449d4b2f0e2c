/**
 * The wasm helper thread: its own tfjs wasm backend (with the absnas
 * fill-ins), running one kernel at a time on the inputs the main thread puts
 * in shared memory (protocol.ts). It blocks in Atomics.wait between jobs.
 */
import { workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmFillIns } from '../wasm-kernels';
import {
  Job,
  SharedBuffers,
  SLOT_DONE,
  SLOT_HEADER_BYTES,
  SLOT_JOB,
  SLOT_READY,
  SLOT_STATUS,
} from './protocol';

const { control, header, data } = workerData as SharedBuffers;
const ctrl = new Int32Array(control);
const head = new Uint8Array(header);
const floats = new Float32Array(data);

function run(job: Job): void {
  tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(job.inputs)) {
      const size = t.shape.reduce((a, b) => a * b, 1);
      inputs[name] = tf.tensor(floats.subarray(t.offset, t.offset + size), t.shape, 'float32');
    }
    const out = tf.engine().runKernel(job.kernel, inputs, job.attrs as tf.NamedAttrMap) as tf.Tensor;
    if (out.shape.join(',') !== job.outShape.join(',')) {
      throw new Error(`helper ${job.kernel}: output shape [${out.shape}] expected [${job.outShape}]`);
    }
    // straight from the wasm heap (dataSync would copy it out first)
    const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    floats.set(backend.typedArrayFromHeap(out), job.outOffset);
  });
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmFillIns();
  Atomics.store(ctrl, SLOT_READY, 1);
  Atomics.notify(ctrl, SLOT_READY);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, SLOT_JOB, seen);
    const seq = Atomics.load(ctrl, SLOT_JOB);
    if (seq < 0) return;
    if (seq === seen) continue;
    seen = seq;
    try {
      const n = Atomics.load(ctrl, SLOT_HEADER_BYTES);
      run(JSON.parse(new TextDecoder().decode(head.slice(0, n))) as Job);
      Atomics.store(ctrl, SLOT_STATUS, 0);
    } catch (e) {
      const bytes = new TextEncoder().encode(e instanceof Error ? e.message : String(e)).subarray(0, head.length);
      head.set(bytes);
      Atomics.store(ctrl, SLOT_HEADER_BYTES, bytes.length);
      Atomics.store(ctrl, SLOT_STATUS, 1);
    }
    Atomics.store(ctrl, SLOT_DONE, seq);
    Atomics.notify(ctrl, SLOT_DONE);
  }
}

main().catch(() => {
  Atomics.store(ctrl, SLOT_READY, -1);
  Atomics.notify(ctrl, SLOT_READY);
});
