// The error every model-loading refusal throws: its message says what is wrong with the folder in words; and the
// JSON reader of the folder's files, which names the file it could not parse.
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** JSON.parse that names the file it read (tokenizer.json, adapter_config.json, ...) when the text is not JSON. */
export function parseJsonFile(text: string, file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ModelLoadError(`${file} must hold a JSON object`);
  return v as Record<string, unknown>;
}
