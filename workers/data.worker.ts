// The data worker: a thin adapter that checks each Data-step message and hands it to DataSession (lib/),
// so parsing, cleaning, tokenizing and encoding large files never block the page.
import { parseDataRequest, type DataEvent, type DataRequest } from '../lib/data-worker/protocol';
import { DataSession } from '../lib/data-worker/session';

const scope = self as unknown as {
  postMessage(message: DataEvent, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
};

const session = new DataSession((event, transfer) => scope.postMessage(event, transfer ?? []));

// One request at a time, in order: a later settings change waits for the work before it.
let queue: Promise<void> = Promise.resolve();

function run(req: DataRequest): Promise<void> {
  switch (req.type) {
    case 'parse':
      return session.parse(req.id, req.slot, req.file, req.fileName, req.options);
    case 'prepare':
      return session.prepare(req.id, req.settings);
    case 'preview':
      return session.preview(req.id, req.index, req.settings);
    case 'encode':
      return session.encode(req.id, req.settings);
    case 'handoff':
      return session.handoff(req.id, req.settings, req.job);
  }
}

scope.onmessage = (ev: MessageEvent) => {
  let req: DataRequest;
  try {
    req = parseDataRequest(ev.data);
  } catch (e) {
    const id = typeof ev.data?.id === 'number' ? ev.data.id : -1;
    scope.postMessage({ type: 'error', id, during: 'message', message: `The data worker got a malformed request: ${(e as Error).message}` });
    return;
  }
  queue = queue.then(() =>
    run(req).catch((e: unknown) => {
      scope.postMessage({ type: 'error', id: req.id, during: req.type, message: e instanceof Error ? e.message : String(e) });
    }),
  );
};
