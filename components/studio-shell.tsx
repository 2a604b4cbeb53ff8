'use client';
// The studio's frame shared by every view (the root layout holds it): one store for the session, made from the
// URL's settings when the first page opens, and the header with the nav between Train, Playground and Runs.
// Moving between views keeps the store, the worker and its trained adapters.
import '@/lib/zod-jitless';
import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';
import { useState, type ReactNode } from 'react';
import { settingsFromSearchParams } from '@/lib/stores/studio-settings';
import { BackendBadge } from './backend-badge';
import { StudioProvider } from './studio-provider';
import { Badge, focusRing } from './ui';

const VIEWS = [
  { href: '/', label: 'Train', testId: 'nav-train' },
  { href: '/playground', label: 'Playground', testId: 'nav-playground' },
  { href: '/runs', label: 'Runs', testId: 'nav-runs' },
];

export function StudioShell({ children }: { children: ReactNode }) {
  const params = useSearchParams();
  // Read once: later URL changes do not reset a session.
  const [settings] = useState(() => settingsFromSearchParams(Object.fromEntries(params.entries())));
  const path = usePathname();
  return (
    <StudioProvider settings={settings}>
      <div className="mx-auto flex max-w-5xl flex-col gap-6 px-4 py-8 sm:px-6">
        <header className="flex flex-wrap items-end justify-between gap-4">
          <div>
            <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">WebTune Studio</h1>
            <p className="mt-1 text-zinc-600 dark:text-zinc-400">
              Fine-tune a language model on your own GPU. Your data never leaves this machine.
            </p>
          </div>
          <div className="flex items-center gap-2">
            {settings.testMode && (
              <Badge tone="warn" testId="test-mode">
                test mode
              </Badge>
            )}
            <BackendBadge testId="header-backend" />
          </div>
          <nav aria-label="Views" className="flex w-full gap-1 border-b border-zinc-200 dark:border-zinc-800">
            {VIEWS.map((v) => {
              const current = v.href === '/' ? path === '/' : path.startsWith(v.href);
              return (
                <Link
                  key={v.href}
                  href={v.href}
                  data-testid={v.testId}
                  aria-current={current ? 'page' : undefined}
                  className={`-mb-px rounded-t-md border-b-2 px-3 py-2 text-sm font-medium ${focusRing} ${current ? 'border-sky-600 text-sky-700 dark:text-sky-400' : 'border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100'}`}
                >
                  {v.label}
                </Link>
              );
            })}
          </nav>
        </header>
        {children}
      </div>
    </StudioProvider>
  );
}
