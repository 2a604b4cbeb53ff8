// Starts tfjs in Node on the wasm backend (SIMD, 25-100x the plain cpu backend), or cpu when wasm cannot start.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend, type BackendInfo } from '../engine/backend';

export async function initNodeBackend(choice: 'wasm' | 'cpu' | 'auto' = 'auto'): Promise<BackendInfo> {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(dist + '/');
  if (choice === 'cpu') return initBackend('cpu', { allowFallbackAdapter: true });
  try {
    return await initBackend('wasm', { allowFallbackAdapter: true });
  } catch {
    if (choice === 'wasm') throw new Error('The wasm backend could not start');
    await tf.setBackend('cpu');
    return { ...(await initBackend('cpu', { allowFallbackAdapter: true })), skipped: ['wasm: failed to start'] };
  }
}
