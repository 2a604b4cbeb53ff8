// Writes the README.md model card that ships inside every download: what was trained, how, on what data (with its
// fingerprint), what it measured, and how to load it with transformers + PEFT and with llama.cpp.
import { methodSpec, type MethodId } from '../engine/peft/registry';

/** What a run measured, as the trainer reports it. */
export interface RunFacts {
  steps: number;
  firstLoss: number;
  lastLoss: number;
  valLoss?: number;
  trainExamples: number;
  tokens: number;
  backend: string;
  dataFile: string;
  /** The data's fingerprint, naming how it was taken: "sha256:<hex>" of the data file's bytes (`cli export --data`),
   * or "rows:<n>-<fnv1a>" of the training rows (fingerprintExamples: what the studio's run list stores and a resume
   * checks), which exportRun fills in for a trained run. */
  dataFingerprint?: string;
  /** The model was loaded with its block linears packed: trained against (and merged into) those rounded values. */
  baseWeights?: 'f16' | 'int8';
}

/** Everything the model card says about an export. The training facts are absent for an export of an existing
 * model or adapter (the command line's `export`). */
export interface RunSummary extends Partial<RunFacts> {
  baseModel: string;
  method: MethodId;
  hyperparameters: Record<string, unknown>;
  date: string; // ISO date of the export
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));
const or = (x: unknown) => (x === undefined || x === '' ? 'n/a' : String(x));

function usage(run: RunSummary, isAdapter: boolean, files: string[], ggufBase = 'base-model.gguf'): string[] {
  const gguf = files.filter((f) => f.endsWith('.gguf'));
  const py = isAdapter
    ? ['from peft import PeftModel', 'from transformers import AutoModelForCausalLM', `base = AutoModelForCausalLM.from_pretrained("${run.baseModel}")`, 'model = PeftModel.from_pretrained(base, "path/to/this/folder")', 'merged = model.merge_and_unload()  # optional: plain transformers weights']
    : ['from transformers import AutoModelForCausalLM, AutoTokenizer', 'model = AutoModelForCausalLM.from_pretrained("path/to/this/folder")', 'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")'];
  const llama = gguf.length
    ? gguf.some((f) => f.includes('-lora-'))
      ? ['```sh', `# the base model's GGUF: npm run -s cli -- export --model <base model folder> --to gguf --dtype f16 --out .  (writes ${ggufBase})`, `llama-cli -m ${ggufBase} --lora ${gguf.find((f) => f.includes('-lora-'))} -p "Hello"`, '# or: ollama create my-model -f Modelfile', '```']
      : ['```sh', `llama-cli -m ${gguf[0]} -p "Hello"`, '# or: ollama create my-model -f Modelfile', '```']
    : isAdapter
      ? ['```sh', '# WebTune Studio (or `npm run -s cli -- export --to gguf-lora`) writes this adapter as GGUF; then:', 'llama-cli -m base-model.gguf --lora adapter-F16.gguf -p "Hello"', '```']
      : ['```sh', '# WebTune Studio (or `npm run -s cli -- export --to gguf`) writes this model as GGUF; then:', 'llama-cli -m model-F16.gguf -p "Hello"', '```'];
  return ['## How to use', '', 'With transformers' + (isAdapter ? ' and PEFT:' : ':'), '', '```python', ...py, '```', '', 'With llama.cpp:', '', ...llama, ''];
}

/** `ggufBase`: the base model's GGUF file a LoRA GGUF applies to (its Modelfile names the same). */
export function modelCard(run: RunSummary, files: string[], ggufBase?: string): string {
  const spec = methodSpec(run.method);
  const isAdapter = spec.exports === 'adapter' && !files.includes('model.safetensors') && !files.some((f) => f.endsWith('.gguf') && !f.includes('-lora-'));
  const trained = run.steps !== undefined;
  const lines = [
    '---',
    `base_model: ${run.baseModel}`,
    isAdapter ? (spec.notPeft ? 'library_name: webtune-studio' : 'library_name: peft') : 'library_name: transformers',
    'tags:',
    '- webtune-studio',
    `- ${spec.cardTag}`,
    '---',
    '',
    `# ${run.baseModel} fine-tuned with WebTune Studio`,
    '',
    isAdapter
      ? `A ${spec.label} adapter for \`${run.baseModel}\`, trained with WebTune Studio.${spec.notPeft ? ` ${spec.notPeft}` : ''}`
      : spec.exports === 'adapter'
        ? `\`${run.baseModel}\` with a ${spec.label} adapter merged into its weights, trained with WebTune Studio.`
        : `A fully fine-tuned copy of \`${run.baseModel}\`, trained with WebTune Studio.`,
    '',
    ...(isAdapter && spec.notPeft ? [] : usage(run, isAdapter, files, ggufBase)),
    '## Training',
    '',
    `| | |`,
    `| --- | --- |`,
    `| base model | ${run.baseModel} |`,
    `| method | ${spec.label} |`,
    `| data | ${or(run.dataFile)}${run.trainExamples !== undefined ? ` (${run.trainExamples} training examples)` : ''} |`,
    `| data fingerprint | ${or(run.dataFingerprint)} |`,
    `| steps | ${or(run.steps)} |`,
    `| tokens seen | ${or(run.tokens)} |`,
    `| train loss | ${trained ? `${fmt(run.firstLoss)} at step 1, ${fmt(run.lastLoss)} at the last step` : 'n/a'} |`,
    `| validation loss | ${fmt(run.valLoss)} |`,
    `| backend | ${or(run.backend)} |`,
    ...(run.baseWeights ? [`| base weights | block linears held as ${run.baseWeights === 'int8' ? 'int8 with one scale per output row' : 'float16'} while training${isAdapter ? '' : '; the merged weights are those rounded values plus the adapter'} |`] : []),
    `| exported | ${run.date} |`,
    '',
    '### Hyperparameters',
    '',
    '```json',
    JSON.stringify(run.hyperparameters, null, 2),
    '```',
    '',
    '## Files',
    '',
    ...files.map((f) => `- \`${f}\``),
    '',
  ];
  return lines.join('\n');
}
