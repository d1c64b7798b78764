/**
 * Hostile buffers and argument shapes for read/write/readv/writev (sync, callback, promises and
 * FileHandle forms): detached buffers, views past the end of a shrunk resizable buffer, Proxies of
 * Buffers, sparse and empty vectors, more buffers than IOV_MAX, far positions, and Node 20's
 * offset/length/position shapes. Each case runs on a temporary directory of the real disk and on
 * `node.fs`: the outcome (the value, or the error's class and code) and the file's bytes must be
 * the same, and no internal StorageError may come out.
 */
import type * as realFs from 'node:fs';
import { NODE_MAJOR, realVersusFacade, withFd, withHandle, type Case, type Fs, type P } from './real-vs-facade.js';

function outcomeOf(value: unknown): unknown {
  if (value instanceof Error) return { threw: value.constructor.name, code: (value as { code?: unknown }).code };
  return { ok: value };
}

/** A Buffer whose ArrayBuffer was transferred away (byteLength 0, detached). */
function detached(): Buffer {
  const ab = new ArrayBuffer(8);
  const b = Buffer.from(ab);
  structuredClone(ab, { transfer: [ab] });
  return b;
}

/** A view past the end of a resizable ArrayBuffer that was shrunk below it. */
function shrunk(): Uint8Array {
  const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
  const ab = new Resizable(8, { maxByteLength: 16 });
  const u = new Uint8Array(ab, 0, 8);
  ab.resize(2);
  return u;
}

/** The shared helpers on `f` (r+), the file every case starts from. */
const withFdOfF = (fs: Fs, p: P, fn: (fd: number) => unknown): unknown => withFd(fs, p('f'), 'r+', fn);
const withHandleOfF = (fs: Fs, p: P, fn: (h: realFs.promises.FileHandle) => Promise<unknown>): Promise<unknown> => withHandle(fs, p('f'), fn);

