/** Helpers shared by the scratch tests. */
import { expect } from 'chai';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import { patternBytes as conformancePatternBytes } from '../conformance/storage-suite.js';

/** Deterministic pseudo-random bytes: distinct seeds give distinct contents (the conformance suites' generator). */
export function patternBytes(seed: number, lengthBytes: number): Uint8Array {
  return conformancePatternBytes(lengthBytes, seed);
}

/** A tiny deterministic generator for test schedules. */
export class TestRng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x12345678;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  /** An integer in [0, bound). */
  below(bound: number): number {
    return this.next() % bound;
  }
}

/** The StorageError code a promise rejects with; fails the test if it resolves. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
  expect.fail('expected a rejection');
}

/** The code of a StorageError; anything else is thrown again, so a raw error fails the test as itself. */
export function errorCode(err: unknown): string {
  if (err instanceof StorageError) return err.code;
  throw err;
}

/** The StorageError code a call throws synchronously; fails the test if it does not throw. */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
  expect.fail('expected a throw');
}

/** An Io to run the region suite on, and how to dispose of it. */
export interface ScratchHarness {
  readonly io: Io;
  /** False when the root's file system refuses O_DIRECT (tmpfs): regions then fall back to buffered. */
  readonly directWorks?: boolean;
  /** Runs a test body where the Io makes progress (a simulation's `run`); default: directly. */
  readonly run?: (body: () => Promise<void>) => Promise<void>;
  /** Shuts the Io down and removes whatever the harness created. */
  dispose(): Promise<void>;
}

/** Makes a fresh harness for one test. */
export type ScratchHarnessFactory = () => Promise<ScratchHarness>;

/** True when `code` is `ENOENT` for `io.readdir`-style lookups of a missing directory. */
export async function listOrEmpty(io: Io, directory: string): Promise<string[]> {
  try {
    return await io.readdir(directory);
  } catch (err) {
    if (err instanceof StorageError && err.code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Wraps `io` so that reads wait until `open()` is called: a read can then be held in flight while
 * the test does other things, deterministically on any backend.
 */
export function withGatedReads(io: Io): { readonly io: Io; open(): void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const wrapped = new Proxy(io, {
    get(target, property, receiver) {
      if (property === 'read') {
        return async (fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> => {
          await gate;
          return target.read(fd, buffer, offsetBytes);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { io: wrapped, open: () => release() };
}

/** Whether a file under `io`'s root can be opened with O_DIRECT (false on tmpfs, or without support). */
export async function probeDirect(io: Io): Promise<boolean> {
  if (!io.features.direct) return false;
  try {
    const fd = await io.open('.direct-probe', { write: true, create: true, direct: true });
    await io.close(fd);
    return true;
  } catch (err) {
    if (err instanceof StorageError && err.code === 'EINVAL') return false;
    throw err;
  } finally {
    await io.unlink('.direct-probe').catch(() => undefined);
  }
}
