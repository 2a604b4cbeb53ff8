// Prints the WebGPU buffer limits tfjs-backend-webgpu really gets in Debian's Chromium (SwiftShader): the adapter's,
// the spec defaults, the device tfjs created, and a matmul over a 147 MiB tensor (GPT-2's wte).
// npx tsx scripts/webgpu-limits.ts (needs /usr/bin/chromium).
import path from 'node:path';
import { chromium } from 'playwright-core';

const nm = path.resolve(import.meta.dirname, '../node_modules');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu'],
});
try {
  const page = await browser.newPage();
  // WebGPU exists only in secure contexts: serve an empty page as http://localhost/ (about:blank has no navigator.gpu).
  await page.route('http://localhost/', (r) => r.fulfill({ body: '<!doctype html><title>limits</title>', contentType: 'text/html' }));
  await page.goto('http://localhost/');
  await page.addScriptTag({ path: path.join(nm, '@tensorflow/tfjs/dist/tf.min.js') });
  await page.addScriptTag({ path: path.join(nm, '@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js') });
  // A string, not a function: tsx would wrap named helpers in __name(), which the page does not define.
  const out = await page.evaluate(`(async () => {
    const pick = (l) => ({ maxBufferSize: l.maxBufferSize, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize });
    const adapter = await navigator.gpu.requestAdapter();
    const plainDevice = await adapter.requestDevice(); // no requiredLimits: the spec defaults
    await tf.setBackend('webgpu');
    // GPT-2 small's tied head: x [1, 768] @ wte^T with wte [50257, 768] fp32 = 147 MiB in one binding.
    const wte = tf.ones([50257, 768]);
    const logits = tf.matMul(tf.ones([1, 768]), wte, false, true);
    const headSum = (await tf.sum(logits).data())[0];
    return { backend: tf.getBackend(), adapter: pick(adapter.limits), defaultDevice: pick(plainDevice.limits), tfjsDevice: pick(tf.backend().device.limits),
      gpt2HeadMatmul: { wteMiB: (50257 * 768 * 4) / 2 ** 20, sum: headSum, expected: 50257 * 768 } };
  })()`);
  console.log(JSON.stringify(out, null, 2));
} finally {
  await browser.close();
}