const callback = <T>(start: (cb: (err: unknown, value: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));

/** readSync into a fresh 8-byte Buffer: the count and what the buffer then holds. */
const rd = (fs: Fs, fd: number, ...args: unknown[]): unknown => {
  const b = Buffer.alloc(8);
  const n = (fs.readSync as (...a: unknown[]) => number)(fd, b, ...args);
  return [n, b.toString('latin1')];
};

describe('node.fs hostile buffers, compared with real node:fs', function () {
  const cases = realVersusFacade({
    seed: 'buffers', prefix: 'nodefs-buffers-', outcomeOf,
    populate: (fs, root) => fs.writeFileSync(`${root}/f`, 'hello world'),
    snapshot: (fs, root) => fs.readFileSync(`${root}/f`, 'latin1'),
  });

  cases('detached buffers read nothing (no raw V8 TypeError)', [
    ['readSync(fd, detached)', (fs, p) => withFdOfF(fs, p, (fd) => fs.readSync(fd, detached()))],
    ['readSync(fd, detached, 0, 4, 0)', (fs, p) => withFdOfF(fs, p, (fd) => fs.readSync(fd, detached(), 0, 4, 0))],
    ['read(fd, detached, 0, 0, 0, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.read(fd, detached(), 0, 0, 0, cb)))],
    ['read(fd, {buffer: detached}, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.read(fd, { buffer: detached() }, cb)))],
    ['read(fd, detached, {}, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.read(fd, detached(), {}, cb)))],
    ['fh.read({buffer: detached})', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.read({ buffer: detached() })).bytesRead)],
    ['fh.read(detached, 0, 4, 0)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.read(detached(), 0, 4, 0)).bytesRead)],
    ['readSync(fd, shrunk view)', (fs, p) => withFdOfF(fs, p, (fd) => fs.readSync(fd, shrunk()))],
  ]);

  cases('detached / shrunk buffers write nothing (no ERR_DETACHED_BUFFER)', [
    ['writeSync(fd, detached)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, detached()))],
    ['writeSync(fd, detached, 0, 4, 0)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, detached(), 0, 4, 0))],
    ['writeSync(fd, shrunk view)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, shrunk()))],
    ['write(fd, detached, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.write(fd, detached(), cb)))],
    ['writevSync(fd, [detached, shrunk])', (fs, p) => withFdOfF(fs, p, (fd) => fs.writevSync(fd, [detached(), shrunk()]))],
    ['readvSync(fd, [detached, shrunk])', (fs, p) => withFdOfF(fs, p, (fd) => fs.readvSync(fd, [detached(), shrunk()]))],
    ['fh.write(detached, 0, 4, 0)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.write(detached(), 0, 4, 0)).bytesWritten)],
    ['fh.readv([detached])', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.readv([detached()])).bytesRead)],
    ['fh.writev([shrunk])', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.writev([shrunk()])).bytesWritten)],
    ['writeFileSync(f, detached)', (fs, p) => fs.writeFileSync(p('f'), detached())],
    // (Node 26 writes a small buffer to a path in one request, which reads its bytes as empty:
    // no TypeError; with flush it still opens, truncates and throws.)
    ['promises.writeFile(f, detached)', (fs, p) => fs.promises.writeFile(p('f'), detached())],
    ['promises.writeFile(f, detached, {flush}) rejects TypeError after truncating', (fs, p) => fs.promises.writeFile(p('f'), detached(), { flush: true })],
    ['promises.appendFile(f, detached)', (fs, p) => fs.promises.appendFile(p('f'), detached())],
    ['promises.appendFile(f, detached, {flush})', (fs, p) => fs.promises.appendFile(p('f'), detached(), { flush: true })],
    ['promises.writeFile(fh, detached)', (fs, p) => withHandleOfF(fs, p, (h) => fs.promises.writeFile(h, detached()))],
    ['fh.writeFile(detached)', (fs, p) => withHandleOfF(fs, p, (h) => h.writeFile(detached()))],
  ]);

  cases('a Proxy of a Buffer is not a buffer (ERR_INVALID_ARG_TYPE)', [
    ['statSync(Proxy(path))', (fs, p) => fs.statSync(new Proxy(Buffer.from(p('f')), {})).size],
    ['openSync(Proxy(path))', (fs, p) => fs.openSync(new Proxy(Buffer.from(p('f')), {}), 'r')],
    ['readSync(fd, Proxy(buffer))', (fs, p) => withFdOfF(fs, p, (fd) => fs.readSync(fd, new Proxy(Buffer.alloc(4), {})))],
    ['writeSync(fd, Proxy(buffer))', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, new Proxy(Buffer.from('ab'), {}) as Buffer))],
    ['read(fd, Proxy(buffer), 0, 2, 0, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.read(fd, new Proxy(Buffer.alloc(4), {}), 0, 2, 0, cb)))],
    ['writevSync(fd, [Proxy(buffer)])', (fs, p) => withFdOfF(fs, p, (fd) => fs.writevSync(fd, [new Proxy(Buffer.from('ab'), {})]))],
  ]);

  cases('vectors past IOV_MAX and far positions (no ERR_LIMIT_EXCEEDED)', [
    ['writevSync 2000 buffers at 0', (fs, p) => withFdOfF(fs, p, (fd) => fs.writevSync(fd, Array.from({ length: 2000 }, (_, i) => Buffer.from([97 + (i % 26)])), 0))],
    ['writevSync 2000 buffers at the fd position, then readSync', (fs, p) => withFdOfF(fs, p, (fd) => [fs.writevSync(fd, Array.from({ length: 2000 }, () => Buffer.from('b'))), rd(fs, fd)])],
    ['readvSync 2000 buffers reads the first 1024', (fs, p) => withFdOfF(fs, p, (fd) => {
      fs.writeSync(fd, Buffer.alloc(3000, 'z'), 0, 3000, 0);
      return [fs.readvSync(fd, Array.from({ length: 2000 }, () => Buffer.alloc(1))), rd(fs, fd)];
    })],
    ['fh.writev 2000 buffers', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.writev(Array.from({ length: 2000 }, () => Buffer.from('c')), 0)).bytesWritten)],
    ['readvSync at 2**53 (the fd position)', (fs, p) => withFdOfF(fs, p, (fd) => fs.readvSync(fd, [Buffer.alloc(3)], 2 ** 53))],
    ['readvSync at 2**50 (nothing there)', (fs, p) => withFdOfF(fs, p, (fd) => fs.readvSync(fd, [Buffer.alloc(3)], 2 ** 50))],
    ['writevSync at 2**53', (fs, p) => withFdOfF(fs, p, (fd) => fs.writevSync(fd, [Buffer.from('QQ')], 2 ** 53))],
    ['writevSync at 2**50 (EFBIG)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writevSync(fd, [Buffer.from('QQ')], 2 ** 50))],
    ['fh.readv at 2**53', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.readv([Buffer.alloc(2)], 2 ** 53)).bytesRead)],
    ['readSync at 2**50', (fs, p) => withFdOfF(fs, p, (fd) => fs.readSync(fd, Buffer.alloc(3), 0, 3, 2 ** 50))],
    ['readSync at 2n**62n', (fs, p) => withFdOfF(fs, p, (fd) => fs.readSync(fd, Buffer.alloc(2), 0, 2, 2n ** 62n))],
    ['writeSync at 2**50 (EFBIG)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, Buffer.from('a'), 0, 1, 2 ** 50))],
    ['writeSync at 2**53 (the fd position)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, Buffer.from('a'), 0, 1, 2 ** 53))],
  ]);

  cases('sparse and empty vectors', [
    ['writevSync(fd, [, buf])', (fs, p) => withFdOfF(fs, p, (fd) => fs.writevSync(fd, [, Buffer.from('a')] as Buffer[]))],
    ['fh.writev([, buf])', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.writev([, Buffer.from('a')] as Buffer[])).bytesWritten)],
    ['readvSync(fd, [, buf])', (fs, p) => withFdOfF(fs, p, (fd) => fs.readvSync(fd, [, Buffer.alloc(1)] as Buffer[]))],
    ['readvSync(fd, []) is EINVAL', (fs, p) => withFdOfF(fs, p, (fd) => fs.readvSync(fd, []))],
    ['readv(fd, [], cb) is EINVAL', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.readv(fd, [], cb)))],
    ['fh.readv([]) is EINVAL', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.readv([])).bytesRead)],
    ['writevSync(fd, []) is 0', (fs, p) => withFdOfF(fs, p, (fd) => fs.writevSync(fd, []))],
    ['writevSync(read-only fd, []) is 0', (fs, p) => {
      const fd = fs.openSync(p('f'), 'r');
      try { return fs.writevSync(fd, []); } finally { fs.closeSync(fd); }
    }],
    ['fh.writev([]) is 0', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.writev([])).bytesWritten)],
  ]);

  cases('read/write argument shapes', [
    ['readSync(fd, buf, 0, undefined, 0)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, undefined, 0))],
    ['readSync(fd, buf, 0, null, 0)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, null, 0))],
    ['readSync(fd, buf, null, 2, 0)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, null, 2, 0))],
    ['readSync(fd, buf, {}, 2, 0)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, {}, 2, 0))],
    ['readSync(fd, buf, {offset: null})', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, { offset: null }))],
    ['readSync(fd, buf, {length: null})', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, { length: null }))],
    ['readSync(fd, buf, [])', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, []))],
    ['readSync(fd, buf, 5)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 5))],
    ['readSync(fd, buf, 2, 3)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 2, 3))],
    ['readSync(fd, buf, 0, 2, 1.5)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, 1.5))],
    ['readSync(fd, buf, 0, 2, "1")', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, '1'))],
    ['readSync(fd, buf, 0, 2, -2n)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, -2n))],
    ['writeSync(fd, buf, null, 2, 0)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, Buffer.from('ABCDEFGH'), null as unknown as number, 2, 0))],
    ['writeSync(fd, buf, () => {})', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, Buffer.from('ABCD'), (() => {}) as unknown as number))],
    ['writeSync(fd, buf, 0, 2, 1.5)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, Buffer.from('AB'), 0, 2, 1.5))],
    ['writeSync(fd, "ZZ", NaN)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, 'ZZ', NaN))],
    ['writeSync(fd, "ZZ", 2n)', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, 'ZZ', 2n as unknown as number))],
    ['writeSync(fd, "abc", 0, "hex")', (fs, p) => withFdOfF(fs, p, (fd) => fs.writeSync(fd, 'abc', 0, 'hex'))],
    ['write(fd, buf, () => {}, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => (fs.write as (...a: unknown[]) => void)(fd, Buffer.from('AB'), () => {}, cb)))],
    ['read(fd, buf, 0, 2, cb) (position is the callback)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => (fs.read as (...a: unknown[]) => void)(fd, Buffer.alloc(4), 0, 2, cb)))],
    ['read(fd, 5, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => (fs.read as (...a: unknown[]) => void)(fd, 5, cb)))],
    ['fh.write(buf, null, 1, 0)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.write(Buffer.from('AB'), null, 1, 0)).bytesWritten)],
    ['fh.write(buf, () => {})', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.write(Buffer.from('AB'), (() => {}) as unknown as number)).bytesWritten)],
    ['fh.write(buf, 0, 1, 1.5)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.write(Buffer.from('AB'), 0, 1, 1.5)).bytesWritten)],
    ['fh.read([1,2,3], 0, 2, 0)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.read([1, 2, 3] as unknown as Buffer, 0, 2, 0)).bytesRead)],
    ['fh.read(5)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.read(5 as unknown as Buffer)).bytesRead)],
    ['fh.read({buffer: Float64Array}) returns it', (fs, p) => withHandleOfF(fs, p, async (h) => {
      const r = await h.read({ buffer: new Float64Array(1) });
      return [r.bytesRead, r.buffer.constructor.name, Buffer.from(r.buffer.buffer).toString('latin1')];
    })],
    ['fh.read(buf, 0, 2**53, 0)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.read(Buffer.alloc(4), 0, 2 ** 53, 0)).bytesRead)],
    ['fh.read(buf, 0, Infinity, 0)', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.read(Buffer.alloc(4), 0, Infinity, 0)).bytesRead)],
    ['fh.read(buf, 0, 2, 2n) (bigint: the fd position)', (fs, p) => withHandleOfF(fs, p, async (h) => {
      const b = Buffer.alloc(2);
      return [(await h.read(b, 0, 2, 2n as unknown as number)).bytesRead, b.toString('latin1')];
    })],
    ['readSync into a DataView at an offset', (fs, p) => withFdOfF(fs, p, (fd) => {
      const v = new DataView(new ArrayBuffer(6), 1, 4);
      return [fs.readSync(fd, v, 1, 3, 0), Buffer.from(v.buffer).toString('latin1')];
    })],
  ]);

  // Where the Node lines part: the range of a bigint position (Node 22), FileHandle.read checking
  // its position at all (Node 22), the position checked before a zero length or an empty buffer
  // and FileHandle.read's `length |= 0` (Node 24), the fd checked after the other arguments.
  const fhRead = (fs: Fs, p: P, buffer: Buffer, offset: unknown, length: unknown, position: unknown): Promise<unknown> =>
    withHandleOfF(fs, p, async (h) => {
      const r = await (h.read as (...a: unknown[]) => Promise<{ bytesRead: number }>)(buffer, offset, length, position);
      return [r.bytesRead, buffer.toString('latin1')];
    });
  cases('read positions and lengths', [
    ['readSync(fd, buf, 0, 2, -1n): the fd position', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, -1n))],
    ['readSync(fd, buf, 0, 2, 2n ** 63n - 3n)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, 2n ** 63n - 3n))],
    ['readSync(fd, buf, 0, 2, 2n ** 63n - 2n): past 2**63 - 1 - length', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, 2n ** 63n - 2n))],
    ['readSync(write-only fd, buf, 0, 2, 2n ** 63n - 2n)', (fs, p) => {
      const fd = fs.openSync(p('f'), 'a');
      try { return rd(fs, fd, 0, 2, 2n ** 63n - 2n); } finally { fs.closeSync(fd); }
    }],
    ['readSync(fd, buf, 0, 2, -(2n ** 63n))', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, -(2n ** 63n)))],
    ['readSync(fd, buf, 0, 2, 2n ** 63n)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, 2n ** 63n))],
    ['readSync(fd, buf, 0, 2, -2)', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 2, -2))],
    ['readSync(fd, buf, 0, 0, -2n): zero length, bad position', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 0, -2n))],
    ['readSync(fd, buf, 0, 0, "x")', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 0, 0, 'x'))],
    ['readSync(fd, buf, 9, 2, "x"): bad offset and position', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, 9, 2, 'x'))],
    ['readSync(fd, empty, 0, 2, "x")', (fs, p) => withFdOfF(fs, p, (fd) => fs.readSync(fd, Buffer.alloc(0), 0, 2, 'x' as unknown as number))],
    ['readSync(fd, buf, {length: 0, position: 1.5})', (fs, p) => withFdOfF(fs, p, (fd) => rd(fs, fd, { length: 0, position: 1.5 }))],
    ['read(fd, buf, 0, 2, -2n, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.read(fd, Buffer.alloc(4), 0, 2, -2n, cb)))],
    ['read(fd, buf, 0, 0, "x", cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => (fs.read as (...a: unknown[]) => void)(fd, Buffer.alloc(4), 0, 0, 'x', cb)))],
    ['read(fd, {buffer, position: -2n}, cb)', (fs, p) => withFdOfF(fs, p, (fd) => callback<number>((cb) => fs.read(fd, { buffer: Buffer.alloc(4), position: -2n }, cb)))],
    ['fh.read(buf, 0, 2, 1.5)', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, 1.5)],
    ['fh.read(buf, 0, 2, "1")', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, '1')],
    ['fh.read(buf, 0, 2, -1)', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, -1)],
    ['fh.read(buf, 0, 2, -2)', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, -2)],
    ['fh.read(buf, 0, 2, 2**53)', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, 2 ** 53)],
    ['fh.read(buf, 0, 2, -2n)', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, -2n)],
    ['fh.read(buf, 0, 2, -1n)', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, -1n)],
    ['fh.read(buf, 0, 2, 2n ** 62n)', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 2, 2n ** 62n)],
    ['fh.read(buf, 0, 0, "x")', (fs, p) => fhRead(fs, p, Buffer.alloc(2), 0, 0, 'x')],
    ['fh.read(buf, 0, 2**32 + 2, 0)', (fs, p) => fhRead(fs, p, Buffer.alloc(4), 0, 2 ** 32 + 2, 0)],
    ['fh.read(buf, 0, 2**31, 0)', (fs, p) => fhRead(fs, p, Buffer.alloc(4), 0, 2 ** 31, 0)],
    // Node 20 and 22 hand these lengths to their binding, whose check aborts the whole process
    // (the facade refuses them there with ERR_OUT_OF_RANGE); from Node 24 they are `length |= 0`.
    ...(NODE_MAJOR >= 24 ? [
      ['fh.read(buf, 0, 1.5, 0) (Node 24 on)', (fs, p) => fhRead(fs, p, Buffer.alloc(4), 0, 1.5, 0)],
      ['fh.read(buf, 0, "2", 0) (Node 24 on)', (fs, p) => fhRead(fs, p, Buffer.alloc(4), 0, '2', 0)],
    ] satisfies Case[] : []),
    ['fh.read(empty, 0, 2**32, 0)', (fs, p) => fhRead(fs, p, Buffer.alloc(0), 0, 2 ** 32, 0)],
    ['fh.read({buffer, position: 1.5})', (fs, p) => withHandleOfF(fs, p, async (h) => (await h.read({ buffer: Buffer.alloc(2), position: 1.5 })).bytesRead)],
    ['fh.read(buf, {position: 3n})', (fs, p) => fhRead(fs, p, Buffer.alloc(2), { position: 3n }, undefined, undefined)],
    ['readSync(-1, "x"): the fd or the buffer first', (fs) => fs.readSync(-1, 'x' as unknown as Buffer)],
    ['readSync(-1, buf, 0, 9, 0)', (fs) => fs.readSync(-1, Buffer.alloc(2), 0, 9, 0)],
    ['writeSync(-1, 5)', (fs) => fs.writeSync(-1, 5 as unknown as string)],
    ['writeSync(1.5, buf, 9)', (fs) => fs.writeSync(1.5, Buffer.alloc(2), 9)],
    ['readvSync(-1, 5)', (fs) => fs.readvSync(-1, 5 as unknown as Buffer[])],
    ['writevSync(-1, [5])', (fs) => fs.writevSync(-1, [5] as unknown as Buffer[])],
    ['read(-1, buf, 0, 9, 0, cb)', (fs) => callback<number>((cb) => fs.read(-1, Buffer.alloc(2), 0, 9, 0, cb))],
  ]);
});
