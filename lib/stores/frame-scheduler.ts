// Batches high-rate updates (training steps) into one store update per animation frame.

/** Next animation frame, with a timer as a floor so hidden tabs (no frames) still catch up. */
export function frameScheduler(flush: () => void): () => void {
  let fired = false;
  const once = () => {
    if (fired) return;
    fired = true;
    cancel();
    flush();
  };
  const timer = setTimeout(once, 250);
  const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame(once) : null;
  const cancel = () => {
    clearTimeout(timer);
    if (raf !== null) cancelAnimationFrame(raf);
  };
  return () => {
    fired = true;
    cancel();
  };
}
