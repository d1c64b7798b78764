/**
 * Resolves a workload specifier (`kv`, `kv:no-checksum`, `replicated-log`, `./my-workload.mjs`) to
 * a loaded {@link Workload}. Built-in workloads live in `examples/`, found relative to this file
 * so the same code works from `src/` (under tsx) and from the compiled `dist/src/`.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from './usage-error.js';
import { isTypeScriptPath, registerTypeScript } from './typescript-loader.js';
import type { Workload } from './workload.js';

/** Built-in workloads: name → module path relative to this file, without extension. */
export const BUILTIN_WORKLOADS: Readonly<Record<string, string>> = {
  kv: '../../examples/kv/workload',
  'replicated-log': '../../examples/replicated-log/workload',
};

/** A workload ready to run, and how to load it again (in a worker process). */
export interface LoadedWorkload {
  /** What the user typed. */
  readonly specifier: string;
  /** The module's URL (what a worker imports). */
  readonly moduleUrl: string;
  /** The part after `:` of a built-in name, if any. */
  readonly variant: string | undefined;
  readonly workload: Workload;
}

/** The URL of a module next to this one: `.js` when compiled, `.ts` when run from source. */
export function siblingModuleUrl(relativeWithoutExtension: string): string {
  for (const extension of ['.js', '.ts']) {
    const url = new URL(relativeWithoutExtension + extension, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url.href;
  }
  return new URL(relativeWithoutExtension + '.js', import.meta.url).href;
}

function builtinParts(specifier: string): { name: string; variant: string | undefined } | undefined {
  const match = /^([a-z][a-z0-9-]*)(?::([A-Za-z0-9_-]+))?$/.exec(specifier);
  if (match === null || match[1] === undefined) return undefined;
  if (!Object.prototype.hasOwnProperty.call(BUILTIN_WORKLOADS, match[1])) return undefined;
  return { name: match[1], variant: match[2] };
}

function isWorkload(value: unknown): value is Workload {
  return typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function';
}

/** Imports `moduleUrl` and returns its workload (default export, or the module itself). */
export async function importWorkload(moduleUrl: string, specifier: string): Promise<Workload> {
  let module: Record<string, unknown>;
  try {
    module = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UsageError(`cannot load workload '${specifier}': ${message}`);
  }
  let candidate: unknown = module['default'] ?? module;
  // A CommonJS module compiled from `export default` (a `.ts` file outside an ESM package) arrives
  // as `{ default: workload }` one level down.
  if (!isWorkload(candidate) && typeof candidate === 'object' && candidate !== null) candidate = (candidate as { default?: unknown }).default ?? candidate;
  if (!isWorkload(candidate)) throw new UsageError(`workload '${specifier}' has no run(ctx) function in its default export`);
  return candidate;
}

/**
 * Loads a workload. Throws {@link UsageError} for an unknown name, a missing file, a module that
 * fails to load or has no `run`, and a variant the workload does not list.
 */
export async function loadWorkload(specifier: string, cwd: string = process.cwd()): Promise<LoadedWorkload> {
  const builtin = builtinParts(specifier);
  let moduleUrl: string;
  let variant: string | undefined;
  if (builtin !== undefined) {
    moduleUrl = siblingModuleUrl(BUILTIN_WORKLOADS[builtin.name]!);
    variant = builtin.variant;
  } else {
    if (!/[./\\]/.test(specifier) && !existsSync(resolvePath(cwd, specifier))) {
      throw new UsageError(`unknown workload '${specifier}' (built-in: ${Object.keys(BUILTIN_WORKLOADS).join(', ')}; or a path to a .js, .mjs or .ts file)`);
    }
    const path = resolvePath(cwd, specifier);
    if (!existsSync(path)) throw new UsageError(`workload file not found: ${specifier}`);
    const stats = statSync(path);
    if (!stats.isFile()) throw new UsageError(`workload '${specifier}' is ${stats.isDirectory() ? 'a directory' : 'not a regular file'}: give the path of its .js, .mjs or .ts module`);
    moduleUrl = pathToFileURL(path).href;
    variant = undefined;
  }
  // TypeScript (a user's .ts workload, or faultline run from source) loads through tsx.
  if (isTypeScriptPath(moduleUrl)) await registerTypeScript();
  const workload = await importWorkload(moduleUrl, specifier);
  if (variant !== undefined) checkVariant(builtin?.name ?? specifier, workload, variant);
  return { specifier, moduleUrl, variant, workload };
}

function checkVariant(name: string, workload: Workload, variant: string): void {
  const variants = workload.variants ?? {};
  if (!Object.prototype.hasOwnProperty.call(variants, variant)) {
    const known = Object.keys(variants);
    throw new UsageError(`workload '${name}' has no variant '${variant}'${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`);
  }
}

/**
 * Checks `--option variant=V` against the loaded workload. `variant` is the option `name:variant`
 * sets, and a workload reads it to pick a broken build: given as an option it bypassed the check
 * of the name, so a misspelt variant of a workload that defaults to its correct build ran that
 * and passed. It must agree with the variant in the name, and name one the workload lists (a
 * workload that lists none reads the option as it likes).
 */
export function checkVariantOption(command: string, loaded: LoadedWorkload, options: Readonly<Record<string, string>>): void {
  const variant = Object.prototype.hasOwnProperty.call(options, 'variant') ? options['variant'] : undefined;
  if (variant === undefined) return;
  if (loaded.variant !== undefined) {
    if (variant !== loaded.variant) throw new UsageError(`${command}: --option variant=${variant} contradicts the variant in '${loaded.specifier}'; give one of them`);
    return;
  }
  if (loaded.workload.variants !== undefined) checkVariant(loaded.specifier, loaded.workload, variant);
}
