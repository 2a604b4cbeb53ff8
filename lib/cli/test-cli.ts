// Test helper: the command line under test, for the CLI's test files. `runCli` calls main() in this process with
// console output captured (no tsx start-up: seconds saved per command); `spawnCli` runs `tsx lib/cli/main.ts` as
// its own process, for what only a process shows (exit status, stderr free of stack traces, a closed pipe, a stray
// write outside console). `tinyModelDir` writes the tiny GPT-2 folder these tests train.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { tinyConfig, tinyFolder, tinyWeights } from '../engine/test-fixtures';
import type { Gpt2Config } from '../engine/types';
import { main } from './main';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const root = join(import.meta.dirname, '../..');
export const TSX = join(root, 'node_modules/tsx/dist/cli.mjs');
export const MAIN = join(root, 'lib/cli/main.ts');

const exec = promisify(execFile);

/** `tsx lib/cli/main.ts ...args` as a child process; a non-zero exit is returned, not thrown. */
export async function spawnCli(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [TSX, MAIN, ...args], { cwd: root, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * main(args) in this process. console.log / info / debug become stdout, console.error / warn stderr, and
 * process.exitCode the code, as a child process would report them. Calls run one at a time (console is global),
 * and the caller's tfjs backend is set back afterwards, as if the command had run elsewhere.
 */
export function runCli(args: string[]): Promise<CliResult> {
  const next = queue.then(() => runNow(args));
  queue = next.catch(() => undefined);
  return next;
}

async function runNow(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, info: console.info, debug: console.debug, error: console.error, warn: console.warn };
  const savedCode = process.exitCode;
  const savedBackend = tf.engine().backendName;
  const to = (sink: string[]) => (...a: unknown[]) => void sink.push(format(...a) + '\n');
  Object.assign(console, { log: to(out), info: to(out), debug: to(out), error: to(err), warn: to(err) });
  process.exitCode = undefined;
  try {
    await main(args);
    return { code: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    Object.assign(console, saved);
    process.exitCode = savedCode;
    if (savedBackend && tf.engine().backendName !== savedBackend) await tf.setBackend(savedBackend);
  }
}

/** runCli that throws, with the command's output, unless it exits 0; returns its stdout. */
export async function runCliOk(args: string[]): Promise<string> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Parses `--json` output: one JSON object a line. */
export const events = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A fresh temporary folder with the tiny GPT-2 model (weights, config, byte tokenizer) in `<dir>/tiny`. */
export function tinyModelDir(prefix: string, config: Gpt2Config = tinyConfig({ n_positions: 32 })): { dir: string; model: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const model = join(dir, 'tiny');
  mkdirSync(model);
  for (const [name, bytes] of tinyFolder(config, tinyWeights(config))) writeFileSync(join(model, name), bytes);
  return { dir, model };
}
