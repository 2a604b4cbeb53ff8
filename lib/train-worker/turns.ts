// Turn-taking for the playground's outputs (base, few-shot, tuned) generated at once: each waits for its turn
// before posting a token and hands the turn on after, so the streams interleave token by token, in order.
export class Turns {
  private queue: string[];
  private readonly waiting = new Map<string, { go: () => void; stop: (e: unknown) => void }>();
  private failure: unknown = null;

  constructor(keys: string[]) {
    this.queue = [...keys];
  }

  /** Resolves when it is `key`'s turn; rejects once another output has failed (cancel, error). */
  take(key: string): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.queue[0] === key) return Promise.resolve();
    return new Promise((go, stop) => this.waiting.set(key, { go, stop }));
  }

  /** `key` posted its token: the next output's turn. */
  next(key: string): void {
    this.queue = [...this.queue.filter((k) => k !== key), key];
    this.wake();
  }

  /** `key` is finished: it leaves the rotation. */
  leave(key: string): void {
    this.queue = this.queue.filter((k) => k !== key);
    this.wake();
  }

  /** An output failed: every waiting one stops with the same error (and frees its cache). */
  fail(e: unknown): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.stop(this.failure);
    this.waiting.clear();
  }

  private wake(): void {
    const w = this.waiting.get(this.queue[0]);
    if (!w) return;
    this.waiting.delete(this.queue[0]);
    w.go();
  }
}
