/**
 * Interception of the built-in `node:fs` and `node:fs/promises` modules.
 *
 * Architecture: every routable function of the two module objects is replaced by a small router
 * that asks an `AsyncLocalStorage` which simulated node (if any) the current async context belongs
 * to. Inside `node.within(fn)` the call goes to that node's fs-shaped object (`node.fs`); outside
 * it goes to the original function untouched, so module loading, test runners and everything else
 * in the process keep using the real disk. After patching, `module.syncBuiltinESMExports()` makes
 * ESM imports (`import { writeFile } from 'node:fs/promises'`, `import fs from 'node:fs'`) see the
 * routers too.
 *
 * Why by hand: no npm package routes built-in fs per async context (memfs/unionfs/mock-fs replace
 * fs process-wide, which breaks module loading and cannot give three nodes three disks at once).
 *
 * Routers are created once per process and stay the same functions across installations: a
 * library that copies `fs` when it loads (graceful-fs does) while interception is installed keeps
 * routers that still follow the async context in every later simulation, and fall through to the
 * real functions outside any node's context. Uninstalling puts the exact original property
 * descriptors back.
 *
 * Routing never falls through to the real disk inside a node's context: a function the node's fs
 * does not offer throws (or, for `fs/promises`, rejects with) `ERR_UNSUPPORTED` naming it. Two
 * deliberate exceptions keep the process itself working inside `within`:
 * - calls on file descriptors 0, 1 and 2 (the process's stdio; `node.fs` numbers its fds from 3):
 *   `console.log` to a file or pipe writes through `fs.writeSync(1, ...)`;
 * - module loading: Node's loaders read modules through `fs`. `Module.prototype.require` and
 *   `Module._load` (CommonJS, also a dynamic `import()` of a CommonJS file on Node 20) leave the
 *   node's context while they load; where Node has `module.registerHooks` (22.15+, 23.5+), a
 *   resolve and a load hook do the same for the ESM loader, so a dynamic `import()` of any module
 *   not loaded yet reads the real disk. Without that API (Node 20, older 22) a dynamic `import()`
 *   of an ES module not loaded yet reads the simulated disk: load ES modules first.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';
import { StorageError } from '../interfaces/errors.js';

const require = createRequire(import.meta.url);
// The CommonJS module objects themselves: patching them is what `require` and ESM default/named
// imports (after syncBuiltinESMExports) observe.
const fsModule = require('node:fs') as Record<string | symbol, unknown>;
const promisesModule = require('node:fs/promises') as Record<string | symbol, unknown>;
/** The in-thread module hooks API (`module.registerHooks`, Node 22.15+ and 23.5+). */
type NextHook = (specifierOrUrl: string, context: unknown) => unknown;
type RegisterHooks = (hooks: {
  resolve?: (specifier: string, context: unknown, next: NextHook) => unknown;
  load?: (url: string, context: unknown, next: NextHook) => unknown;
}) => { deregister(): void };
const ModuleClass = require('node:module') as {
  prototype: { require: (this: unknown, id: string) => unknown }; _load?: unknown; registerHooks?: RegisterHooks;
};

/** The highest fd of the process's own stdio, which always means the real one. */
const STDIO_FD_MAX = 2;

/** What a routed call needs: the fs-shaped object of the node whose context is current. */
export interface FsRoute {
  /** Shown in errors (the node's name). */
  readonly label: string;
  /** The node's fs as of now (a restarted node has a fresh one). Must have `promises`. */
  fs(): object;
  /**
   * Changes whenever the node loses power or restarts. A timer set in this context fires only if
   * it is unchanged by then: a machine's timers die with its power. Absent: timers always fire.
   */
  generation?(): number;
}

const context = new AsyncLocalStorage<FsRoute>();

/** The route of the current async context, if any. */
export function currentRoute(): FsRoute | undefined {
  return context.getStore();
}

/** Runs `fn` with `route` as the current context; callbacks and continuations it starts inherit it. */
export function runInRoute<T>(route: FsRoute, fn: () => T): T {
  return context.run(route, fn);
}

/** Keys of `node:fs` that are routed: functions named like calls (not classes, not `_internal`). */
function routable(key: string, value: unknown): boolean {
  return typeof value === 'function' && /^[a-z]/.test(key);
}

function unsupported(route: FsRoute, name: string): StorageError {
  return new StorageError('ERR_UNSUPPORTED', `${name} is not supported on a simulated node's disk`, {
    operation: name, node: route.label,
  });
}

function lookup(route: FsRoute, promises: boolean, key: string): ((...args: unknown[]) => unknown) & { native?: unknown } | undefined {
  const target = route.fs() as Record<string, unknown>;
  const holder = promises ? target['promises'] as Record<string, unknown> | undefined : target;
  const fn = holder?.[key];
  return typeof fn === 'function' ? fn as (...args: unknown[]) => unknown : undefined;
}

