// Number and time formatting for the studio UI: short, stable strings that tests can match.

/** 4_300_000 -> "4.3M", 124_439_808 -> "124M", 950 -> "950". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  const units: [number, string][] = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, suffix] of units) {
    if (abs >= size) {
      const v = n / size;
      // One decimal below 100 (4.3M), none above (124M); drop a trailing ".0".
      const text = Math.abs(v) < 100 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v).toString();
      return `${text}${suffix}`;
    }
  }
  return Math.round(n).toString();
}

/** 65_000 -> "1:05", 3_725_000 -> "1:02:05". Negative or non-finite -> "–". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = s.toString().padStart(2, '0');
  if (h > 0) return `${h}:${m.toString().padStart(2, '0')}:${ss}`;
  return `${m}:${ss}`;
}

/** A loss value with 4 significant decimals: 2.34567 -> "2.3457". */
export function formatLoss(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  return x.toFixed(4);
}

/** Learning rates read best in exponent form: 0.002 -> "2e-3", 0.0003 -> "3e-4", 1.5e-4 -> "1.5e-4". */
export function formatLr(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const [mant, exp] = x.toExponential(2).split('e');
  const m = mant.replace(/\.?0+$/, '');
  return `${m}e${Number(exp)}`;
}

/** Throughput: 1234.5 -> "1,235 tok/s", 12.34 -> "12.3 tok/s". */
export function formatTokensPerSec(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const digits = x < 100 ? 1 : 0;
  return `${x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} tok/s`;
}

/** Bytes in binary units: 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

/** "1 record", "600 records". */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : pluralWord}`;
}

/** Estimated time left from progress so far; null until one step has finished. */
export function estimateRemainingMs(step: number, totalSteps: number, elapsedMs: number): number | null {
  if (step <= 0 || elapsedMs <= 0 || totalSteps < step) return null;
  return ((totalSteps - step) * elapsedMs) / step;
}
