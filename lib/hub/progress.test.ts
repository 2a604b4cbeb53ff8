// Download progress figures over a fake clock: totals summed over files, rate from the first byte,
// time left from the rate, and reports throttled to one per interval.
import { describe, expect, it } from 'vitest';
import { ProgressTracker, type DownloadProgress } from './progress';

describe('ProgressTracker', () => {
  it('sums sizes over files and derives rate and time left', () => {
    let t = 0;
    const seen: DownloadProgress[] = [];
    const p = new ProgressTracker((x) => seen.push(x), () => t, 100);
    p.addTotal(1000);
    p.add('a.json', 100); // first byte at t = 0
    t = 1000;
    p.addTotal(3000);
    p.add('b.safetensors', 900); // 1000 bytes in 1 s; 3000 left
    expect(seen[seen.length - 1]).toEqual({ loaded: 1000, total: 4000, rate: 1000, etaSeconds: 3, file: 'b.safetensors' });
  });

  it('reports at most once per interval, and never a total below what arrived', () => {
    let t = 0;
    const seen: DownloadProgress[] = [];
    const p = new ProgressTracker((x) => seen.push(x), () => t, 100);
    for (let i = 0; i < 10; i++) {
      t += 10;
      p.add('x', 5); // no Content-Length known
    }
    expect(seen).toHaveLength(1);
    expect(p.emit()).toMatchObject({ loaded: 50, total: 50, etaSeconds: null });
  });
});