/** Current originals, refreshed at each installation; routers call these outside any context. */
const originalFs = new Map<string, (...args: unknown[]) => unknown>();
const originalPromises = new Map<string, (...args: unknown[]) => unknown>();
const routersFs = new Map<string, (...args: unknown[]) => unknown>();
const routersPromises = new Map<string, (...args: unknown[]) => unknown>();

function callOriginal(map: Map<string, (...args: unknown[]) => unknown>, key: string, self: unknown, args: unknown[]): unknown {
  const original = map.get(key);
  if (original === undefined) throw new StorageError('ERR_INTERNAL', `fs.${key}: no original function recorded`, { operation: key });
  return Reflect.apply(original, self, args);
}

function makeFsRouter(key: string, original: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const name = `fs.${key}`;
  const router = function (this: unknown, ...args: unknown[]): unknown {
    const route = context.getStore();
    if (route === undefined) return callOriginal(originalFs, key, this, args);
    const first = args[0];
    if (typeof first === 'number' && first >= 0 && first <= STDIO_FD_MAX) return callOriginal(originalFs, key, this, args);
    const fn = lookup(route, false, key);
    if (fn === undefined) throw unsupported(route, name);
    // A node's fs may complete from a simulator event; binding keeps the callback on this node.
    const last = args.length - 1;
    if (last >= 0 && typeof args[last] === 'function' && !key.endsWith('Sync')) {
      args[last] = AsyncResource.bind(args[last] as (...a: unknown[]) => unknown);
    }
    return Reflect.apply(fn, route.fs(), args);
  };
  Object.defineProperty(router, 'name', { value: key });
  Object.defineProperty(router, 'length', { value: original.length });
  // Keep what util.promisify reads (the names of a callback's extra results: fs.read gives
  // { bytesRead, buffer }), but route the custom promisified form through the router.
  for (const symbol of Object.getOwnPropertySymbols(original)) {
    if (symbol === promisify.custom) {
      (router as unknown as Record<symbol, unknown>)[symbol] = (...args: unknown[]) =>
        new Promise((resolve) => { router(...args, resolve); });
    } else {
      (router as unknown as Record<symbol, unknown>)[symbol] = (original as unknown as Record<symbol, unknown>)[symbol];
    }
  }
  if (typeof (original as { native?: unknown }).native === 'function') {
    // fs.realpath.native / fs.realpathSync.native.
    const nativeRouter = function (this: unknown, ...args: unknown[]): unknown {
      const route = context.getStore();
      const current = originalFs.get(key) as { native?: (...a: unknown[]) => unknown } | undefined;
      if (route === undefined) return Reflect.apply(current?.native ?? (current as (...a: unknown[]) => unknown), this, args);
      const fn = lookup(route, false, key);
      if (fn === undefined) throw unsupported(route, `${name}.native`);
      const target = typeof fn.native === 'function' ? fn.native as (...a: unknown[]) => unknown : fn;
      const lastIndex = args.length - 1;
      if (lastIndex >= 0 && typeof args[lastIndex] === 'function') {
        args[lastIndex] = AsyncResource.bind(args[lastIndex] as (...a: unknown[]) => unknown);
      }
      return Reflect.apply(target, route.fs(), args);
    };
    Object.defineProperty(nativeRouter, 'name', { value: 'native' });
    (router as unknown as { native: unknown }).native = nativeRouter;
  }
  return router;
}

function makePromisesRouter(key: string, original: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const name = `fs.promises.${key}`;
  const router = function (this: unknown, ...args: unknown[]): unknown {
    const route = context.getStore();
    if (route === undefined) return callOriginal(originalPromises, key, this, args);
    const fn = lookup(route, true, key);
    if (fn === undefined) return Promise.reject(unsupported(route, name));
    return Reflect.apply(fn, (route.fs() as { promises: object }).promises, args);
  };
  Object.defineProperty(router, 'name', { value: key });
  Object.defineProperty(router, 'length', { value: original.length });
  for (const symbol of Object.getOwnPropertySymbols(original)) {
    if (symbol !== promisify.custom) {
      (router as unknown as Record<symbol, unknown>)[symbol] = (original as unknown as Record<symbol, unknown>)[symbol];
    }
  }
  return router;
}

/** Owner of the current installation, and the descriptors it replaced. */
let owner: object | undefined;
let savedFs: Map<string, PropertyDescriptor> | undefined;
let savedPromises: Map<string, PropertyDescriptor> | undefined;
let savedRequire: PropertyDescriptor | undefined;
let savedLoad: PropertyDescriptor | undefined;
let loaderHooks: { deregister(): void } | undefined;

/** Runs `fn` outside any node's context (module loading reads the real disk). */
function outsideRoute<T>(fn: () => T): T {
  return context.getStore() === undefined ? fn() : context.exit(fn);
}

