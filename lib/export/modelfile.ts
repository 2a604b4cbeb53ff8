// The Ollama Modelfile written beside a GGUF export: FROM the model file, ADAPTER for a LoRA GGUF, the stop token,
// and the chat template when the tokenizer has one (Ollama reads GGUF's tokenizer.chat_template itself, so no
// TEMPLATE line is written: a Jinja template is not an Ollama Go template).
export interface ModelfileInput {
  /** The base model GGUF file, relative to the Modelfile. */
  from: string;
  adapter?: string;
  stop?: string;
  hasChatTemplate: boolean;
}

export function modelfile(m: ModelfileInput): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    '# Ollama Modelfile written by WebTune Studio: `ollama create my-model -f Modelfile`, then `ollama run my-model`.',
    m.hasChatTemplate ? '# The chat template comes from the GGUF (tokenizer.chat_template).' : '# The model has no chat template: it continues plain text.',
    `FROM ./${m.from}`,
    ...(m.adapter ? [`ADAPTER ./${m.adapter}`] : []),
    ...(m.stop ? [`PARAMETER stop ${q(m.stop)}`] : []),
    'PARAMETER temperature 0.7',
    '',
  ].join('\n');
}
