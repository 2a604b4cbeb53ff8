// Test helper: runs a PyTorch reference script (scripts/parity_ref.py, parity_prompt_ref.py: `script spec.json` prints
// one JSON line) over many specs in ONE Python process, so torch is imported once per test file, not once per case.
// Each spec runs as `script <spec.json>` would (the script's __main__ with that argv), in order.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

const DRIVER = String.raw`
import runpy, sys
script, specs = sys.argv[1], sys.argv[2:]
for spec in specs:
    sys.argv = [script, spec]
    runpy.run_path(script, run_name='__main__')
    sys.stdout.flush()
`;

/** The script's JSON output for each spec, in the order given. */
export function torchReferences<T>(script: string, specs: object[]): T[] {
  const dir = mkdtempSync(join(tmpdir(), 'webtune-torch-ref-'));
  const files = specs.map((spec, i) => {
    const file = join(dir, `spec-${i}.json`);
    writeFileSync(file, JSON.stringify(spec));
    return file;
  });
  const lines = execFileSync(PYTHON, ['-c', DRIVER, script, ...files], { encoding: 'utf8', maxBuffer: 256 << 20 }).trim().split('\n');
  if (lines.length !== specs.length) throw new Error(`${script} printed ${lines.length} lines for ${specs.length} specs`);
  return lines.map((l) => JSON.parse(l) as T);
}
