// Runs the engine's forward pass and LoRA gradients for every tiny family on WebGPU in Debian's Chromium
// (SwiftShader) and compares them with the cpu backend. npx tsx scripts/webgpu-parity.ts (needs /usr/bin/chromium).
import path from 'node:path';
import { evaluateOnWebGpu } from './webgpu-page';

const result = await evaluateOnWebGpu(path.join(import.meta.dirname, 'webgpu-parity-entry.ts'), 'parity', 'parity.compare()');
console.log(JSON.stringify(result, null, 2));
