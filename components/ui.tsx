// UI primitives shared by the studio panels: section card, buttons, fields, badge, progress, alerts, stats.
import type { ButtonHTMLAttributes, ReactNode, RefObject } from 'react';

export const focusRing =
  'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 dark:focus-visible:outline-indigo-400';

export const inputClass = `w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm tabular-nums shadow-xs
  disabled:cursor-not-allowed disabled:opacity-60 aria-invalid:border-red-500 dark:border-zinc-700 dark:bg-zinc-900 ${focusRing}`;

export function Card({ step, title, description, children, aside }: { step: number; title: string; description: string; children: ReactNode; aside?: ReactNode }) {
  const id = `section-${step}`;
  return (
    <section aria-labelledby={id} className="rounded-xl border border-zinc-200 bg-white p-5 shadow-sm sm:p-6 dark:border-zinc-800 dark:bg-zinc-900/60">
      <header className="mb-5 flex flex-wrap items-start justify-between gap-3">
        <div className="flex items-start gap-3">
          <span aria-hidden className="mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-sm font-semibold text-white dark:bg-indigo-500">
            {step}
          </span>
          <div>
            <h2 id={id} className="text-lg font-semibold tracking-tight">
              <span className="sr-only">Step {step}: </span>
              {title}
            </h2>
            <p className="text-sm text-zinc-600 dark:text-zinc-400">{description}</p>
          </div>
        </div>
        {aside}
      </header>
      {children}
    </section>
  );
}

type Variant = 'primary' | 'secondary' | 'danger';
const variants: Record<Variant, string> = {
  primary: 'bg-indigo-600 text-white hover:bg-indigo-500 dark:bg-indigo-500 dark:hover:bg-indigo-400',
  secondary:
    'border border-zinc-300 bg-white text-zinc-800 hover:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800',
  danger:
    'border border-zinc-300 bg-white text-red-700 hover:bg-red-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-red-400 dark:hover:bg-red-950/40',
};

export function Button({ variant = 'secondary', className = '', ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  return (
    <button
      type="button"
      className={`inline-flex items-center justify-center gap-2 rounded-md px-3.5 py-2 text-sm font-medium transition-colors
        disabled:cursor-not-allowed disabled:opacity-50 ${variants[variant]} ${focusRing} ${className}`}
      {...props}
    />
  );
}

export function Field({ id, label, help, error, children }: { id: string; label: string; help?: string; error?: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${id}-error`} role="alert" className="text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : help ? (
        <p id={`${id}-help`} className="text-xs text-zinc-500 dark:text-zinc-400">
          {help}
        </p>
      ) : null}
    </div>
  );
}

export function Badge({ children, tone = 'neutral', testId }: { children: ReactNode; tone?: 'neutral' | 'accent' | 'warn'; testId?: string }) {
  const tones = {
    neutral: 'bg-zinc-100 text-zinc-700 ring-zinc-200 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-700',
    accent: 'bg-indigo-50 text-indigo-700 ring-indigo-200 dark:bg-indigo-950/60 dark:text-indigo-300 dark:ring-indigo-800',
    warn: 'bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-950/50 dark:text-amber-300 dark:ring-amber-800',
  };
  return (
    <span className={`inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-medium ring-1 ring-inset ${tones[tone]}`} data-testid={testId}>
      {children}
    </span>
  );
}

/** A determinate bar when total > 0, otherwise an indeterminate one. */
export function ProgressBar({ label, loaded, total, testId }: { label: string; loaded: number; total: number; testId?: string }) {
  const pct = total > 0 ? Math.min(100, Math.max(0, (loaded / total) * 100)) : null;
  return (
    <div className="flex flex-col gap-1" data-testid={testId}>
      <div className="flex justify-between text-xs text-zinc-600 dark:text-zinc-400">
        <span>{label}</span>
        {pct !== null && <span className="tabular-nums">{Math.round(pct)}%</span>}
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct === null ? undefined : Math.round(pct)}
        className="h-2 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
      >
        <div
          className={`h-full rounded-full bg-indigo-600 transition-[width] dark:bg-indigo-400 ${pct === null ? 'w-1/3 animate-pulse' : ''}`}
          style={pct === null ? undefined : { width: `${pct}%` }}
        />
      </div>
    </div>
  );
}

export function Alert({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div role="alert" data-testid={testId} className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300">
      {children}
    </div>
  );
}

export function Note({ children }: { children: ReactNode }) {
  return <p className="text-sm text-zinc-600 dark:text-zinc-400">{children}</p>;
}

export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="rounded-lg bg-zinc-50 px-3 py-2 dark:bg-zinc-800/50">
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="text-base font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** A radio button drawn as a selectable card with a label and one line of help. */
export function RadioCard({ name, value, checked, onSelect, label, help, testId }: { name: string; value: string; checked: boolean; onSelect: () => void; label: string; help: ReactNode; testId: string }) {
  return (
    <label className="flex cursor-pointer items-start gap-3 rounded-lg border border-zinc-200 px-3 py-2 has-checked:border-indigo-500 has-checked:bg-indigo-50/60 dark:border-zinc-800 dark:has-checked:bg-indigo-950/30">
      <input type="radio" name={name} value={value} checked={checked} onChange={onSelect} data-testid={testId} className={`mt-1 accent-indigo-600 ${focusRing}`} />
      <span>
        <span className="block text-sm font-medium">{label}</span>
        <span className="block text-xs text-zinc-600 dark:text-zinc-400">{help}</span>
      </span>
    </label>
  );
}

/** A labelled checkbox with optional help text. */
export function Checkbox({ checked, onChange, label, help, testId, disabled }: { checked: boolean; onChange: (on: boolean) => void; label: ReactNode; help?: ReactNode; testId?: string; disabled?: boolean }) {
  return (
    <label className="flex cursor-pointer items-start gap-2 text-sm has-disabled:cursor-not-allowed has-disabled:opacity-60">
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} data-testid={testId} className={`mt-0.5 accent-indigo-600 ${focusRing}`} />
      <span>
        <span className="block">{label}</span>
        {help && <span className="block text-xs text-zinc-600 dark:text-zinc-400">{help}</span>}
      </span>
    </label>
  );
}

/** A titled sub-section inside a card. */
export function SubSection({ title, children, testId, aside }: { title: string; children: ReactNode; testId?: string; aside?: ReactNode }) {
  return (
    <section className="flex flex-col gap-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800" data-testid={testId}>
      <header className="flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-sm font-semibold">{title}</h3>
        {aside}
      </header>
      {children}
    </section>
  );
}

/** A hidden file input that a button opens (`inputRef.current?.click()`); it clears itself after each pick, so
 * choosing the same file again still fires. */
export function HiddenFileInput({ inputRef, accept, testId, onFile }: { inputRef: RefObject<HTMLInputElement | null>; accept: string; testId: string; onFile: (file: File) => void }) {
  return (
    <input
      ref={inputRef}
      type="file"
      hidden
      tabIndex={-1}
      accept={accept}
      data-testid={testId}
      onChange={(e) => {
        const file = e.target.files?.[0];
        e.target.value = '';
        if (file) onFile(file);
      }}
    />
  );
}
