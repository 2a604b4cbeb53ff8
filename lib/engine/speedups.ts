// One switch for the engine's speed work (fused optimizer, kernel overrides), so benchmarks can show plain tfjs
// beside the optimised path and tests can compare the two. On by default.
let enabled = true;

export function setSpeedups(on: boolean): void {
  enabled = on;
}

export function speedupsOn(): boolean {
  return enabled;
}
