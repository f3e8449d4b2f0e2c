/**
 * 'auto' and WebGPU: a hardware adapter is taken (after tfjs-node-gpu, before
 * tfjs-node), a software one only when asked for. The stand-in registers
 * tfjs's cpu kernels under the name 'webgpu' and reports the adapter that
 * the test sets.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { selectBackend, WebgpuAdapter } from '../../src/backend';
import * as webgpu from '../../src/backend/webgpu';

let mockAdapter: WebgpuAdapter = { kind: 'hardware', vendor: 'nvidia', architecture: 'hopper', device: 'H100', description: 'NVIDIA H100 (stand-in)' };

// spied on, not mocked: the setup file has loaded the real module (and selects its backend before this)
beforeAll(() => {
  // a GPU device node, so that 'auto' looks for an adapter
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeFs = require('fs') as typeof import('fs');
  const exists = nodeFs.existsSync;
  jest.spyOn(nodeFs, 'existsSync').mockImplementation((p) => p === '/dev/nvidia0' || exists(p));
  jest.spyOn(webgpu, 'probeWebgpu').mockImplementation(async () => {
    if (tf.findBackendFactory('webgpu') == null) {
      tf.copyRegisteredKernels('cpu', 'webgpu');
      tf.registerBackend('webgpu', () => new MathBackendCPU(), 0);
    }
    return { ok: true, adapter: mockAdapter };
  });
});

test("'auto' takes a hardware WebGPU adapter when tfjs-node-gpu is absent", async () => {
  const logs: string[] = [];
  const info = await selectBackend('auto', (m) => logs.push(m));
  expect(tf.getBackend()).toBe('webgpu');
  expect(info).toMatchObject({ choice: 'auto', name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', device: 'gpu' });
  expect(info.adapter).toEqual(mockAdapter);
  expect(info.warnings).toHaveLength(1);
  expect(info.warnings[0]).toMatch(/tfjs-node-gpu could not be loaded/);
  expect(logs.some((l) => l.includes('adapter hardware: nvidia hopper H100 (NVIDIA H100 (stand-in))'))).toBe(true);
});

test("a software adapter: 'auto' passes it by, 'webgpu' takes it", async () => {
  mockAdapter = { kind: 'software', vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe (stand-in)' };
  const auto = await selectBackend('auto');
  expect(auto.name).toBe('wasm');
  expect(auto.warnings[1]).toBe(
    "webgpu: the adapter is software: mesa software llvmpipe (llvmpipe (stand-in)); a software adapter is used only when asked for (backend 'webgpu')",
  );
  const asked = await selectBackend('webgpu');
  expect(tf.getBackend()).toBe('webgpu');
  expect(asked).toMatchObject({ choice: 'webgpu', name: 'webgpu', device: 'cpu', adapter: { kind: 'software' } });
  expect(asked.selfTest.ok).toBe(true);
});
