/** The faultline package version, read from its package.json (recorded in every `--out` line). */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'faultline' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // Not at this depth: try the next one (src/ and dist/src/ sit at different depths).
    }
  }
  return (cached = 'unknown');
}
