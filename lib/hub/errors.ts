// Errors from fetching a model off the Hugging Face Hub (or a mirror): one class per thing the person
// can act on, each message saying what went wrong and what to do.

export type HubErrorKind = 'auth' | 'not-found' | 'network' | 'pickle-only' | 'http' | 'aborted' | 'missing-files' | 'invalid' | 'bad-file';

export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** 401 / 403: a gated or private repository. */
export class HubAuthError extends HubError {
  constructor(id: string, status: number) {
    super(
      'auth',
      `${id} is gated or private (HTTP ${status}). Open it on the Hugging Face Hub and accept its licence, ` +
        'or use a mirror that serves it; the studio does not send access tokens.',
    );
  }
}

/** 404 on a required file: no such model, or the model lacks the file. */
export class HubNotFoundError extends HubError {
  constructor(id: string, file: string, baseUrl: string) {
    super(
      'not-found',
      file === 'config.json'
        ? `No model "${id}" on ${baseUrl} (config.json not found). Check the model id (owner/name) and the revision.`
        : `The model ${id} has no ${file} on ${baseUrl}. The studio needs ${file} to load it.`,
    );
  }
}

/** fetch itself failed: offline, wrong host, or a server that refused the connection or CORS. */
export class HubNetworkError extends HubError {
  constructor(baseUrl: string, detail: string) {
    super(
      'network',
      `Could not reach ${baseUrl} (${detail}). Are you offline? If you use a mirror, check the Hub URL setting; ` +
        'the server must allow cross-origin requests.',
    );
  }
}

export class HubPickleOnlyError extends HubError {
  constructor(id: string) {
    super(
      'pickle-only',
      `${id} has only pytorch_model.bin. Pickle checkpoints can run code when loaded, so the studio reads safetensors only: ` +
        'pick a model that ships model.safetensors.',
    );
  }
}

export class HubHttpError extends HubError {
  constructor(id: string, file: string, status: number) {
    super('http', `Downloading ${file} of ${id} failed with HTTP ${status}. Try again later, or use a mirror (Hub URL setting).`);
  }
}

export class HubAbortError extends HubError {
  constructor() {
    super('aborted', 'Download cancelled.');
  }
}

/** Local files that lack something required; names what is missing. */
export class MissingFilesError extends HubError {
  constructor(missing: string[]) {
    super('missing-files', `The chosen files lack ${missing.join(', ')}. Pick the whole model folder (as saved by save_pretrained).`);
  }
}
