// The studio page: one route; the URL's query (test mode, overrides) is handed to the client component.
import { Studio } from '@/components/studio';

type SearchParams = Record<string, string | string[] | undefined>;

export default async function Page({ searchParams }: { searchParams: Promise<SearchParams> }) {
  return <Studio searchParams={await searchParams} />;
}
