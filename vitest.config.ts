// Unit tests run in Node, beside the code as *.test.ts.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': import.meta.dirname } },
  test: {
    include: ['lib/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default in run mode is cores - 1 workers: on CI's 2 cores, one file at a time and a core left idle
    // (measured, 14 RL and session files on this 2-core machine: 102 s with 1 worker, 90 s with 2).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
