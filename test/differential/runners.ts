/**
 * The two sides of the differential test: the kernel, through plain node:fs `*Sync` calls on a
 * temporary directory, and any Io. Both turn an {@link Op} into a comparable {@link Outcome}.
 *
 * How the kernel is asked (and what is modelled where node:fs cannot ask it):
 * - Library rules come first on the kernel side too: an argument every backend must refuse before
 *   any system call (`..` or an absolute path, an offset past OFFSET_MAX_BYTES, bad open flags, a
 *   0-byte allocation) is answered by the shared checks of `validate.ts`, the ones the backends
 *   call. Everything else is the kernel's answer.
 * - `read` is `readvSync(fd, [buffer])`: libuv issues one buffer as pread, so a 0-byte read really
 *   reaches the kernel (node's `readSync` returns 0 before it asks).
 * - `readv` is `readvSync` with an empty buffer appended (two at least): libuv then issues preadv,
 *   as the backends do, so a 0-byte readv (no buffers, or empty ones) is the kernel's preadv answer
 *   (libuv refuses 0 buffers with EINVAL and would send 1 buffer as pread).
 * - `write`/`writev` likewise go through `writevSync` (pwrite for one buffer, pwritev for more).
 * - `allocate` (fallocate mode 0) is modelled: node:fs has no fallocate. The model is Linux's
 *   vfs_fallocate order: `EBADF` unless the fd is open for writing, `EFBIG` when the range ends
 *   past FILE_SIZE_MAX_BYTES, then the file grows to the range end (done with a real ftruncate).
 * - Paths are joined to the temporary directory as they are (no normalization), so trailing `/`
 *   and `/.` reach the kernel. The temporary directory must not be near PATH_MAX (it is not).
 */
import * as fs from 'node:fs';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io, OpenFlags } from '../../src/interfaces/io.js';
import { FILE_SIZE_MAX_BYTES } from '../../src/interfaces/limits.js';
import {
  checkAllocateRange, checkLength, checkOffset, checkOpenFlags, checkRangeEnd, parsePath,
} from '../../src/interfaces/validate.js';
import { mapFsError } from '../../src/backends/fs/errors.js';
import { FD_NOT_OPEN, fillBytes, type Op } from './ops.js';

/** What one operation gave: a value to compare, or an error code. */
export type Outcome = { readonly ok: unknown } | { readonly err: string };

