// Test helper (Node only): a local HTTP server with the Hub's layout (/<id>/resolve/<rev>/<file>), CORS on,
// counting requests, with gated models and slow bodies, for unit tests and the e2e spec.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubServerOptions {
  /** Model id -> file name -> bytes. */
  models: Record<string, Map<string, Uint8Array>>;
  /** Model ids that answer 401, as the Hub does for gated repositories without a token. */
  gated?: string[];
  /** Send bodies in 1 KiB pieces this many ms apart (for cancel tests). */
  slowMs?: number;
  port?: number;
}

export interface HubServer {
  url: string;
  /** "METHOD path" of every request received. */
  requests: string[];
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-expose-headers': 'content-length, x-error-code',
};

function lookup(o: HubServerOptions, path: string): { status: number; bytes?: Uint8Array } {
  const m = /^\/(.+)\/resolve\/[^/]+\/(.+)$/.exec(decodeURIComponent(path));
  if (!m) return { status: 404 };
  const [, id, file] = m;
  if (o.gated?.includes(id)) return { status: 401 };
  const bytes = o.models[id]?.get(file);
  return bytes ? { status: 200, bytes } : { status: 404 };
}

async function sendBody(res: ServerResponse, bytes: Uint8Array, slowMs: number | undefined): Promise<void> {
  if (!slowMs) return void res.end(Buffer.from(bytes));
  for (let i = 0; i < bytes.length && !res.destroyed; i += 1024) {
    res.write(Buffer.from(bytes.subarray(i, i + 1024)));
    await new Promise((r) => setTimeout(r, slowMs));
  }
  res.end();
}

function handle(o: HubServerOptions, requests: string[], req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
  requests.push(`${req.method} ${req.url}`);
  const { status, bytes } = lookup(o, (req.url ?? '/').split('?')[0]);
  if (!bytes) return void res.writeHead(status, { ...CORS, 'content-type': 'text/plain' }).end(status === 401 ? 'Unauthorized' : 'Not found');
  res.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) });
  if (req.method === 'HEAD') return void res.end();
  void sendBody(res, bytes, o.slowMs);
}

export async function startHubServer(o: HubServerOptions): Promise<HubServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => handle(o, requests, req, res));
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