/** `require` that loads with the real fs even when called inside a node's context. */
function makeRequireEscape(original: (this: unknown, id: string) => unknown): (this: unknown, id: string) => unknown {
  return function require(this: unknown, id: string): unknown {
    return outsideRoute(() => Reflect.apply(original, this, [id]));
  };
}

/** `Module._load` (the CommonJS loader's entry, also for `import()` of a CommonJS file), likewise. */
function makeLoadEscape(original: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  return function _load(this: unknown, ...args: unknown[]): unknown {
    return outsideRoute(() => Reflect.apply(original, this, args));
  };
}

/** True while some simulation holds the interception. */
export function interceptionOwner(): object | undefined {
  return owner;
}

function plan(
  moduleObject: Record<string | symbol, unknown>,
  select: (key: string, value: unknown) => boolean,
): Map<string, PropertyDescriptor> {
  const saved = new Map<string, PropertyDescriptor>();
  for (const key of Object.keys(moduleObject)) {
    const descriptor = Object.getOwnPropertyDescriptor(moduleObject, key);
    if (descriptor === undefined || !('value' in descriptor)) continue;
    if (!select(key, descriptor.value)) continue;
    if (descriptor.writable !== true && descriptor.configurable !== true) continue;
    saved.set(key, descriptor);
  }
  return saved;
}

/**
 * Installs the routers into `node:fs` and `node:fs/promises` on behalf of `who`. Throws
 * `ERR_INVALID_STATE` (and changes nothing) when an installation is already active, by anyone.
 */
export function installFsInterception(who: object): void {
  if (owner !== undefined) {
    throw new StorageError('ERR_INVALID_STATE',
      owner === who
        ? 'fs interception is already installed by this simulation'
        : 'fs interception is already installed by another simulation (close it first: one intercepting simulation at a time)',
      { operation: 'intercept' });
  }
  const fsPlan = plan(fsModule, routable);
  const promisesPlan = plan(promisesModule, (_key, value) => typeof value === 'function');
  for (const [key, descriptor] of fsPlan) {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    if (routersFs.has(key) && original === routersFs.get(key)) continue;
    originalFs.set(key, original);
    if (!routersFs.has(key)) routersFs.set(key, makeFsRouter(key, original));
  }
  for (const [key, descriptor] of promisesPlan) {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    if (routersPromises.has(key) && original === routersPromises.get(key)) continue;
    originalPromises.set(key, original);
    if (!routersPromises.has(key)) routersPromises.set(key, makePromisesRouter(key, original));
  }
  for (const [key, descriptor] of fsPlan) {
    Object.defineProperty(fsModule, key, { ...descriptor, value: routersFs.get(key) });
  }
  for (const [key, descriptor] of promisesPlan) {
    Object.defineProperty(promisesModule, key, { ...descriptor, value: routersPromises.get(key) });
  }
  savedRequire = Object.getOwnPropertyDescriptor(ModuleClass.prototype, 'require');
  if (savedRequire !== undefined && typeof savedRequire.value === 'function') {
    Object.defineProperty(ModuleClass.prototype, 'require', { ...savedRequire, value: makeRequireEscape(savedRequire.value as (this: unknown, id: string) => unknown) });
  }
  savedLoad = Object.getOwnPropertyDescriptor(ModuleClass, '_load');
  if (savedLoad !== undefined && typeof savedLoad.value === 'function' && savedLoad.writable === true) {
    Object.defineProperty(ModuleClass, '_load', { ...savedLoad, value: makeLoadEscape(savedLoad.value as (...args: unknown[]) => unknown) });
  } else savedLoad = undefined;
  loaderHooks = ModuleClass.registerHooks?.({
    resolve: (specifier, loadContext, next) => outsideRoute(() => next(specifier, loadContext)),
    load: (url, loadContext, next) => outsideRoute(() => next(url, loadContext)),
  });
  owner = who;
  savedFs = fsPlan;
  savedPromises = promisesPlan;
  syncBuiltinESMExports();
}

/** Puts back exactly what {@link installFsInterception} replaced. Does nothing unless `who` owns it. */
export function uninstallFsInterception(who: object): void {
  if (owner !== who) return;
  for (const [key, descriptor] of savedFs ?? []) Object.defineProperty(fsModule, key, descriptor);
  for (const [key, descriptor] of savedPromises ?? []) Object.defineProperty(promisesModule, key, descriptor);
  if (savedRequire !== undefined) Object.defineProperty(ModuleClass.prototype, 'require', savedRequire);
  if (savedLoad !== undefined) Object.defineProperty(ModuleClass, '_load', savedLoad);
  loaderHooks?.deregister();
  loaderHooks = undefined;
  savedRequire = undefined;
  savedLoad = undefined;
  owner = undefined;
  savedFs = undefined;
  savedPromises = undefined;
  syncBuiltinESMExports();
}
