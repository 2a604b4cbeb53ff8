// Copies tfjs's WebAssembly binaries (and the threaded build's glue script) into public/tfjs-wasm/ so the worker can
// load the wasm backend offline.
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
const out = join(process.cwd(), 'public', 'tfjs-wasm');
mkdirSync(out, { recursive: true });
for (const f of readdirSync(dist).filter((f) => f.endsWith('.wasm'))) cpSync(join(dist, f), join(out, f));
// The threaded build's glue as published (unminified): its thread workers load it (lib/engine/wasm-threads.ts).
cpSync(join(dist, '../wasm-out/tfjs-backend-wasm-threaded-simd.js'), join(out, 'tfjs-backend-wasm-threaded-simd.js'));
