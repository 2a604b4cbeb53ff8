// Next.js proxy (the successor of middleware): gives every page request a fresh CSP nonce (lib/csp.ts). Next.js
// reads the nonce from the request's Content-Security-Policy header and puts it on its inline scripts while it
// renders (the root layout renders per request for that); the response carries the same policy.
import { NextResponse, type NextRequest } from 'next/server';
import { contentSecurityPolicy, newNonce } from './lib/csp';

export function proxy(request: NextRequest) {
  const nonce = newNonce();
  const policy = contentSecurityPolicy(nonce, process.env.NODE_ENV === 'development');
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', policy);
  return response;
}

export const config = {
  // Pages only: not the build's static files, nor models, samples, wasm binaries or other files with an extension.
  matcher: [
    {
      source: '/((?!_next/static|_next/image|.*\\..*).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
