// The Playground route: base and tuned answers side by side, adapters, and the few-shot comparison.
import { PlaygroundView } from '@/components/playground-view';

export default function PlaygroundPage() {
  return <PlaygroundView />;
}
