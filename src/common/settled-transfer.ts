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
 *
 * Checked calls: a caller that has just checked the buffer (or list) and the offset itself,
 * through the intrinsic helpers of `interfaces/validate.ts`, in the same synchronous call (so no
 * caller code ran in between: no getter, trap or detach can have changed what it checked), passes
 * the length it found (for a list, its snapshot) as the last argument, and the backend skips those
 * checks. Everything else (whether the Io and the fd are usable, the result, errors and metrics)
 * is as without it. Storage does this: its hot paths checked their arguments once already, and the
 * second pass cost about a twentieth of a 4 KiB read answered from the page cache.
 */
import type { Io } from '../interfaces/io.js';
import type { BufferListSnapshot } from '../interfaces/validate.js';

export const settledRead: unique symbol = Symbol('faultline.settledRead');
export const settledWrite: unique symbol = Symbol('faultline.settledWrite');
export const settledWritev: unique symbol = Symbol('faultline.settledWritev');

/**
 * A read or a write: fd, buffer, offset; resolves with the count transferred, or returns the count
 * itself when the transfer is complete already (a read's bytes in place, a write's in the file).
 */
export type SettledTransferFn = (fd: number, buffer: Uint8Array, offsetBytes: number, checkedLengthBytes?: number) => Promise<number> | number;

/** A writev, as {@link SettledTransferFn}; a checked call passes the list's snapshot (plain views, lengths and total). */
export type SettledVectorTransferFn = (fd: number, buffers: readonly Uint8Array[], offsetBytes: number, checked?: BufferListSnapshot) => Promise<number> | number;

export interface SettledTransfer {
  [settledRead]: SettledTransferFn;
  [settledWrite]: SettledTransferFn;
  [settledWritev]: SettledVectorTransferFn;
}

// The fallbacks pass the public call's three arguments only: the checked call's extra argument is
// this module's, and an Io that is not ours never sees it.

/** `io`'s settled read when it has one (bound to `io`), else its `read`. */
export function settledReadOf(io: Io): SettledTransferFn {
  const own = (io as Partial<SettledTransfer>)[settledRead];
  return typeof own === 'function' ? own.bind(io) : (fd, buffer, offsetBytes) => io.read(fd, buffer, offsetBytes);
}

/** `io`'s settled write when it has one (bound to `io`), else its `write`. */
export function settledWriteOf(io: Io): SettledTransferFn {
  const own = (io as Partial<SettledTransfer>)[settledWrite];
  return typeof own === 'function' ? own.bind(io) : (fd, buffer, offsetBytes) => io.write(fd, buffer, offsetBytes);
}

/** `io`'s settled writev when it has one (bound to `io`), else its `writev`. */
export function settledWritevOf(io: Io): SettledVectorTransferFn {
  const own = (io as Partial<SettledTransfer>)[settledWritev];
  return typeof own === 'function' ? own.bind(io) : (fd, buffers, offsetBytes) => io.writev(fd, buffers, offsetBytes);
}
