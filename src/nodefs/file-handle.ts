/**
 * `fs.promises` FileHandle on a simulated disk: a facade fd with Node's FileHandle methods. After
 * `close()` its `fd` is -1 and every method rejects with `EBADF`, as Node's does; a handle from
 * before a restart is dead the same way.
 */
import type * as fs from 'node:fs';
import { checkBoolean, checkId, checkInteger, checkMode, checkOptions, checkTime } from './args.js';
import { LINE } from './node-line.js';
import type { FsContext } from './context.js';
import { systemError, unsupported } from './errors.js';
import { viewBytes } from './args.js';
import { buffersArg, checkWriteFileView, dataArg, fileHandleReadArgs, loosePosition, writeArgs } from './rw-args.js';
import { statsFor, type BigIntStats } from './stats.js';
import { intrinsicByteLength } from '../interfaces/validate.js';

/** Builds read/write streams bound to this facade (provided by `createNodeFs`). */
export interface StreamFactory {
  createReadStream(path: unknown, options: unknown): fs.ReadStream;
  createWriteStream(path: unknown, options: unknown): fs.WriteStream;
}

export class FileHandle {
  private fdNumber: number;

  /** @internal Made by `promises.open`. */
  constructor(private readonly ctx: FsContext, fd: number, private readonly streams: StreamFactory) {
    this.fdNumber = fd;
  }

  /** The facade fd, or -1 once closed. */
  get fd(): number {
    return this.fdNumber;
  }

  private live(syscall: string): number {
    if (this.fdNumber < 0) throw systemError('EBADF', syscall);
    return this.fdNumber;
  }

  private guard(syscall: string): Promise<never> | undefined {
    return this.fdNumber < 0 ? Promise.reject(systemError('EBADF', syscall)) : undefined;
  }

