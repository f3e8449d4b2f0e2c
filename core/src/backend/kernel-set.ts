import { describeAdapter } from './webgpu';
import type { BackendInfo } from './select';

/**
 * The kernels that compute a run's numbers, in one line: the backend and,
 * for wasm, whether absnas's native oneDNN kernels run and how they pick
 * their thread count. Two runs of one config give the same figures only on
 * the same kernel set (native and wasm kernels differ in the last bits), so
 * the start event records it, the compare table shows it and a distributed
 * matrix pins it.
 */
export function kernelSet(info: BackendInfo): string {
  if (info.name === 'webgpu') return `webgpu (${info.adapter ? describeAdapter(info.adapter) : (info.device ?? 'unknown adapter')})`;
  if (info.name !== 'wasm') return `${info.name} (${info.package})`;
  const wasm = `wasm${info.simd ? ' simd' : ''}${(info.threads ?? 1) > 1 ? ` ${info.threads} threads` : ''}`;
  if (!info.native) return `${wasm}, no native kernels`;
  const n = info.native;
  return `${wasm} + native ${n.library} ${n.isa}, ${n.followsLoad ? `threads follow the load (at most ${n.threads})` : `${n.threads} thread(s)`}`;
}
