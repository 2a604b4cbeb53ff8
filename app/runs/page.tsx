// The Runs route: every run stored in this browser, with comparison and downloads.
import Link from 'next/link';
import { RunsView } from '@/components/runs-view';

export default function RunsPage() {
  return (
    <div className="mx-auto flex max-w-5xl flex-col gap-6 px-4 py-8 sm:px-6">
      <nav className="text-sm">
        <Link href="/" className="underline">Back to the studio</Link>
      </nav>
      <RunsView />
    </div>
  );
}
