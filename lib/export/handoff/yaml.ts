// A small YAML writer for the hand-off configs (maps, lists, scalars): strings are JSON-quoted when YAML would
// read them as something else, so the files parse back to exactly these values.
type Scalar = string | number | boolean | null;
export type YamlValue = Scalar | YamlValue[] | { [k: string]: YamlValue };

const PLAIN = /^[A-Za-z_./][A-Za-z0-9_.,/ -]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: Scalar): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === 'boolean') return String(v);
  return PLAIN.test(v) && !RESERVED.test(v) && !v.endsWith(' ') && !v.includes(': ') && !v.includes(' #') ? v : JSON.stringify(v);
}

function lines(v: YamlValue, indent: string): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return [`${indent}[]`];
    return v.flatMap((item) => {
      const inner = lines(item, indent + '  ');
      if (item !== null && typeof item === 'object') return [`${indent}- ${inner[0].trimStart()}`, ...inner.slice(1)];
      return [`${indent}- ${scalar(item as Scalar)}`];
    });
  }
  if (v !== null && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, val]) => {
      if (val !== null && typeof val === 'object' && !(Array.isArray(val) && val.length === 0)) return [`${indent}${k}:`, ...lines(val, indent + '  ')];
      return [`${indent}${k}: ${Array.isArray(val) ? '[]' : scalar(val as Scalar)}`];
    });
  }
  return [indent + scalar(v)];
}

export function toYaml(doc: { [k: string]: YamlValue }, header = ''): string {
  return (header ? header.split('\n').map((l) => `# ${l}`).join('\n') + '\n' : '') + lines(doc, '').join('\n') + '\n';
}
