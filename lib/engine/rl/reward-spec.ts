// Programmatic reward specs as plain data (no tfjs): `regex:<pattern>`, `exact` (the record's reference answer),
// `length:<n>[:<penalty>]`, each optionally weighted `<w>*<term>`. The CLI's --reward flags and the studio's reward
// field parse through here (rewards.ts scores with the terms).

/** One term of a programmatic reward. */
export type Term = { weight: number; label: string; needsAnswer: boolean; score(text: string, tokens: number, answer?: string): number };

export const SPEC_HELP = 'a reward spec is regex:<pattern> (1 when the answer matches, /pattern/flags allowed), exact (1 when the answer equals ' +
  'the record\'s reference "answer", whitespace normalised), or length:<target tokens>[:<penalty per token>] (minus the penalty per token ' +
  'away from the target; default 1/target), each optionally weighted as <w>*<term>; several --reward flags add up';

/** Trimmed, with every run of whitespace one space. */
export function normaliseWhitespace(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

function regexOf(src: string, spec: string): RegExp {
  const slashed = /^\/(.*)\/([a-z]*)$/s.exec(src);
  try {
    return slashed ? new RegExp(slashed[1], slashed[2]) : new RegExp(src);
  } catch (e) {
    throw new Error(`--reward ${spec}: not a regular expression (${(e as Error).message})`);
  }
}

function positive(v: string, what: string, spec: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`--reward ${spec}: the ${what} must be a positive number, got "${v}"`);
  return x;
}

/** Parses one spec into a term; throws a clear error on anything else. */
export function parseRewardTerm(spec: string): Term {
  const m = /^\s*(?:([-+]?\d*\.?\d+(?:e[-+]?\d+)?)\s*\*\s*)?(.*)$/is.exec(spec)!;
  const weight = m[1] === undefined ? 1 : Number(m[1]);
  const body = m[2];
  const colon = body.indexOf(':');
  const kind = (colon < 0 ? body : body.slice(0, colon)).trim().toLowerCase();
  const arg = colon < 0 ? undefined : body.slice(colon + 1);
  if (kind === 'regex') {
    if (!arg) throw new Error(`--reward ${spec}: regex needs a pattern (regex:<pattern>)`);
    const re = regexOf(arg, spec);
    return { weight, label: `regex ${re}`, needsAnswer: false, score: (text) => (re.test(text) ? 1 : 0) };
  }
  if (kind === 'exact') {
    if (arg !== undefined) throw new Error(`--reward ${spec}: exact takes no argument (it compares with each record's "answer")`);
    return { weight, label: 'exact match', needsAnswer: true, score: (text, _n, answer) => (normaliseWhitespace(text) === normaliseWhitespace(answer ?? '') ? 1 : 0) };
  }
  if (kind === 'length') {
    const [t, p, ...rest] = (arg ?? '').split(':');
    if (!t || rest.length) throw new Error(`--reward ${spec}: length needs length:<target tokens>[:<penalty per token>]`);
    const target = positive(t, 'target length', spec);
    const penalty = p === undefined ? 1 / target : positive(p, 'penalty', spec);
    return { weight, label: `length ${target}`, needsAnswer: false, score: (_text, n) => -penalty * Math.abs(n - target) };
  }
  throw new Error(`--reward ${spec}: unknown reward "${kind}": ${SPEC_HELP}`);
}

