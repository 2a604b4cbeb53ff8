// Keeps the benchmark from rotting: the smoke mode (tiny model, one step) runs end to end and prints the JSON rows
// in the documented shape. Never asserts a speed.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run bench -- --smoke --json', () => {
  it('prints one JSON line of rows in the documented shape, plain tfjs beside the optimised path', () => {
    const out = execFileSync('npx', ['tsx', 'scripts/bench-train.ts', '--smoke', '--json'], { encoding: 'utf8', timeout: 110_000 });
    const { rows } = JSON.parse(out.trim().split('\n').pop()!);
    expect(rows).toHaveLength(4); // lora and full, each plain and optimised
    for (const r of rows) {
      expect(r).toMatchObject({ config: 'smoke', backend: expect.stringMatching(/^wasm/), batch: 1, seqLen: 16 });
      for (const k of ['tokensPerSec', 'plannedBytes', 'measuredPeakBytes', 'forwardMs', 'backwardMs', 'optimizerMs', 'dispatches', 'gflops']) {
        expect(r[k], k).toBeGreaterThan(0);
      }
      expect(r.readbacks).toBe(1); // one awaited read of [loss, grad norm] per step
      // The PyTorch peer is optional (Debian's python3-torch); when present, the ratio uses its faster thread count.
      if (r.peerTokensPerSec === null) expect(r.ratio).toBeNull();
      else expect(r.ratio).toBeCloseTo(r.tokensPerSec / Math.max(...(Object.values(r.peerByThreads) as number[])), 9);
      expect([null, 1, 2]).toContain(r.peerThreads);
    }
    expect(rows.map((r: { method: string; speedups: string[] }) => `${r.method}:${r.speedups.length > 0}`)).toEqual(['lora:false', 'lora:true', 'full:false', 'full:true']);
    // The fused optimizer is one dispatch per step where plain tfjs runs ~15 per parameter.
    expect(rows[3].dispatches).toBeLessThan(rows[2].dispatches);
  });
});