  // read and write return the Io's promise chained once (no async wrapper): they are the hot path
  // of FileHandle I/O. Argument errors still reject, as from Node's async methods.
  read(bufferOrOptions?: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<{ bytesRead: number; buffer: unknown }> {
    let args;
    try {
      if (this.fdNumber < 0) throw systemError('EBADF', 'read');
      args = fileHandleReadArgs(bufferOrOptions, offsetOrOptions, length, position);
    } catch (err) {
      return Promise.reject(err);
    }
    const buffer = args.buffer;
    if (intrinsicByteLength(args.target) === 0) return Promise.resolve({ bytesRead: 0, buffer });
    return this.ctx.ops.readResult(this.ctx.host.io, this.fdNumber, args.target, args.position, buffer);
  }

  write(buffer: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<{ bytesWritten: number; buffer: unknown }> {
    let args;
    try {
      if (this.fdNumber < 0) throw systemError('EBADF', 'write');
      // Node's first step: an empty (or detached) buffer writes nothing, whatever else is given.
      if (ArrayBuffer.isView(buffer) && viewBytes(buffer, true).byteLength === 0) return Promise.resolve({ bytesWritten: 0, buffer });
      args = writeArgs(buffer, offsetOrOptions, length, position);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.ctx.ops.writeResult(this.ctx.host.io, this.fdNumber, args.data, args.position, buffer);
  }

  async readv(buffers: unknown, position?: unknown): Promise<{ bytesRead: number; buffers: Uint8Array[] }> {
    const closed = this.guard('read');
    if (closed !== undefined) return closed;
    const list = buffersArg(buffers);
    const at = loosePosition(position);
    // An empty list is libuv's EINVAL.
    if (list.length === 0) throw systemError('EINVAL', 'read');
    const fd = this.fdNumber;
    const bytesRead = await this.ctx.promise((io) => this.ctx.ops.readv(io, fd, list, at));
    return { bytesRead, buffers: buffers as Uint8Array[] };
  }

  async writev(buffers: unknown, position?: unknown): Promise<{ bytesWritten: number; buffers: Uint8Array[] }> {
    const closed = this.guard('write');
    if (closed !== undefined) return closed;
    const list = buffersArg(buffers);
    const at = loosePosition(position);
    if (list.length === 0) return { bytesWritten: 0, buffers: buffers as Uint8Array[] };
    const fd = this.fdNumber;
    const bytesWritten = await this.ctx.promise((io) => this.ctx.ops.writev(io, fd, list, at));
    return { bytesWritten, buffers: buffers as Uint8Array[] };
  }

  async sync(): Promise<void> {
    const fd = this.live('fsync');
    return await this.ctx.promise((io) => this.ctx.ops.fsync(io, fd, false));
  }

  async datasync(): Promise<void> {
    const fd = this.live('fdatasync');
    return await this.ctx.promise((io) => this.ctx.ops.fsync(io, fd, true));
  }

  async truncate(len: unknown = 0): Promise<void> {
    const fd = this.live('ftruncate');
    // Node's validateInteger(len, 'len'), then MathMax(0, len).
    const length = Math.max(0, checkInteger(len, 'len'));
    return await this.ctx.promise((io) => this.ctx.ops.ftruncate(io, fd, length));
  }

  async stat(options?: { bigint?: boolean }): Promise<fs.Stats | BigIntStats> {
    const fd = this.live('fstat');
    const st = await this.ctx.promise((io) => this.ctx.ops.fstat(io, fd));
    return statsFor(st, options?.bigint === true);
  }

  async readFile(options?: unknown): Promise<Buffer | string> {
    const fd = this.live('read');
    const o = checkOptions(options, { encoding: null as BufferEncoding | 'buffer' | null });
    const data = await this.ctx.promise((io) => this.ctx.ops.readAll(io, fd));
    // As Node: a falsy encoding gives the Buffer; 'buffer' is ERR_UNKNOWN_ENCODING.
    return o.encoding ? data.toString(o.encoding as BufferEncoding) : data;
  }

  async writeFile(data: unknown, options?: unknown): Promise<void> {
    const fd = this.live('write');
    const o = checkOptions(options, { encoding: 'utf8' as BufferEncoding, flush: false, mode: 0o666 as unknown });
    const flush = checkBoolean(o.flush ?? false, 'options.flush');
    // Node 26's writeFile checks the mode whatever it writes to (FsLine.writeFileModeFirst).
    if (LINE.writeFileModeFirst) checkMode(o.mode, 0o666);
    const bytes = dataArg(data, o.encoding);
    // Node rebuilds a view before writing: a detached one is the engine's TypeError.
    checkWriteFileView(data);
    return await this.ctx.promise((io) => this.ctx.ops.writeFile(io, fd, bytes, 0, 0, flush));
  }

  async appendFile(data: unknown, options?: unknown): Promise<void> {
    return await this.writeFile(data, options);
  }

  async chmod(mode: unknown): Promise<void> {
    const fd = this.live('fchmod');
    const bits = checkMode(mode, 0) & 0o7777;
    return await this.ctx.promise((io) => this.ctx.ops.fsetattr(io, fd, { mode: bits }, 'fchmod'));
  }

  async chown(uid: unknown, gid: unknown): Promise<void> {
    const fd = this.live('fchown');
    const change = { uid: checkId(uid, 'uid'), gid: checkId(gid, 'gid') };
    return await this.ctx.promise((io) => this.ctx.ops.fsetattr(io, fd, change, 'fchown'));
  }

  async utimes(atime: unknown, mtime: unknown): Promise<void> {
    const fd = this.live('futime');
    const a = checkTime(atime, 'atime');
    const m = checkTime(mtime, 'mtime');
    return await this.ctx.promise((io) => this.ctx.ops.fsetattr(io, fd, { atimeMs: a ?? io.clock.now(), mtimeMs: m ?? io.clock.now() }, 'futime'));
  }

  async close(): Promise<void> {
    if (this.fdNumber < 0) return;
    const fd = this.fdNumber;
    this.fdNumber = -1;
    await this.ctx.promise((io) => this.ctx.ops.close(io, fd));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  createReadStream(options?: Record<string, unknown>): fs.ReadStream {
    return this.streams.createReadStream(null, { ...options, fd: this.fdNumber });
  }

  createWriteStream(options?: Record<string, unknown>): fs.WriteStream {
    return this.streams.createWriteStream(null, { ...options, fd: this.fdNumber });
  }

  readLines(): never { throw unsupported('FileHandle.readLines'); }
  readableWebStream(): never { throw unsupported('FileHandle.readableWebStream'); }
}
