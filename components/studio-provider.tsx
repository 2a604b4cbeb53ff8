'use client';
// Gives each page its own studio store (no module-level singleton) and hooks to read it.
import { createContext, use, useEffect, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { StudioSettings } from '@/lib/stores/studio-settings';
import { createStudioStore, type StudioActions, type StudioState, type StudioStore } from '@/lib/stores/studio-store';

const StudioContext = createContext<StudioStore | null>(null);

export function StudioProvider({ settings, children }: { settings: StudioSettings; children: ReactNode }) {
  const [store] = useState(() => createStudioStore({ settings }));
  // Leaving the page ends the worker; the store starts a new one if it is used again.
  useEffect(() => () => store.getState().actions.dispose(), [store]);
  return <StudioContext value={store}>{children}</StudioContext>;
}

/** Reads a slice of the studio state; return stored values (not new objects) so renders stay rare. */
export function useStudio<T>(selector: (s: StudioState) => T): T {
  const store = use(StudioContext);
  if (!store) throw new Error('useStudio must be used inside <StudioProvider>');
  return useStore(store, selector);
}

export function useActions(): StudioActions {
  return useStudio((s) => s.actions);
}
