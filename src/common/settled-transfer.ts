/**
 * Optional, internal fast paths of a backend's `read` and `write`, outside the Io contract.
 *
 * Why: a backend's `read`/`write` may be an async method only so that an error made at completion (where
 * no caller frame exists) is made again once `read` resumes, and so carries the caller's stack
 * (UringIo does this). That frame costs about 0.2 µs per read (measured on cached 4 KiB reads at
 * 64 in flight: 1.83 → 1.62 µs of CPU per read) and helps no caller that settles the read
 * through `then` rather than `await`, such as Storage's hot paths: a `then` reaction has no async
 * stack to restore. Such callers ask for these methods and fall back to `read`/`write` when a
 * backend has none.
 *
 * Each method behaves exactly as its public twin (same checks, result, error codes, messages and
 * details, same metrics); only the stack of a completion error differs.
 */
import type { Io } from '../interfaces/io.js';

export const settledRead: unique symbol = Symbol('faultline.settledRead');
export const settledWrite: unique symbol = Symbol('faultline.settledWrite');

/** A read or a write: fd, buffer, offset; resolves with the count transferred. */
export type Transfer = (fd: number, buffer: Uint8Array, offsetBytes: number) => Promise<number>;

export interface SettledTransfer {
  [settledRead]: Transfer;
  [settledWrite]: Transfer;
}

/** `io`'s settled read when it has one, else its `read` (either bound to `io`). */
export function settledReadOf(io: Io): Transfer {
  const own = (io as Partial<SettledTransfer>)[settledRead];
  return typeof own === 'function' ? own.bind(io) : io.read.bind(io);
}

/** `io`'s settled write when it has one, else its `write` (either bound to `io`). */
export function settledWriteOf(io: Io): Transfer {
  const own = (io as Partial<SettledTransfer>)[settledWrite];
  return typeof own === 'function' ? own.bind(io) : io.write.bind(io);
}