/** The code of anything thrown: a StorageError's code, a node:fs errno name, or `THROWN <name>`. */
function codeOf(err: unknown): string {
  if (err instanceof StorageError) return err.code;
  const mapped = mapFsError(err, 'kernel');
  if (mapped.code !== 'ERR_INTERNAL') return mapped.code;
  return `THROWN ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
}

function hex(bytes: Uint8Array, countBytes: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, countBytes).toString('hex');
}

function concat(buffers: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))));
}

/** The library rules every backend applies before any system call (see the header). */
export function libraryRule(op: Op): void {
  switch (op.op) {
    case 'open': parsePath('open', op.path); checkOpenFlags('open', op.flags); return;
    case 'read': checkOffset('read', op.offsetBytes); return;
    case 'readv': checkOffset('readv', op.offsetBytes); return;
    case 'write': checkOffset('write', op.offsetBytes); checkRangeEnd('write', op.offsetBytes, op.lengthBytes); return;
    case 'writev': checkOffset('writev', op.offsetBytes); checkRangeEnd('writev', op.offsetBytes, op.lengthsBytes.reduce((a, b) => a + b, 0)); return;
    case 'truncate': checkLength('truncate', op.lengthBytes); return;
    case 'allocate': checkAllocateRange('allocate', op.offsetBytes, op.lengthBytes); return;
    case 'stat': parsePath('stat', op.path); return;
    case 'rename': parsePath('rename', op.from); parsePath('rename', op.to); return;
    case 'unlink': case 'mkdir': case 'rmdir': case 'readdir': parsePath(op.op, op.path); return;
    default: return;
  }
}

interface KernelSlot {
  fd: number;
  writable: boolean;
}

/** The kernel side: node:fs Sync calls under `root`. */
export class KernelRunner {
  private readonly slots: KernelSlot[] = [];

  constructor(private readonly root: string) {}

  private abs(path: string): string {
    return `${this.root}/${path}`;
  }

  private slot(index: number): KernelSlot {
    return this.slots[index] ?? { fd: FD_NOT_OPEN, writable: false };
  }

  run(op: Op): Outcome {
    try {
      libraryRule(op);
      return { ok: this.call(op) };
    } catch (err) {
      return { err: codeOf(err) };
    }
  }

  private call(op: Op): unknown {
    const c = fs.constants;
    switch (op.op) {
      case 'open': {
        const f = checkOpenFlags('open', op.flags as OpenFlags);
        let bits = f.read && f.write ? c.O_RDWR : f.write ? c.O_WRONLY : c.O_RDONLY;
        if (f.create) bits |= c.O_CREAT;
        if (f.exclusive) bits |= c.O_EXCL;
        if (f.truncate) bits |= c.O_TRUNC;
        if (f.directory) bits |= c.O_DIRECTORY;
        const fd = fs.openSync(this.abs(op.path), bits, 0o644);
        this.slots.push({ fd, writable: f.write });
        return 'fd';
      }
      case 'close': {
        const s = this.slot(op.slot);
        fs.closeSync(s.fd);
        s.fd = FD_NOT_OPEN;
        return null;
      }
      case 'read': {
        const buffer = new Uint8Array(op.lengthBytes);
        const n = fs.readvSync(this.slot(op.slot).fd, [buffer], op.offsetBytes);
        return { n, data: hex(buffer, n) };
      }
      case 'readv': {
        const buffers = op.lengthsBytes.map((n) => new Uint8Array(n));
        const list = buffers.length >= 1 ? [...buffers, new Uint8Array(0)] : [new Uint8Array(0), new Uint8Array(0)];
        const n = fs.readvSync(this.slot(op.slot).fd, list, op.offsetBytes);
        return { n, data: hex(concat(buffers), n) };
      }
      case 'write':
        return fs.writevSync(this.slot(op.slot).fd, [fillBytes(op.lengthBytes, op.fill)], op.offsetBytes);
      case 'writev': {
        const data = fillBytes(op.lengthsBytes.reduce((a, b) => a + b, 0), op.fill);
        const buffers: Uint8Array[] = [];
        let at = 0;
        for (const n of op.lengthsBytes) { buffers.push(data.subarray(at, at + n)); at += n; }
        const list = buffers.length >= 2 ? buffers : [...buffers, new Uint8Array(0), new Uint8Array(0)].slice(0, 2);
        return fs.writevSync(this.slot(op.slot).fd, list, op.offsetBytes);
      }
      case 'truncate':
        fs.ftruncateSync(this.slot(op.slot).fd, op.lengthBytes);
        return null;
      case 'allocate': {
        // Modelled (see the header): vfs_fallocate's checks, then the size change for real.
        const s = this.slot(op.slot);
        const st = fs.fstatSync(s.fd);
        if (!s.writable) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
        const endBytes = op.offsetBytes + op.lengthBytes;
        if (endBytes > FILE_SIZE_MAX_BYTES) throw Object.assign(new Error('EFBIG'), { code: 'EFBIG' });
        if (st.size < endBytes) fs.ftruncateSync(s.fd, endBytes);
        return null;
      }
      case 'fsync':
        if (op.dataOnly) fs.fdatasyncSync(this.slot(op.slot).fd);
        else fs.fsyncSync(this.slot(op.slot).fd);
        return null;
      case 'fstat': return statOf(fs.fstatSync(this.slot(op.slot).fd));
      case 'stat': return statOf(fs.statSync(this.abs(op.path)));
      case 'rename': fs.renameSync(this.abs(op.from), this.abs(op.to)); return null;
      case 'unlink': fs.unlinkSync(this.abs(op.path)); return null;
      case 'mkdir': fs.mkdirSync(this.abs(op.path), 0o755); return null;
      case 'rmdir': fs.rmdirSync(this.abs(op.path)); return null;
      case 'readdir': return fs.readdirSync(this.abs(op.path)).sort();
      default: throw new Error('unknown op');
    }
  }

  /** Every entry under the root: path -> `dir` or `file <size>` (bounded: small trees only). */
  tree(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string, depth: number): void => {
      if (depth > 8) return;
      for (const name of fs.readdirSync(rel === '' ? this.root : this.abs(rel)).sort()) {
        const path = rel === '' ? name : `${rel}/${name}`;
        const st = fs.lstatSync(this.abs(path));
        if (st.isDirectory()) {
          out[path] = 'dir';
          walk(path, depth + 1);
        } else out[path] = `file ${st.size}`;
      }
    };
    walk('', 0);
    return out;
  }

  /** The bytes of a small file (for the end-of-sequence comparison). */
  content(path: string): string {
    return Buffer.from(fs.readFileSync(this.abs(path))).toString('hex');
  }

  closeAll(): void {
    for (const s of this.slots) {
      if (s.fd !== FD_NOT_OPEN) {
        try { fs.closeSync(s.fd); } catch { /* already reported by the sequence */ }
        s.fd = FD_NOT_OPEN;
      }
    }
  }
}

function statOf(st: { isFile(): boolean; isDirectory(): boolean; size: number | bigint }): unknown {
  // A directory's size is backend-specific (the contract says not to rely on it).
  return { isFile: st.isFile(), isDirectory: st.isDirectory(), sizeBytes: st.isFile() ? Number(st.size) : null };
}

/** The Io side. */
export class IoRunner {
  private readonly slots: number[] = [];

  constructor(readonly io: Io) {}

  private fd(index: number): number {
    return this.slots[index] ?? FD_NOT_OPEN;
  }

  async run(op: Op): Promise<Outcome> {
    try {
      return { ok: await this.call(op) };
    } catch (err) {
      return { err: codeOf(err) };
    }
  }

  private async call(op: Op): Promise<unknown> {
    const io = this.io;
    switch (op.op) {
      case 'open':
        this.slots.push(await io.open(op.path, op.flags));
        return 'fd';
      case 'close': {
        const fd = this.fd(op.slot);
        await io.close(fd);
        if (op.slot < this.slots.length) this.slots[op.slot] = FD_NOT_OPEN;
        return null;
      }
      case 'read': {
        const buffer = new Uint8Array(op.lengthBytes);
        const n = await io.read(this.fd(op.slot), buffer, op.offsetBytes);
        return { n, data: hex(buffer, n) };
      }
      case 'readv': {
        const buffers = op.lengthsBytes.map((n) => new Uint8Array(n));
        const n = await io.readv(this.fd(op.slot), buffers, op.offsetBytes);
        return { n, data: hex(concat(buffers), n) };
      }
      case 'write':
        return io.write(this.fd(op.slot), fillBytes(op.lengthBytes, op.fill), op.offsetBytes);
      case 'writev': {
        const data = fillBytes(op.lengthsBytes.reduce((a, b) => a + b, 0), op.fill);
        const buffers: Uint8Array[] = [];
        let at = 0;
        for (const n of op.lengthsBytes) { buffers.push(data.subarray(at, at + n)); at += n; }
        return io.writev(this.fd(op.slot), buffers, op.offsetBytes);
      }
      case 'truncate': await io.truncate(this.fd(op.slot), op.lengthBytes); return null;
      case 'allocate': await io.allocate(this.fd(op.slot), op.offsetBytes, op.lengthBytes); return null;
      case 'fsync': await io.fsync(this.fd(op.slot), { dataOnly: op.dataOnly }); return null;
      case 'fstat': return ioStat(await io.stat(this.fd(op.slot)));
      case 'stat': return ioStat(await io.stat(op.path));
      case 'rename': await io.rename(op.from, op.to); return null;
      case 'unlink': await io.unlink(op.path); return null;
      case 'mkdir': await io.mkdir(op.path); return null;
      case 'rmdir': await io.rmdir(op.path); return null;
      case 'readdir': return (await io.readdir(op.path)).sort();
      default: throw new Error('unknown op');
    }
  }

  async tree(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const walk = async (rel: string, depth: number): Promise<void> => {
      if (depth > 8) return;
      for (const name of (await this.io.readdir(rel === '' ? '.' : rel)).sort()) {
        const path = rel === '' ? name : `${rel}/${name}`;
        const st = await this.io.stat(path);
        if (st.isDirectory) {
          out[path] = 'dir';
          await walk(path, depth + 1);
        } else out[path] = `file ${st.sizeBytes}`;
      }
    };
    await walk('', 0);
    return out;
  }

  async content(path: string, sizeBytes: number): Promise<string> {
    const fd = await this.io.open(path);
    try {
      const buffer = new Uint8Array(sizeBytes);
      let doneBytes = 0;
      // Bounded: each round reads at least one byte or stops.
      while (doneBytes < sizeBytes) {
        const n = await this.io.read(fd, buffer.subarray(doneBytes), doneBytes);
        if (n === 0) break;
        doneBytes += n;
      }
      return hex(buffer, doneBytes);
    } finally {
      await this.io.close(fd);
    }
  }

  async closeAll(): Promise<void> {
    for (let i = 0; i < this.slots.length; i++) {
      const fd = this.slots[i] as number;
      if (fd !== FD_NOT_OPEN) {
        await this.io.close(fd).catch(() => undefined);
        this.slots[i] = FD_NOT_OPEN;
      }
    }
  }
}

function ioStat(st: { isFile: boolean; isDirectory: boolean; sizeBytes: number }): unknown {
  return { isFile: st.isFile, isDirectory: st.isDirectory, sizeBytes: st.isFile ? st.sizeBytes : null };
}
