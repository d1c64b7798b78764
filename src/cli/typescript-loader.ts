/**
 * TypeScript workloads (`faultline sim ./w.ts`). Node 20 cannot import `.ts` on its own, so they
 * load through tsx: registered in the main process before the workload is imported, and given with
 * `--import` to every worker process (a loader registered in one process does not reach another).
 * Running faultline itself from source uses the same path.
 *
 * tsx is an optional peer dependency, found from faultline's own install or from the user's project
 * (the current directory): making it a dependency would install esbuild, and its install script, for
 * every user, including the many who never write a workload in TypeScript. Without it, a `.ts`
 * workload is refused with one line that says what to install (exit 2).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './usage-error.js';

/** File names Node cannot import without a TypeScript loader. */
export function isTypeScriptPath(pathOrUrl: string): boolean {
  return /\.(ts|mts|cts)$/.test(pathOrUrl);
}

let tsxRoot: string | undefined;

function tsxPackageRoot(): string {
  if (tsxRoot !== undefined) return tsxRoot;
  for (const from of [import.meta.url, pathToFileURL(join(process.cwd(), 'package.json')).href]) {
    try {
      tsxRoot = dirname(createRequire(from).resolve('tsx/package.json'));
      return tsxRoot;
    } catch {
      // not reachable from here: try the next place
    }
  }
  throw new UsageError('TypeScript workloads load through tsx, which is not installed: npm install --save-dev tsx (or compile the workload to .js)');
}

/**
 * The `--import` argument that makes a process load TypeScript: tsx's main entry (what
 * `node --import tsx` loads), which covers both module systems. A `.ts` file with no
 * `"type": "module"` above it is CommonJS to Node, and only the CommonJS hook transforms it.
 */
export function typeScriptImportUrl(): string {
  return pathToFileURL(join(tsxPackageRoot(), 'dist', 'loader.mjs')).href;
}

let registered: Promise<void> | undefined;

/** Registers the TypeScript loader in this process (once). */
export function registerTypeScript(): Promise<void> {
  registered ??= (async () => {
    // Both of tsx's APIs, by path (as ES modules): the ESM hooks, and the CommonJS one a `.ts`
    // file outside a `"type": "module"` package needs.
    for (const system of ['esm', 'cjs']) {
      const api = (await import(pathToFileURL(join(tsxPackageRoot(), 'dist', system, 'api', 'index.mjs')).href)) as { register: () => unknown };
      api.register();
    }
  })();
  return registered;
}
