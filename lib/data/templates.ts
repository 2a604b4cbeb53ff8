// Prompt templates that turn structured records into the text the model reads.
// The Alpaca template is Stanford Alpaca's own (tatsu-lab/stanford_alpaca, train.py PROMPT_DICT).

/** Preamble of the with-input variant. */
export const ALPACA_PREAMBLE_WITH_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. ' +
  'Write a response that appropriately completes the request.';

/** Preamble of the no-input variant. */
export const ALPACA_PREAMBLE_NO_INPUT =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.';

/** Full templates with `{instruction}` and `{input}` placeholders, for display. */
export const ALPACA_TEMPLATE_WITH_INPUT =
  `${ALPACA_PREAMBLE_WITH_INPUT}\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n`;
export const ALPACA_TEMPLATE_NO_INPUT =
  `${ALPACA_PREAMBLE_NO_INPUT}\n\n### Instruction:\n{instruction}\n\n### Response:\n`;

export interface AlpacaFields {
  instruction: string;
  /** Optional context; empty or whitespace-only selects the no-input variant. */
  input?: string;
  /** Replaces the standard preamble when non-empty. */
  system?: string;
}

/**
 * Renders the prompt part of an Alpaca record (everything the model reads before the output).
 * Ends with "### Response:\n", so the output follows directly.
 */
export function renderAlpacaPrompt({ instruction, input, system }: AlpacaFields): string {
  const hasInput = input !== undefined && input.trim() !== '';
  const preamble =
    system !== undefined && system.trim() !== ''
      ? system
      : hasInput
        ? ALPACA_PREAMBLE_WITH_INPUT
        : ALPACA_PREAMBLE_NO_INPUT;
  const inputPart = hasInput ? `### Input:\n${input}\n\n` : '';
  return `${preamble}\n\n### Instruction:\n${instruction}\n\n${inputPart}### Response:\n`;
}
