// The WebTune command line: `npm run -s cli -- train ...` trains in Node with the same engine, data and export
// code as the studio, and writes the same files as the studio's download.
import './quiet-pipe';
import '@tensorflow/tfjs-backend-wasm';
import { pathToFileURL } from 'node:url';

import { EXPORT_USAGE, runExport } from './export';
import { EVAL_USAGE, runEval } from './eval';
import { GENERATE_USAGE, runGenerate } from './generate';
import { INSPECT_USAGE, runInspect } from './inspect';
import { LOGITS_USAGE, runLogits, runTokenize, TOKENIZE_USAGE } from './logits';
import { PLAN_USAGE, runPlan } from './plan';
import { runTrain, TRAIN_USAGE } from './train';

const USAGE = `Usage: npm run -s cli -- <command> [options]

Commands:
  train      fine-tune a model on a data set and write an adapter or model folder
  eval       score a model (and optionally an adapter) on a data file: loss, perplexity, accuracy, exact match
  generate   continue a prompt with a model (and optionally a LoRA adapter)
  logits     print the model's logits for given tokens or text (JSON)
  tokenize   print the token ids of a text (JSON)
  inspect    check a data file: layout, shape, invalid records with their lines, duplicates, tokens
  plan       the memory a training run needs, from a model's config.json alone
  export     write a PEFT adapter, merged model, GGUF (model or LoRA) or a TRL / Axolotl / LLaMA-Factory hand-off

${TRAIN_USAGE}

${EVAL_USAGE}

${GENERATE_USAGE}

${LOGITS_USAGE}

${TOKENIZE_USAGE}

${INSPECT_USAGE}

${PLAN_USAGE}

${EXPORT_USAGE}`;

/** Runs one command; output goes through console.log / console.error, a failure sets process.exitCode to 1. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    if (command === 'train') return await runTrain(rest);
    if (command === 'eval') return await runEval(rest);
    if (command === 'generate') return await runGenerate(rest);
    if (command === 'logits') return await runLogits(rest);
    if (command === 'tokenize') return await runTokenize(rest);
    if (command === 'inspect') return await runInspect(rest);
    if (command === 'plan') return await runPlan(rest);
    if (command === 'export') return await runExport(rest);
    if (!command || command === 'help' || command === '--help') {
      console.log(USAGE);
      return;
    }
    throw new Error(`Unknown command "${command}".\n\n${USAGE}`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (json) console.log(JSON.stringify({ event: 'error', message }));
    else console.error(`error: ${message}`);
    process.exitCode = 1;
  }
}


// Run as the command (`tsx lib/cli/main.ts ...`); the CLI's tests import main() and call it in their own process.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
