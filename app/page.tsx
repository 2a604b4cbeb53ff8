// The training flow: Data, Model, Method, Train, Export. ?resume=<id> offers to resume a stored run.
import { Studio } from '@/components/studio';

type SearchParams = Record<string, string | string[] | undefined>;

export default async function Page({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { resume } = await searchParams;
  return <Studio resumeId={typeof resume === 'string' ? resume : null} />;
}
