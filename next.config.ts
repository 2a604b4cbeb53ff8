// Next.js configuration for WebTune Studio.
import type { NextConfig } from 'next';

// Cross-origin isolation (COOP same-origin + COEP credentialless, so Hub downloads keep working) lets tfjs-wasm run
// multithreaded (lib/engine/wasm-threads.ts): on the 2-core machines it was measured on (scripts/bench-threads.ts),
// two threads train 1.3-1.5x faster than one. Browsers without credentialless COEP (Safari) load the page as before,
// single-threaded. WEBTUNE_CROSS_ORIGIN_ISOLATION=0 at build time turns the headers off (a page that must embed
// cross-origin frames).
const isolation = process.env.WEBTUNE_CROSS_ORIGIN_ISOLATION === '0'
  ? []
  : [{ key: 'Cross-Origin-Opener-Policy', value: 'same-origin' }, { key: 'Cross-Origin-Embedder-Policy', value: 'credentialless' }];

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm test` type-checks the whole project first (tsc --noEmit); checking again here only slows the build.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return isolation.length ? [{ source: '/:path*', headers: isolation }] : [];
  },
};

export default nextConfig;
