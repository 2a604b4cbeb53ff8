// Which stored runs are training right now, in any tab of this origin. The tab that records a run holds a Web Lock
// named after it (navigator.locks) until the run's last write has landed; the browser drops the lock when that tab
// closes, reloads or crashes. A run stored as running whose lock nobody holds was left behind: the Runs view marks it
// interrupted. A running run seen from another view or another tab keeps its status.
// Without the Locks API (old browsers, Node) nothing is held and every running run counts as left behind, as before.

const PREFIX = 'webtune-run:';

interface LockManagerLike {
  request(name: string, options: { mode: 'exclusive'; signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

function lockManager(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' && typeof nav.locks.query === 'function' ? nav.locks : null;
}

/** Holds the run's lock until the returned release is called (a no-op where locks are missing). */
export function holdRunLock(runId: string, locks: LockManagerLike | null = lockManager()): () => void {
  if (!locks) return () => {};
  let release: () => void = () => {};
  const released = new Promise<void>((ok) => (release = ok));
  // A failed request (the page is going away) only means the run is not shown as live.
  locks.request(PREFIX + runId, { mode: 'exclusive' }, () => released).catch(() => {});
  return release;
}

/** The ids of runs some tab of this origin is recording now, or null where the Locks API is missing. */
export async function liveRunIds(locks: LockManagerLike | null = lockManager()): Promise<Set<string> | null> {
  if (!locks) return null;
  const state = await locks.query();
  return new Set((state.held ?? []).map((l) => l.name ?? '').filter((n) => n.startsWith(PREFIX)).map((n) => n.slice(PREFIX.length)));
}
