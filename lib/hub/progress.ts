// Download progress over several files: bytes done / total (Content-Length summed over files), rate and
// time left, reported at most every `intervalMs` so a worker does not flood the page with messages.

export interface DownloadProgress {
  /** Bytes received so far, over all files. */
  loaded: number;
  /** Sum of the sizes known so far (grows while responses arrive); 0 while unknown. */
  total: number;
  /** Bytes per second since the first byte. */
  rate: number;
  /** Seconds left at the current rate; null until it can be estimated. */
  etaSeconds: number | null;
  /** The file being downloaded. */
  file: string;
}

export type ProgressListener = (p: DownloadProgress) => void;

export class ProgressTracker {
  private loaded = 0;
  private total = 0;
  private started: number | null = null;
  private lastEmit = -Infinity;
  private file = '';

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly now: () => number = () => Date.now(),
    private readonly intervalMs = 100,
  ) {}

  /** A file's size became known (its Content-Length, or its cached size). */
  addTotal(bytes: number): void {
    this.total += bytes;
  }

  /** `bytes` more arrived for `file`. */
  add(file: string, bytes: number): void {
    this.started ??= this.now();
    this.loaded += bytes;
    this.file = file;
    if (this.now() - this.lastEmit >= this.intervalMs) this.emit();
  }

  /** The current figures, and a report to the listener. */
  emit(): DownloadProgress {
    this.lastEmit = this.now();
    const p = this.snapshot();
    this.listener?.(p);
    return p;
  }

  snapshot(): DownloadProgress {
    const seconds = this.started === null ? 0 : (this.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.loaded / seconds : 0;
    const total = Math.max(this.total, this.loaded);
    const etaSeconds = rate > 0 && this.total > 0 ? Math.max(0, (total - this.loaded) / rate) : null;
    return { loaded: this.loaded, total, rate, etaSeconds, file: this.file };
  }
}
