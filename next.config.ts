// Next.js configuration for WebTune Studio.
import type { NextConfig } from 'next';

// Cross-origin isolation (COOP same-origin + COEP credentialless, so Hub downloads keep working) lets tfjs-wasm run
// multithreaded. Off by default: on the 2-core machines it was measured on (scripts/bench-threads.ts), two threads
// gave no steady gain over one, and isolation restricts what the page may embed from other origins for nothing.
// WEBTUNE_CROSS_ORIGIN_ISOLATION=1 at build time turns it on, to measure on machines with more cores.
const isolation = process.env.WEBTUNE_CROSS_ORIGIN_ISOLATION === '1'
  ? [{ key: 'Cross-Origin-Opener-Policy', value: 'same-origin' }, { key: 'Cross-Origin-Embedder-Policy', value: 'credentialless' }]
  : [];

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
