/**
 * How FsIo turns a normalized Io path into a path its fs module can act on, confined to the root
 * under one rule on every backend (the kernel's RESOLVE_BENEATH): symbolic links are followed
 * while they stay inside the root; an absolute link target (even one naming a place inside the
 * root) and any `..` that would climb above the root are `ERR_PATH_ESCAPE`; more than 40 links in
 * one resolution is `ELOOP`.
 *
 * Two implementations:
 *
 * - {@link KernelResolver} (Linux, real node:fs, native addon built, /proc mounted): the kernel
 *   enforces the rule. The parent directory (or the whole path) is opened O_PATH with openat2
 *   (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to an O_PATH fd of the root; the operation
 *   then runs through the fs module on `/proc/self/fd/N/<name>`, so data and namespace calls stay
 *   on libuv's thread pool. The directory is pinned by its fd: a component swapped for a link
 *   after the lookup cannot redirect the operation, so there is no check-then-use window. It also
 *   keeps the paths handed to the module short, so relative paths up to PATH_MAX work even under a
 *   long root.
 * - {@link WalkResolver} (custom fs modules such as memfs, or no addon, or no /proc): the same
 *   rule applied in JS, one lstat (and readlink for links) per component through the module. A
 *   process that swaps a checked directory for a link between the walk and the operation can
 *   still redirect it (documented TOCTOU window); paths are absolute, so a root plus a relative
 *   path longer than PATH_MAX fails with `ENAMETOOLONG` on node:fs.
 */
import * as nodeFs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { StorageError } from '../../interfaces/errors.js';
import { baseName, parentPath } from '../../interfaces/validate.js';
import type { FsLike, FsStatsLike } from './fs-like.js';
import { mapFsError, osError } from './errors.js';
import { loadBinding } from '../../native/binding.js';

/** A path to hand the fs module for one operation; `release` once the operation has settled. */
export interface ResolvedPath {
  readonly path: string;
  /**
   * The path ends in a `/proc/self/fd/N` magic link naming the resolved object itself (a `full`
   * resolution by the kernel): it must be opened without O_NOFOLLOW.
   */
  readonly magic: boolean;
  release(): void;
}

/** See the file header. */
export interface PathResolver {
  /** `'kernel'` or `'walk'` (for tests and diagnostics). */
  readonly kind: 'kernel' | 'walk';
  /**
   * The path's parent resolved (it must be a directory: `ENOTDIR`/`ENOENT` otherwise), its last
   * component left as it is (never followed): what rename, unlink, mkdir, rmdir and a
   * non-following open act on. `path` must not be `'.'`.
   */
  entry(operation: string, path: string): Promise<ResolvedPath>;
  /** Every component followed; with `directory`, the result must be a directory (`ENOTDIR`). */
  full(operation: string, path: string, directory: boolean): Promise<ResolvedPath>;
  /** Frees what the resolver holds (the root fd). */
  close(): void;
}

const NOTHING_TO_RELEASE = (): void => undefined;
const LINKS_MAX = 40;

function escape(operation: string, path: string): StorageError {
  return new StorageError('ERR_PATH_ESCAPE', `${operation}: path resolves outside the root`, { operation, path });
}

// ---- kernel ----------------------------------------------------------------------------------

/** Linux's O_PATH on the architectures whose fcntl.h uses the generic value. */
const O_PATH_GENERIC = 0o10000000;
const GENERIC_ARCHES: ReadonlySet<string> = new Set(['x64', 'arm64', 'arm', 'ia32', 'riscv64', 'ppc64', 's390x', 'loong64', 'mips', 'mipsel']);
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_BENEATH = 0x08;
const RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(osConstants.errno).map(([name, value]) => [value, name]));

type OpenBeneath = (dirFd: number, path: string, flags: number, mode: number, resolve: number) => number;

