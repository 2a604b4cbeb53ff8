// Parameter shapes and counts for GPT-2, derived from the config alone (no weights needed),
// so the UI can show model and adapter sizes before anything is loaded.
import type { Gpt2Config, LoraConfig } from './types';

/** Every GPT-2 weight keyed by its HF name without `transformer.`; the lm_head is tied to wte. */
export function gpt2ParamShapes(c: Gpt2Config): Map<string, number[]> {
  const C = c.n_embd;
  const m = new Map<string, number[]>([
    ['wte.weight', [c.vocab_size, C]],
    ['wpe.weight', [c.n_positions, C]],
  ]);
  for (let i = 0; i < c.n_layer; i++) {
    const p = `h.${i}.`;
    m.set(p + 'ln_1.weight', [C]).set(p + 'ln_1.bias', [C]);
    m.set(p + 'attn.c_attn.weight', [C, 3 * C]).set(p + 'attn.c_attn.bias', [3 * C]);
    m.set(p + 'attn.c_proj.weight', [C, C]).set(p + 'attn.c_proj.bias', [C]);
    m.set(p + 'ln_2.weight', [C]).set(p + 'ln_2.bias', [C]);
    m.set(p + 'mlp.c_fc.weight', [C, 4 * C]).set(p + 'mlp.c_fc.bias', [4 * C]);
    m.set(p + 'mlp.c_proj.weight', [4 * C, C]).set(p + 'mlp.c_proj.bias', [C]);
  }
  m.set('ln_f.weight', [C]).set('ln_f.bias', [C]);
  return m;
}

/** The linear (Conv1D) modules LoRA can wrap, by module path, with their [in, out] sizes. */
export function gpt2LinearModules(c: Gpt2Config): Map<string, { fanIn: number; fanOut: number }> {
  const m = new Map<string, { fanIn: number; fanOut: number }>();
  for (const [key, shape] of gpt2ParamShapes(c)) {
    if (key.startsWith('h.') && key.endsWith('.weight') && shape.length === 2) {
      m.set(key.slice(0, -'.weight'.length), { fanIn: shape[0], fanOut: shape[1] });
    }
  }
  return m;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Total parameters (GPT-2 small: 124,439,808; the tied lm_head is not counted twice). */
export function countParams(c: Gpt2Config): number {
  let n = 0;
  for (const shape of gpt2ParamShapes(c).values()) n += size(shape);
  return n;
}

/** PEFT's target matching for a plain list: the module path equals a target or ends with `.${target}`. */
export function matchesTarget(modulePath: string, targets: readonly string[]): boolean {
  return targets.some((t) => modulePath === t || modulePath.endsWith('.' + t));
}

/** Trainable parameters of a LoRA adapter: r * (in + out) per wrapped module. */
export function countLoraParams(c: Gpt2Config, lora: Pick<LoraConfig, 'r' | 'targetModules'>): number {
  let n = 0;
  for (const [path, { fanIn, fanOut }] of gpt2LinearModules(c)) {
    if (matchesTarget(path, lora.targetModules)) n += lora.r * (fanIn + fanOut);
  }
  return n;
}
