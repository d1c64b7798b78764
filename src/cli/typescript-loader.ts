/**
 * TypeScript workloads (`faultline sim ./w.ts`). Node 20 cannot import `.ts` on its own, so they
 * load through tsx, a dependency of this package: registered in the main process before the
 * workload is imported, and given with `--import` to every worker process (a loader registered in
 * one process does not reach another). Running faultline itself from source uses the same path.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** File names Node cannot import without a TypeScript loader. */
export function isTypeScriptPath(pathOrUrl: string): boolean {
  return /\.(ts|mts|cts)$/.test(pathOrUrl);
}

let tsxRoot: string | undefined;

function tsxPackageRoot(): string {
  tsxRoot ??= dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  return tsxRoot;
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
