/**
 * Loads faultline's own backends for the benchmark. They are imported lazily so the harness keeps
 * working (and says why) when a backend is missing, fails to build, or cannot start here: every
 * failure becomes {@link NotAvailable} with the cause.
 */
import type { Io } from '../../src/interfaces/io.js';
import type { Storage } from '../../src/interfaces/storage.js';
import { NotAvailable } from './driver.js';

/** Module locations, relative to this file both in `bench/drivers/` and in `dist/bench/drivers/`. */
const MODULES = {
  uring: '../../src/backends/iouring/index.js',
  fs: '../../src/backends/fs/index.js',
  storage: '../../src/storage/index.js',
  sim: '../../src/backends/sim/index.js',
} as const;

function reason(err: unknown): string {
  if (err instanceof NotAvailable) return err.message;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/** Codes meaning "cannot run here" rather than "broken": they make a gap in the report, not a failure. */
const UNAVAILABLE_CODES = new Set(['ERR_IOURING_UNAVAILABLE', 'ERR_UNSUPPORTED']);

async function load(which: keyof typeof MODULES): Promise<Record<string, unknown>> {
  const specifier = new URL(MODULES[which], import.meta.url).href;
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    // Absent (not built, not written yet) is a gap; a module that throws while loading is a bug.
    if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new NotAvailable(`faultline ${which} backend is not present (${reason(err)})`);
  }
}

/** Rethrows `err` as {@link NotAvailable} when it says the backend cannot run here. */
function startFailure(what: string, err: unknown): Error {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return new NotAvailable(`${what} cannot start here (${reason(err)})`);
  return err instanceof Error ? err : new Error(String(err));
}

function member<T>(module: Record<string, unknown>, name: string, which: string): T {
  const value = module[name];
  if (value === undefined) throw new NotAvailable(`faultline ${which} module has no export ${name}`);
  return value as T;
}

interface UringIoClass {
  new (options: { root: string; queueDepth: number }): Io;
  isSupported?(): boolean | { supported: boolean; reason?: string };
}

/** A UringIo on `rootPath` with `queueDepth` submission slots. */
export async function createUringIo(rootPath: string, queueDepth: number): Promise<Io> {
  const module = await load('uring');
  const UringIo = member<UringIoClass>(module, 'UringIo', 'iouring');
  if (typeof UringIo.isSupported === 'function') {
    const support = UringIo.isSupported();
    const ok = typeof support === 'boolean' ? support : support.supported;
    if (!ok) {
      const why = typeof support === 'object' && support.reason !== undefined ? support.reason : 'UringIo.isSupported() is false';
      throw new NotAvailable(`io_uring unavailable: ${why}`);
    }
  }
  try {
    return new UringIo({ root: rootPath, queueDepth: Math.max(queueDepth, 1) });
  } catch (err) {
    throw startFailure('UringIo', err);
  }
}

interface FsIoClass {
  new (options: { root: string; fs?: unknown }): Io;
}

/** An FsIo on `rootPath`, over node:fs or over `fsModule` (a memfs Volume). */
export async function createFsIo(rootPath: string, fsModule?: unknown): Promise<Io> {
  const module = await load('fs');
  const FsIo = member<FsIoClass>(module, 'FsIo', 'fs');
  try {
    return new FsIo(fsModule === undefined ? { root: rootPath } : { root: rootPath, fs: fsModule });
  } catch (err) {
    throw startFailure('FsIo', err);
  }
}

/** faultline's Storage over `io`. */
export async function createStorageOn(io: Io): Promise<Storage> {
  const module = await load('storage');
  const createStorage = member<(io: Io) => Storage | Promise<Storage>>(module, 'createStorage', 'storage');
  return await createStorage(io);
}

/** The simulator module (typed loosely: the sim workload checks what it uses). */
export async function loadSimulator(): Promise<Record<string, unknown>> {
  return load('sim');
}

export { reason as unavailableReason };
