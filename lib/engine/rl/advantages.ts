// Advantages as TRL computes them, on the host (rewards are a few numbers per step): GRPO's group-normalised
// rewards, RLOO's leave-one-out baseline, and PPO's per-token rewards, GAE and whitening. Completions of one prompt
// sit next to each other (k = num_generations per group), as TRL lays them out.

/** Unbiased standard deviation (torch.std, TRL nanstd); NaN for fewer than 2 values. */
export function std(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i] / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - m) ** 2;
  return Math.sqrt(v / (n - 1));
}

function groups(rewards: ArrayLike<number>, k: number): number[][] {
  if (k < 1 || rewards.length % k !== 0) throw new Error(`${rewards.length} rewards do not form groups of ${k}`);
  const out: number[][] = [];
  for (let i = 0; i < rewards.length; i += k) out.push(Array.from({ length: k }, (_, j) => rewards[i + j]));
  return out;
}

/** GRPO: (r - mean of its group) / (std of its group + 1e-4), or unscaled (TRL scale_rewards "none"). A group of one
 * has no spread: its advantage is 0 (TRL's nan_to_num). */
export function grpoAdvantages(rewards: ArrayLike<number>, k: number, scale = true): Float32Array {
  const out = new Float32Array(rewards.length);
  groups(rewards, k).forEach((g, gi) => {
    const mean = g.reduce((a, b) => a + b, 0) / k;
    const s = std(g);
    g.forEach((r, j) => {
      const a = scale ? (r - mean) / (s + 1e-4) : r - mean;
      out[gi * k + j] = Number.isFinite(a) ? a : 0;
    });
  });
  return out;
}

/** RLOO: r minus the mean of the other k-1 rewards of its group; optionally whitened over the batch (TRL
 * normalize_advantages: (a - mean) / (std + 1e-4)). Groups of one get 0. */
export function rlooAdvantages(rewards: ArrayLike<number>, k: number, normalize = false): Float32Array {
  const out = new Float32Array(rewards.length);
  groups(rewards, k).forEach((g, gi) => {
    const sum = g.reduce((a, b) => a + b, 0);
    g.forEach((r, j) => (out[gi * k + j] = k > 1 ? r - (sum - r) / (k - 1) : 0));
  });
  if (!normalize) return out;
  const mean = out.reduce((a, b) => a + b, 0) / out.length;
  const s = std(out);
  return out.map((a) => { const x = (a - mean) / (s + 1e-4); return Number.isFinite(x) ? x : 0; });
}

/** TRL's masked_whiten over every value given: (x - mean) / sqrt(unbiased var + 1e-8), the mean added back when
 * shiftMean is false. */
export function whiten(xs: ArrayLike<number>, shiftMean = true): Float32Array {
  const n = xs.length;
  const mean = Array.from(xs).reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? Array.from(xs).reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  return Float32Array.from(xs, (x) => (x - mean) / Math.sqrt(v + 1e-8) + (shiftMean ? 0 : mean));
}

/** PPO's per-token rewards of one completion: -klCoef * kl[t] at every token and the score added at the last. */
export function tokenRewards(score: number, kl: ArrayLike<number>, klCoef: number): Float32Array {
  const r = Float32Array.from(kl, (x) => -klCoef * x);
  if (r.length > 0) r[r.length - 1] += score;
  return r;
}

/** Generalised advantage estimation over one completion (TRL's loop): delta_t = r_t + gamma V_{t+1} - V_t (V after
 * the last token is 0), A_t = delta_t + gamma lam A_{t+1}; returns = A + V. */
export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, gamma: number, lam: number): { advantages: Float32Array; returns: Float32Array } {
  const n = rewards.length;
  const advantages = new Float32Array(n);
  let last = 0;
  for (let t = n - 1; t >= 0; t--) {
    const next = t < n - 1 ? values[t + 1] : 0;
    last = rewards[t] + gamma * next - values[t] + gamma * lam * last;
    advantages[t] = last;
  }
  return { advantages, returns: advantages.map((a, t) => a + values[t]) };
}
