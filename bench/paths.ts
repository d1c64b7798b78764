/** Where things are: found from this file's location, so it works from `bench/` and `dist/bench/`. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest ancestor holding faultline's package.json. */
export function repoRoot(): string {
  let dir = HERE;
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'faultline') return dir;
    }
    dir = dirname(dir);
  }
  throw new Error('faultline repository root not found above the bench directory');
}

/** The worker script next to this file, with the same extension (`.ts` under tsx, `.js` compiled). */
export function workerScript(): string {
  return join(HERE, `worker${extname(fileURLToPath(import.meta.url))}`);
}

/** Scratch space on the repository's file system (tmpfs would make O_DIRECT impossible). */
export function benchTmpRoot(): string {
  return join(repoRoot(), '.bench-tmp');
}
