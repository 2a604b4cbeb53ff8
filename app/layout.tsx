// Root layout: document shell, metadata, global styles, and the studio's shared frame (store provider and nav).
import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import { Suspense, type ReactNode } from 'react';
import { StudioShell } from '@/components/studio-shell';
import './globals.css';

export const metadata: Metadata = {
  title: 'WebTune Studio',
  description: 'Fine-tune a language model on your own GPU. Your data never leaves this machine.',
};

export const viewport: Viewport = {
  colorScheme: 'light dark',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, so that Next.js can put the request's CSP nonce (proxy.ts) on its inline scripts.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        {/* The shell reads the URL's settings (test mode), which needs a Suspense boundary. */}
        <Suspense fallback={null}>
          <StudioShell>{children}</StudioShell>
        </Suspense>
      </body>
    </html>
  );
}
