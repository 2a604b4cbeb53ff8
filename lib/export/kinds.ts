// The export kinds and precisions as plain data (no tfjs): what the studio's Export step and the CLI offer.
export const EXPORT_KINDS = ['peft', 'merged', 'gguf', 'gguf-lora', 'trl', 'axolotl', 'llamafactory'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_DTYPES = ['f32', 'f16', 'bf16', 'q8_0'] as const;
export type ExportDtype = (typeof EXPORT_DTYPES)[number];

/** The precision each kind writes when none is asked for. */
export const DEFAULT_DTYPE: Record<ExportKind, ExportDtype> = {
  peft: 'f32', merged: 'f32', gguf: 'f16', 'gguf-lora': 'f16', trl: 'f32', axolotl: 'f32', llamafactory: 'f32',
};

export const STUDIO_EXPORT_KINDS = ['peft', 'merged', 'gguf', 'gguf-lora'] as const;
export type StudioExportKind = (typeof STUDIO_EXPORT_KINDS)[number];

/** The kinds the studio's worker writes from a run besides the method's own download (its adapter or model folder),
 * with the precisions each takes and what it needs: a method that can give the whole model, or LoRA. */
export const STUDIO_EXPORTS: { kind: StudioExportKind; label: string; help: string; dtypes: ExportDtype[]; needs: 'lora' | 'merge' }[] = [
  { kind: 'merged', label: 'Merged model (Hugging Face)', help: 'config.json, model.safetensors, tokenizer: the adapter folded into the weights', dtypes: ['f32', 'f16', 'bf16'], needs: 'merge' },
  { kind: 'gguf', label: 'GGUF model (llama.cpp, Ollama, LM Studio)', help: 'one .gguf file with the tokenizer, and an Ollama Modelfile', dtypes: ['f16', 'q8_0', 'f32', 'bf16'], needs: 'merge' },
  { kind: 'gguf-lora', label: 'GGUF LoRA adapter (llama.cpp)', help: 'the adapter as GGUF, applied to the base model\'s GGUF (--lora)', dtypes: ['f16', 'f32'], needs: 'lora' },
];

/** What the Export step offers a method beside its own download, from the method registry's spec: the whole model
 * (merged, GGUF) only where it merges or trains the model itself, the GGUF LoRA only for LoRA. */
export function studioExportsFor(method: { id: string; merges: boolean }): typeof STUDIO_EXPORTS {
  return STUDIO_EXPORTS.filter((e) => (e.needs === 'merge' ? method.merges : method.id === 'lora'));
}