/** The kernel resolver's requirements, or why it cannot be used (then the walk is used). */
export function kernelResolverSupport(custom: boolean): { readonly openBeneath: OpenBeneath } | { readonly reason: string } {
  if (custom) return { reason: 'a custom fs module does not resolve paths through the kernel' };
  if (process.platform !== 'linux') return { reason: `openat2 is Linux-only (platform: ${process.platform})` };
  if (!GENERIC_ARCHES.has(process.arch)) return { reason: `the value of O_PATH is not known for the ${process.arch} architecture` };
  const load = loadBinding();
  if (!load.ok) return { reason: `the native addon is not loadable (${load.reason})` };
  const openBeneath = load.binding.openBeneath;
  if (openBeneath === undefined) return { reason: 'the native addon has no openBeneath' };
  return { openBeneath: openBeneath.bind(load.binding) };
}

/** See the file header. Construct with {@link KernelResolver.open}. */
export class KernelResolver implements PathResolver {
  readonly kind = 'kernel' as const;
  private closed = false;

  private constructor(private readonly rootFd: number, private readonly openBeneath: OpenBeneath) {}

  /**
   * Opens the root O_PATH and checks that `/proc/self/fd` reaches it; `undefined` (with the
   * reason) when the kernel lacks openat2 or /proc is not mounted.
   */
  static open(rootReal: string, openBeneath: OpenBeneath): KernelResolver | string {
    let rootFd: number;
    try {
      rootFd = nodeFs.openSync(rootReal, O_PATH_GENERIC | nodeFs.constants.O_DIRECTORY);
    } catch (err) {
      return `the root cannot be opened O_PATH (${(err as { code?: string }).code ?? String(err)})`;
    }
    const resolver = new KernelResolver(rootFd, openBeneath);
    const probe = openBeneath(rootFd, '.', O_PATH_GENERIC | nodeFs.constants.O_DIRECTORY, 0, RESOLVE);
    if (probe < 0) {
      resolver.close();
      return `openat2 with RESOLVE_BENEATH failed (${ERRNO_NAMES.get(-probe) ?? String(-probe)}; Linux 5.6+ is needed)`;
    }
    nodeFs.closeSync(probe);
    try {
      if (!nodeFs.statSync(`/proc/self/fd/${rootFd}`).isDirectory()) throw new Error('not a directory');
    } catch {
      resolver.close();
      return '/proc is not mounted (FsIo reaches kernel-resolved directories through /proc/self/fd)';
    }
    return resolver;
  }

  /** openat2 beneath the root with the real `flags` (on the calling thread); the fd or an error. */
  openFull(operation: string, path: string, flags: number, mode: number): number {
    return this.openOrThrow(operation, path, flags, mode);
  }

  entry(operation: string, path: string): Promise<ResolvedPath> {
    const parent = parentPath(path);
    const name = baseName(path);
    if (parent === '.') return Promise.resolve({ path: `/proc/self/fd/${this.rootFd}/${name}`, magic: false, release: NOTHING_TO_RELEASE });
    return this.resolved(operation, parent, true, `/${name}`, path);
  }

  full(operation: string, path: string, directory: boolean): Promise<ResolvedPath> {
    if (path === '.') return Promise.resolve({ path: `/proc/self/fd/${this.rootFd}`, magic: true, release: NOTHING_TO_RELEASE });
    return this.resolved(operation, path, directory, '', path);
  }

  private resolved(operation: string, target: string, directory: boolean, suffix: string, path: string): Promise<ResolvedPath> {
    try {
      const fd = this.openOrThrow(operation, target, O_PATH_GENERIC | (directory ? nodeFs.constants.O_DIRECTORY : 0), 0, path);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        nodeFs.closeSync(fd);
      };
      return Promise.resolve({ path: `/proc/self/fd/${fd}${suffix}`, magic: suffix === '', release });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private openOrThrow(operation: string, target: string, flags: number, mode: number, path = target): number {
    if (this.closed) throw new StorageError('ERR_CLOSED', `${operation}: the Io is shut down`, { operation, path });
    const result = this.openBeneath(this.rootFd, target, flags, mode, RESOLVE);
    if (result >= 0) return result;
    const name = ERRNO_NAMES.get(-result) ?? 'EIO';
    // RESOLVE_BENEATH reports every escape (absolute link, `..` above the root) as EXDEV.
    if (name === 'EXDEV') throw escape(operation, path);
    throw mapFsError({ code: name, errno: -result }, operation, { path });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    nodeFs.closeSync(this.rootFd);
  }
}

// ---- walk ------------------------------------------------------------------------------------

type Callback<T> = (err?: unknown, value?: T) => void;

function call<T>(operation: string, path: string, invoke: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      invoke((err, value) => (err ? reject(mapFsError(err, operation, { path })) : resolve(value as T)));
    } catch (err) {
      reject(mapFsError(err, operation, { path }));
    }
  });
}

