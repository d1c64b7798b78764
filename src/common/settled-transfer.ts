/**
 * Optional, internal fast paths of a backend's `read` and `write`, outside the Io contract.
 *
 * Why: a backend's `read`/`write` may pass its promise through a rejection handler only so that
 * an error made at completion (where no caller frame exists) is made again with the caller's
 * stack (UringIo does this). That handler costs a promise and a reaction per operation and helps
 * no caller that makes its own errors, such as Storage's hot paths. Such callers ask for these
 * methods and fall back to `read`/`write` when a backend has none.
 *
 * Each method behaves exactly as its public twin (same checks, result, error codes, messages and
 * details, same metrics); only the stack of a completion error differs, and a settled read, write
 * or writev may return its count itself when it was done at the call (UringIo's `inlineReads` and
 * `inlineWrites`), which saves the caller a promise and a tick more.
 */
import type { Io } from '../interfaces/io.js';

export const settledRead: unique symbol = Symbol('faultline.settledRead');
export const settledWrite: unique symbol = Symbol('faultline.settledWrite');
export const settledWritev: unique symbol = Symbol('faultline.settledWritev');

/**
 * A read or a write: fd, buffer, offset; resolves with the count transferred, or returns the count
 * itself when the transfer is complete already (a read's bytes in place, a write's in the file).
 */
export type SettledTransferFn = (fd: number, buffer: Uint8Array, offsetBytes: number) => Promise<number> | number;

/** A writev, as {@link SettledTransferFn}. */
export type SettledVectorTransferFn = (fd: number, buffers: readonly Uint8Array[], offsetBytes: number) => Promise<number> | number;

export interface SettledTransfer {
  [settledRead]: SettledTransferFn;
  [settledWrite]: SettledTransferFn;
  [settledWritev]: SettledVectorTransferFn;
}

/** `io`'s settled read when it has one, else its `read` (either bound to `io`). */
export function settledReadOf(io: Io): SettledTransferFn {
  const own = (io as Partial<SettledTransfer>)[settledRead];
  return typeof own === 'function' ? own.bind(io) : io.read.bind(io);
}

/** `io`'s settled write when it has one, else its `write` (either bound to `io`). */
export function settledWriteOf(io: Io): SettledTransferFn {
  const own = (io as Partial<SettledTransfer>)[settledWrite];
  return typeof own === 'function' ? own.bind(io) : io.write.bind(io);
}

/** `io`'s settled writev when it has one, else its `writev` (either bound to `io`). */
export function settledWritevOf(io: Io): SettledVectorTransferFn {
  const own = (io as Partial<SettledTransfer>)[settledWritev];
  return typeof own === 'function' ? own.bind(io) : io.writev.bind(io);
}
