/**
 * `fs.Dir` (from `opendir`) on a simulated disk. The names are listed when the directory is
 * opened (one readdir); each `read()` describes the next entry with an lstat, so an entry removed
 * meanwhile is skipped, as a real directory stream may do.
 */
import type * as fs from 'node:fs';
import type { FsContext } from './context.js';
import { toNodeError } from './errors.js';
import { checkCallback } from './args.js';
import { toDirent } from './stats.js';
import type { InodeStat } from '../interfaces/namespace-io.js';

function dirClosed(): Error {
  const err = new Error('Directory handle was closed');
  Object.defineProperty(err, 'code', { value: 'ERR_DIR_CLOSED', enumerable: true });
  return err;
}

export class Dir {
  private index = 0;
  private closed = false;

  /** @internal Made by `opendir`. */
  constructor(private readonly ctx: FsContext, readonly path: string, private readonly ioPath: string, private readonly names: readonly string[]) {}

  private shown(name: string): string {
    return `${this.path.replace(/\/+$/, '')}/${name}`;
  }

  private child(name: string): string {
    return this.ioPath === '.' ? name : `${this.ioPath}/${name}`;
  }

  readSync(): fs.Dirent | null {
    if (this.closed) throw dirClosed();
    while (this.index < this.names.length) {
      const name = this.names[this.index++] as string;
      const io = this.ctx.host.io;
      let st: InodeStat;
      try {
        st = io.sync.statFull(this.child(name), { follow: false });
      } catch (err) {
        // An entry removed since the listing is skipped; anything else (a crash) is reported.
        if ((err as { code?: string }).code === 'ENOENT') continue;
        throw toNodeError(err, 'lstat', this.shown(name));
      }
      return toDirent(name, st, this.path);
    }
    return null;
  }

  read(): Promise<fs.Dirent | null>;
  read(cb: (err: unknown, entry?: fs.Dirent | null) => void): void;
  read(cb?: (err: unknown, entry?: fs.Dirent | null) => void): Promise<fs.Dirent | null> | void {
    const promise = this.readAsync();
    if (cb === undefined) return promise;
    checkCallback(cb);
    promise.then((entry) => cb(null, entry), (err: unknown) => cb(err));
  }

  private async readAsync(): Promise<fs.Dirent | null> {
    if (this.closed) throw dirClosed();
    while (this.index < this.names.length) {
      const name = this.names[this.index++] as string;
      const io = this.ctx.host.io;
      let st: InodeStat;
      try {
        st = await io.statFull(this.child(name), { follow: false });
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') continue;
        throw toNodeError(err, 'lstat', this.shown(name));
      }
      return toDirent(name, st, this.path);
    }
    return null;
  }

  closeSync(): void {
    if (this.closed) throw dirClosed();
    this.closed = true;
  }

  close(): Promise<void>;
  close(cb: (err: unknown) => void): void;
  close(cb?: (err: unknown) => void): Promise<void> | void {
    if (cb === undefined) {
      if (this.closed) return Promise.reject(dirClosed());
      this.closed = true;
      return Promise.resolve();
    }
    checkCallback(cb);
    const err = this.closed ? dirClosed() : null;
    this.closed = true;
    process.nextTick(() => cb(err));
  }

  async *entries(): AsyncGenerator<fs.Dirent> {
    try {
      for (;;) {
        const entry = await this.readAsync();
        if (entry === null) break;
        yield entry;
      }
    } finally {
      if (!this.closed) this.closed = true;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<fs.Dirent> {
    return this.entries();
  }
}