function nameString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  return String(value);
}

/** Where a walk ended. `missing`: the last component does not exist (only with `allowMissing`). */
export interface WalkResult {
  readonly absolute: string;
  readonly missing: boolean;
}

/** See the file header. */
export class WalkResolver implements PathResolver {
  readonly kind = 'walk' as const;
  private readonly rootPrefix: string;

  constructor(private readonly fs: FsLike, private readonly rootReal: string) {
    this.rootPrefix = rootReal.endsWith('/') ? rootReal : `${rootReal}/`;
  }

  async entry(operation: string, path: string): Promise<ResolvedPath> {
    const parent = parentPath(path);
    const parentAbsolute = parent === '.' ? this.rootReal : (await this.walk(operation, parent, true, false)).absolute;
    const prefix = parentAbsolute.endsWith('/') ? parentAbsolute : `${parentAbsolute}/`;
    return { path: prefix + baseName(path), magic: false, release: NOTHING_TO_RELEASE };
  }

  async full(operation: string, path: string, directory: boolean): Promise<ResolvedPath> {
    const result = await this.walk(operation, path, directory, false);
    return { path: result.absolute, magic: false, release: NOTHING_TO_RELEASE };
  }

  /**
   * Resolves `path` component by component under the rule in the file header. With
   * `allowMissing`, a missing last component (after following links) is not an error: the result
   * names where it would be created.
   */
  async walk(operation: string, path: string, directory: boolean, allowMissing: boolean): Promise<WalkResult> {
    const pending = path === '.' ? [] : path.split('/').reverse();
    const done: string[] = [];
    let linkCount = 0;
    let last: FsStatsLike | undefined;
    // Bounded: each step consumes a component, and links (which add components) are at most LINKS_MAX.
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (done.length === 0) throw escape(operation, path);
        done.pop();
        last = undefined;
        continue;
      }
      const absolute = this.rootPrefix + [...done, name].join('/');
      let st: FsStatsLike;
      try {
        st = await call<FsStatsLike>(operation, path, (cb) => this.fs.lstat(absolute, cb));
      } catch (err) {
        if (err instanceof StorageError && err.code === 'ENOENT' && allowMissing && pending.every((p) => p === '' || p === '.')) {
          return { absolute, missing: true };
        }
        throw err;
      }
      if (st.isSymbolicLink()) {
        linkCount += 1;
        if (linkCount > LINKS_MAX) throw osError('ELOOP', operation, { path });
        const target = nameString(await call<string | Uint8Array>(operation, path, (cb) => this.fs.readlink(absolute, cb)));
        if (target.startsWith('/')) throw escape(operation, path);
        if (target === '') throw osError('ENOENT', operation, { path });
        const parts = target.split('/');
        for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i] as string);
        continue;
      }
      if (pending.some((p) => p !== '' && p !== '.') && !st.isDirectory()) throw osError('ENOTDIR', operation, { path });
      done.push(name);
      last = st;
    }
    const absolute = done.length === 0 ? this.rootReal : this.rootPrefix + done.join('/');
    if (directory) {
      const st = last ?? await call<FsStatsLike>(operation, path, (cb) => this.fs.lstat(absolute, cb));
      if (!st.isDirectory()) throw osError('ENOTDIR', operation, { path });
    }
    return { absolute, missing: false };
  }

  close(): void {
    // Holds nothing.
  }
}
