// The error every model-loading refusal throws: its message says what is wrong with the folder in words.
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}
