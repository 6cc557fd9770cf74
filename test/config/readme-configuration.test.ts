import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README's configuration table is the operator's only list of settings (issue 9, code health): every
 * environment variable that src/ reads must be in it, and everything in it must still be read.
 */

const ROOT = join(import.meta.dirname, '..', '..');

/** How src/ reads the environment: `env.NAME`, `env['NAME']`, a helper called as `helper(env, 'NAME', …)`, or a list of names. */
const READS = [
  /\benv\.([A-Z][A-Z0-9_]*)\b/g,
  /\benv\[\s*'([A-Z][A-Z0-9_]*)'\s*\]/g,
  /\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g,
  /['`]((?:PACTUM|TWILIO)_[A-Z0-9_]+)['`]/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function variablesReadBySource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of READS)
      for (const match of text.matchAll(pattern)) if (!found.has(match[1]!)) found.set(match[1]!, relative(ROOT, file));
  }
  return found;
}

function variablesInReadme(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  expect(start, 'README.md has a "## Configuration" section').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const table = readme
    .slice(start, end === -1 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  // Only the first column names variables; the others may mention some in passing.
  return new Set(table.flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)(?:=[^`]*)?`/g)].map((match) => match[1]!)));
}

describe('README configuration table', () => {
  it('lists every environment variable src/ reads', () => {
    const documented = variablesInReadme();
    const missing = [...variablesReadBySource()]
      .filter(([name]) => !documented.has(name))
      .map(([name, file]) => `${name} (read in ${file})`);
    expect(missing, `add these to the configuration table in README.md:\n  ${missing.join('\n  ')}\n`).toEqual([]);
  });

  it('lists nothing src/ no longer mentions', () => {
    const sources = sourceFiles(join(ROOT, 'src'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const stale = [...variablesInReadme()].filter((name) => !new RegExp(`\\b${name}\\b`).test(sources));
    expect(stale, 'README.md documents variables that nothing in src/ reads').toEqual([]);
  });
});
