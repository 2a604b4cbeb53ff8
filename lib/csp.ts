// The studio's Content-Security-Policy, built per request by proxy.ts with a fresh nonce. Scripts run only from
// this origin's build, and inline scripts (Next.js's own bootstrap) only with the nonce; no eval in production
// (React needs it in development for its error stacks). 'wasm-unsafe-eval' (compiling WebAssembly, not eval) is
// there because the page's bundle holds tfjs-core, whose Long.js compiles a tiny wasm module at load; training runs
// in the workers. zod's eval probe is off (lib/zod-jitless.ts). Styles allow inline attributes, which React's `style`
// props and the charts set and which run no code. The page fetches only from itself: the Hub and model files are
// downloaded by the workers.
export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'${dev ? " 'unsafe-eval'" : ''}`,
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? ' ws:' : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A nonce of 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
