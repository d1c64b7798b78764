/**
 * One `node.fs`'s state and the three ways it runs an operation: synchronously (throws),
 * as a promise, or with a Node-style callback. Each reads the host's Io at the call, so after a
 * restart new calls reach the restarted disk while fds from before are dead.
 */
import type { FsHost, SyncCapableIo } from '../interfaces/namespace-io.js';
import { Operations, runAsync, runSync, type Op } from './operations.js';

export type Callback = (...args: unknown[]) => void;

export class FsContext {
  readonly ops: Operations;

  constructor(readonly host: FsHost) {
    this.ops = new Operations(() => host.random());
  }

  sync<T>(make: (io: SyncCapableIo) => Op<T>): T {
    const io = this.host.io;
    return runSync(io, make(io));
  }

  promise<T>(make: (io: SyncCapableIo) => Op<T>): Promise<T> {
    const io = this.host.io;
    return runAsync(io, make(io));
  }

  /**
   * Runs the operation and calls `cb(null, ...deliver(value))` or `cb(err)`. A callback that
   * throws is an uncaught exception, as with `node:fs`.
   */
  callback<T>(cb: Callback, make: (io: SyncCapableIo) => Op<T>, deliver?: (value: T) => unknown[]): void {
    this.promise(make).then(
      (value) => { if (deliver === undefined) cb(null, value); else cb(null, ...deliver(value)); },
      (err: unknown) => { cb(err); },
    ).catch((err: unknown) => { process.nextTick(() => { throw err; }); });
  }
}
