// The Runs route: every run stored in this browser, with comparison and downloads.
import { RunsView } from '@/components/runs-view';

export default function RunsPage() {
  return <RunsView />;
}
