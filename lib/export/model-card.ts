// Writes the README.md model card that ships inside every download: what was trained, how, and on what.
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
}

/** Everything the model card says about a run. */
export interface RunSummary extends RunFacts {
  baseModel: string;
  method: MethodId;
  hyperparameters: Record<string, unknown>;
  date: string; // ISO date of the export
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));

export function modelCard(run: RunSummary, files: string[]): string {
  const spec = methodSpec(run.method);
  const isAdapter = spec.exports === 'adapter';
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
      ? `A ${spec.label} adapter for \`${run.baseModel}\`, trained in the browser with WebTune Studio. ${spec.notPeft ?? 'Load it with PEFT:'}`
      : `A fully fine-tuned copy of \`${run.baseModel}\`, trained in the browser with WebTune Studio. Load it with transformers:`,
    '',
    ...(spec.notPeft ? [] : ['```python']),
    ...(spec.notPeft ? [] : isAdapter
      ? [
          'from peft import PeftModel',
          'from transformers import AutoModelForCausalLM',
          `base = AutoModelForCausalLM.from_pretrained("${run.baseModel}")`,
          'model = PeftModel.from_pretrained(base, "path/to/this/folder")',
        ]
      : ['from transformers import AutoModelForCausalLM, AutoTokenizer', 'model = AutoModelForCausalLM.from_pretrained("path/to/this/folder")']),
    ...(spec.notPeft ? [] : ['```', '']),
    '## Training',
    '',
    `| | |`,
    `| --- | --- |`,
    `| data | ${run.dataFile} (${run.trainExamples} training examples) |`,
    `| method | ${spec.label} |`,
    `| steps | ${run.steps} |`,
    `| tokens seen | ${run.tokens} |`,
    `| train loss | ${fmt(run.firstLoss)} at step 1, ${fmt(run.lastLoss)} at the last step |`,
    `| validation loss | ${fmt(run.valLoss)} |`,
    `| backend | ${run.backend} |`,
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
