// The live-run locks over a small in-memory lock manager with the Web Locks rules these calls rely on (a lock is
// held until its callback's promise settles; query lists held locks by name). The browser's own manager is
// exercised by e2e/runs.spec.ts (a paused run stays paused in the Runs view, and is interrupted after a reload).
import { describe, expect, it } from 'vitest';
import { holdRunLock, liveRunIds } from './live-runs';

function lockManager() {
  const held = new Set<string>();
  return {
    async request(name: string, _o: { mode: 'exclusive' }, cb: () => Promise<void>) {
      if (held.has(name)) throw new Error(`test manager: ${name} is already held`);
      held.add(name);
      try {
        await cb();
      } finally {
        held.delete(name);
      }
    },
    async query() {
      return { held: [...held].map((name) => ({ name })).concat([{ name: 'someone-else' }]) };
    },
  };
}

describe('live-run locks', () => {
  it('name the runs held until released, and nothing where the Locks API is missing', async () => {
    const locks = lockManager();
    const releaseA = holdRunLock('run-a', locks);
    holdRunLock('run-b', locks);
    expect(await liveRunIds(locks)).toEqual(new Set(['run-a', 'run-b']));
    releaseA();
    await new Promise((r) => setTimeout(r, 0));
    expect(await liveRunIds(locks)).toEqual(new Set(['run-b']));
    expect(await liveRunIds(null)).toBeNull();
    expect(() => holdRunLock('run-c', null)()).not.toThrow();
  });
});
