/**
 * The Io conformance suite: the Linux semantics every backend must match, checked by error code
 * (never by message). The real kernel, through the fs backend, is the ground truth; the simulator
 * and the io_uring backend run this same suite.
 */
import { expect } from 'chai';
import { StorageError, type ErrorCode } from '../../src/interfaces/errors.js';
import type { Io, OpenFlags } from '../../src/interfaces/io.js';
import { IO_OPERATIONS } from '../../src/interfaces/io.js';
import { readBatch, writeBatch, type BatchEntry } from '../../src/batch/index.js';
import { BATCH_ENTRIES_MAX, FILE_SIZE_MAX_BYTES, IOV_COUNT_MAX, NAME_BYTES_MAX, OFFSET_MAX_BYTES, PATH_BYTES_MAX } from '../../src/interfaces/limits.js';
import {
  conformanceRunner, manifestMismatch, skipReason, type BackendFactory, type BackendInstance, type ConformanceSupports, type TestRunnerFunctions,
} from './harness.js';
import { defineIoModelTest } from './io-model.js';
import { defineHostileArgumentTests } from './io-hostile.js';

/**
 * Calls `fn` and checks that it returns a promise (no synchronous throw) that rejects with a
 * {@link StorageError} of `code`. Returns the error for further checks.
 */
export async function expectCode(fn: () => Promise<unknown>, code: ErrorCode): Promise<StorageError> {
  let promise: Promise<unknown>;
  try {
    promise = fn();
  } catch (err) {
    expect.fail(`expected a rejected promise with ${code}, but the call threw synchronously: ${String(err)}`);
  }
  let caught: unknown;
  let resolved = false;
  try {
    await promise;
    resolved = true;
  } catch (err) {
    caught = err;
  }
  if (resolved) expect.fail(`expected rejection with ${code}, but the promise resolved`);
  expect(caught, `expected a StorageError with code ${code}`).to.be.instanceOf(StorageError);
  expect((caught as StorageError).code).to.equal(code);
  return caught as StorageError;
}

/** Bytes 0..n-1 of a recognizable pattern seeded by `seed`. */
export function pattern(lengthBytes: number, seed = 1): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < lengthBytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Writes all of `data` at `offsetBytes`, looping over short writes (bounded by the byte count). */
export async function writeAll(io: Io, fd: number, data: Uint8Array, offsetBytes = 0): Promise<void> {
  let doneBytes = 0;
  while (doneBytes < data.byteLength) {
    const n = await io.write(fd, data.subarray(doneBytes), offsetBytes + doneBytes);
    expect(n, 'write made no progress').to.be.greaterThan(0);
    doneBytes += n;
  }
}

/** Reads up to `lengthBytes` from `offsetBytes`, looping over short reads until EOF. */
export async function readUpTo(io: Io, fd: number, lengthBytes: number, offsetBytes = 0): Promise<Uint8Array> {
  const out = new Uint8Array(lengthBytes);
  let doneBytes = 0;
  while (doneBytes < lengthBytes) {
    const n = await io.read(fd, out.subarray(doneBytes), offsetBytes + doneBytes);
    if (n === 0) break;
    doneBytes += n;
  }
  return out.subarray(0, doneBytes);
}

/** Creates (or replaces) `path` with exactly `data`. */
export async function putFile(io: Io, path: string, data: Uint8Array): Promise<void> {
  const fd = await io.open(path, { write: true, create: true, truncate: true });
  try {
    await writeAll(io, fd, data);
  } finally {
    await io.close(fd);
  }
}

/** The whole content of `path`. */
export async function getFile(io: Io, path: string): Promise<Uint8Array> {
  const fd = await io.open(path);
  try {
    const { sizeBytes } = await io.stat(fd);
    return await readUpTo(io, fd, sizeBytes + 1);
  } finally {
    await io.close(fd);
  }
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function detachedBuffer(lengthBytes: number): Uint8Array {
  const buffer = new Uint8Array(lengthBytes);
  structuredClone(buffer.buffer, { transfer: [buffer.buffer] });
  return buffer;
}

/** A one-element vector whose element, read, calls `sideEffect` first. */
function elementGetter(element: Uint8Array, sideEffect: () => void): Uint8Array[] {
  const list: Uint8Array[] = [];
  Object.defineProperty(list, 0, { enumerable: true, get: () => { sideEffect(); return element; } });
  return list;
}

/**
 * How `promise` settles within `ms`: `'ok'`, the code of a StorageError, or `'HANG'` (so that a
 * call that never settles fails its test at once, with a message, instead of at the timeout).
 */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('HANG'), ms); });
  const outcome = promise.then(() => 'ok', (err: unknown) => (err instanceof StorageError ? err.code : `not a StorageError: ${String(err)}`));
  try {
    return await Promise.race([outcome, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Values that are not valid offsets/lengths, with the code each must produce. */
const BAD_NUMBERS: ReadonlyArray<readonly [string, unknown, ErrorCode]> = [
  ['negative', -1, 'ERR_INVALID_ARGUMENT'],
  ['fractional', 1.5, 'ERR_INVALID_ARGUMENT'],
  ['NaN', Number.NaN, 'ERR_INVALID_ARGUMENT'],
  ['Infinity', Number.POSITIVE_INFINITY, 'ERR_INVALID_ARGUMENT'],
  ['-Infinity', Number.NEGATIVE_INFINITY, 'ERR_INVALID_ARGUMENT'],
  ['a string', '1', 'ERR_INVALID_ARGUMENT'],
  ['null', null, 'ERR_INVALID_ARGUMENT'],
  ['a bigint', 1n, 'ERR_INVALID_ARGUMENT'],
  ['past the offset limit', OFFSET_MAX_BYTES + 1, 'ERR_LIMIT_EXCEEDED'],
  ['2^53', 2 ** 53, 'ERR_LIMIT_EXCEEDED'],
  ['past 2^53', 2 ** 53 + 2, 'ERR_LIMIT_EXCEEDED'],
];

const BAD_FDS: ReadonlyArray<readonly [string, unknown]> = [
  ['negative', -1], ['fractional', 1.5], ['NaN', Number.NaN], ['Infinity', Number.POSITIVE_INFINITY],
  ['a string', '3'], ['null', null], ['undefined', undefined], ['an object', {}],
];

/**
 * Defines the Io conformance suite for one backend, with the runner's own `{ describe, it }` as
 * the optional last argument (node:test, vitest; mocha's globals are found without it), and chai
 * `expect`. Each test gets a fresh instance from `factory` and disposes it afterwards. The first
 * test checks the manifest against `io.features`; tests the manifest rules out are listed as
 * skipped with the reason. Also defines the model-based test ({@link defineIoModelTest}).
 */
export function defineIoConformance(name: string, factory: BackendFactory, supports: ConformanceSupports, runner?: TestRunnerFunctions): void {
  const { describe, it, beforeEach, afterEach } = conformanceRunner('defineIoConformance', supports, runner);
  describe(`Io conformance: ${name}`, function () {
    let instance: BackendInstance | undefined;
    let io: Io;

    beforeEach(async function () {
      instance = await factory();
      io = instance.io;
    });

    afterEach(async function () {
      const current = instance;
      instance = undefined;
      if (current !== undefined) await current.dispose();
    });

    /** Capability tests first fail on a wrong manifest, with the one message that names it. */
    function checked(fn: () => Promise<void>): () => Promise<void> {
      return async () => {
        const mismatch = manifestMismatch('defineIoConformance', name, supports, instance!);
        if (mismatch !== undefined) throw new Error(mismatch);
        await fn();
      };
    }

    /** `it` when `supported`, else a pending test whose title says why. */
    function itIf(supported: boolean, capability: string, title: string, fn: () => Promise<void>): void {
      if (supported) it(title, checked(fn));
      else it(`${title} (skipped: ${skipReason(supports, capability)})`);
    }

    /** A test of how a missing capability is refused: pending (not applicable) when it is present. */
    function itUnless(supported: boolean, capability: string, title: string, fn: () => Promise<void>): void {
      if (!supported) it(title, checked(fn));
      else it(`${title} (not applicable: the backend supports ${capability})`);
    }

    it('the manifest (supports) matches io.features and the harness', async function () {
      const mismatch = manifestMismatch('defineIoConformance', name, supports, instance!);
      if (mismatch !== undefined) throw new Error(mismatch);
    });

    describe('open', function () {
      it('creates a missing file with create, and fails with ENOENT without it', async function () {
        await expectCode(() => io.open('a'), 'ENOENT');
        await expectCode(() => io.open('a', { write: true }), 'ENOENT');
        const fd = await io.open('a', { write: true, create: true });
        expect(fd).to.be.a('number');
        expect(Number.isInteger(fd) && fd >= 0).to.equal(true);
        const st = await io.stat('a');
        expect(st).to.deep.include({ sizeBytes: 0, isFile: true, isDirectory: false });
        await io.close(fd);
        const again = await io.open('a');
        await io.close(again);
      });

      it('create + exclusive fails with EEXIST on an existing file or directory', async function () {
        await putFile(io, 'f', bytes('keep'));
        await io.mkdir('d');
        await expectCode(() => io.open('f', { write: true, create: true, exclusive: true }), 'EEXIST');
        await expectCode(() => io.open('d', { write: true, create: true, exclusive: true }), 'EEXIST');
        await expectCode(() => io.open('d', { create: true, exclusive: true }), 'EEXIST');
        expect(await getFile(io, 'f')).to.deep.equal(bytes('keep'));
        const fd = await io.open('g', { write: true, create: true, exclusive: true });
        await io.close(fd);
        expect((await io.stat('g')).isFile).to.equal(true);
      });

      it('create without truncate keeps the contents; truncate empties the file', async function () {
        await putFile(io, 'f', bytes('hello'));
        const fd = await io.open('f', { write: true, create: true });
        await io.close(fd);
        expect(await getFile(io, 'f')).to.deep.equal(bytes('hello'));
        const fd2 = await io.open('f', { write: true, truncate: true });
        expect((await io.stat(fd2)).sizeBytes).to.equal(0);
        await io.close(fd2);
        expect((await io.stat('f')).sizeBytes).to.equal(0);
      });

      it('a missing parent is ENOENT, with or without create', async function () {
        await expectCode(() => io.open('missing/a'), 'ENOENT');
        await expectCode(() => io.open('missing/a', { write: true, create: true }), 'ENOENT');
        await expectCode(() => io.open('missing/deeper/a', { write: true, create: true }), 'ENOENT');
        expect(await io.readdir('.')).to.deep.equal([]);
      });

      it('a file used as a parent is ENOTDIR', async function () {
        await putFile(io, 'f', bytes('x'));
        await expectCode(() => io.open('f/x'), 'ENOTDIR');
        await expectCode(() => io.open('f/x', { write: true, create: true }), 'ENOTDIR');
        await expectCode(() => io.stat('f/x'), 'ENOTDIR');
        await expectCode(() => io.mkdir('f/x'), 'ENOTDIR');
        expect(await getFile(io, 'f')).to.deep.equal(bytes('x'));
      });

      it('a directory opened for writing (or with create) is EISDIR', async function () {
        await io.mkdir('d');
        await expectCode(() => io.open('d', { write: true }), 'EISDIR');
        await expectCode(() => io.open('d', { read: true, write: true }), 'EISDIR');
        await expectCode(() => io.open('d', { write: true, create: true }), 'EISDIR');
        await expectCode(() => io.open('d', { write: true, truncate: true }), 'EISDIR');
        await expectCode(() => io.open('.', { write: true }), 'EISDIR');
      });

      it('directory: true on a file is ENOTDIR, on a missing path ENOENT', async function () {
        await putFile(io, 'f', bytes('x'));
        await expectCode(() => io.open('f', { directory: true }), 'ENOTDIR');
        await expectCode(() => io.open('nope', { directory: true }), 'ENOENT');
      });

      it('rejects bad flag combinations and unknown flags with ERR_INVALID_ARGUMENT, creating nothing', async function () {
        const bad: unknown[] = [
          { truncate: true },
          { read: true, truncate: true },
          { create: false, exclusive: true, write: true },
          { directory: true, write: true },
          { directory: true, create: true },
          { directory: true, truncate: true, write: true },
          { directory: true, direct: true },
          { directory: true, tmpfile: true },
          { tmpfile: true },
          { tmpfile: true, write: true, create: true },
          { tmpfile: true, write: true, exclusive: true, create: true },
          { tmpfile: true, write: true, truncate: true },
          { append: true, write: true, create: true },
          { write: 'yes', create: true },
          { write: 1, create: true },
          null,
          'r+',
          42,
          [],
        ];
        for (const flags of bad) {
          await expectCode(() => io.open('new', flags as OpenFlags), 'ERR_INVALID_ARGUMENT');
        }
        expect(await io.readdir('.')).to.deep.equal([]);
      });

      it('opens read-only by default; writing through it is EBADF', async function () {
        await putFile(io, 'f', bytes('abc'));
        const fd = await io.open('f');
        await expectCode(() => io.write(fd, bytes('zzz'), 0), 'EBADF');
        await expectCode(() => io.writev(fd, [bytes('zzz')], 0), 'EBADF');
        await expectCode(() => io.allocate(fd, 0, 10), 'EBADF');
        const fd2 = await io.open('f', { read: true });
        await expectCode(() => io.write(fd2, bytes('zzz'), 0), 'EBADF');
        await io.close(fd);
        await io.close(fd2);
        expect(await getFile(io, 'f')).to.deep.equal(bytes('abc'));
      });

      it('truncate on an fd not open for writing is EINVAL (Linux ftruncate)', async function () {
        await putFile(io, 'f', bytes('abc'));
        const fd = await io.open('f');
        await expectCode(() => io.truncate(fd, 0), 'EINVAL');
        await io.close(fd);
        expect(await getFile(io, 'f')).to.deep.equal(bytes('abc'));
      });

      it('reading through a write-only fd is EBADF', async function () {
        await putFile(io, 'f', bytes('abc'));
        const fd = await io.open('f', { write: true });
        await expectCode(() => io.read(fd, new Uint8Array(3), 0), 'EBADF');
        await expectCode(() => io.readv(fd, [new Uint8Array(3)], 0), 'EBADF');
        await io.close(fd);
      });

      it('read and write at once with read + write', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        await writeAll(io, fd, bytes('both'));
        expect(await readUpTo(io, fd, 10)).to.deep.equal(bytes('both'));
        await io.close(fd);
      });

      it('reading a directory fd is EISDIR', async function () {
        await io.mkdir('d');
        const plain = await io.open('d');
        await expectCode(() => io.read(plain, new Uint8Array(4), 0), 'EISDIR');
        await io.close(plain);
        const dir = await io.open('d', { directory: true });
        await expectCode(() => io.read(dir, new Uint8Array(4), 0), 'EISDIR');
        await expectCode(() => io.write(dir, new Uint8Array(4), 0), 'EBADF');
        // Zero bytes asked: pread still answers EISDIR (io_uring's READ would say 0, node's read
        // would not ask), while preadv returns 0 before it looks at the file (measured on Linux).
        await expectCode(() => io.read(dir, new Uint8Array(0), 0), 'EISDIR');
        const plainAgain = await io.open('d');
        await expectCode(() => io.read(plainAgain, new Uint8Array(0), 0), 'EISDIR');
        expect(await io.readv(plainAgain, [new Uint8Array(0), new Uint8Array(0)], 0)).to.equal(0);
        await io.close(plainAgain);
        expect(await io.readv(dir, [new Uint8Array(0)], 0)).to.equal(0);
        expect(await io.readv(dir, [], 0)).to.equal(0);
        await expectCode(() => io.write(dir, new Uint8Array(0), 0), 'EBADF');
        await io.close(dir);
      });

      it('hands out distinct small non-negative integers to open fds', async function () {
        const fds: number[] = [];
        for (let i = 0; i < 20; i++) fds.push(await io.open(`f${i}`, { write: true, create: true }));
        expect(new Set(fds).size).to.equal(fds.length);
        for (const fd of fds) {
          expect(Number.isInteger(fd)).to.equal(true);
          expect(fd).to.be.at.least(0).and.below(2 ** 31);
        }
        for (const fd of fds) await io.close(fd);
      });

      it('normalizes "./" and repeated slashes', async function () {
        await io.mkdir('d');
        await putFile(io, './d//f', bytes('n'));
        expect(await getFile(io, 'd/f')).to.deep.equal(bytes('n'));
        expect(await io.readdir('./d/')).to.deep.equal(['f']);
        expect((await io.stat('.')).isDirectory).to.equal(true);
      });

      itUnless(supports.direct, 'direct', 'direct: true is ERR_UNSUPPORTED when features.direct is false', async function () {
        expect(io.features.direct).to.equal(false);
        await expectCode(() => io.open('f', { write: true, create: true, direct: true }), 'ERR_UNSUPPORTED');
        expect(await io.readdir('.')).to.deep.equal([]);
      });

      itUnless(supports.tmpfile, 'tmpfile', 'tmpfile: true is ERR_UNSUPPORTED when features.tmpfile is false', async function () {
        expect(io.features.tmpfile).to.equal(false);
        await expectCode(() => io.open('.', { write: true, tmpfile: true }), 'ERR_UNSUPPORTED');
      });
    });

    describe('read and write', function () {
      it('write returns the count and read returns what was written', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const data = pattern(1000);
        expect(await io.write(fd, data, 0)).to.equal(1000);
        const out = new Uint8Array(1000);
        expect(await io.read(fd, out, 0)).to.equal(1000);
        expect(out).to.deep.equal(data);
        await io.close(fd);
      });

      it('a read across the end is short, at or past the end it is 0', async function () {
        await putFile(io, 'f', pattern(100));
        const fd = await io.open('f');
        const out = new Uint8Array(64);
        expect(await io.read(fd, out, 60)).to.equal(40);
        expect(out.subarray(0, 40)).to.deep.equal(pattern(100).subarray(60));
        expect(await io.read(fd, out, 100)).to.equal(0);
        expect(await io.read(fd, out, 5000)).to.equal(0);
        expect(await io.read(fd, out, FILE_SIZE_MAX_BYTES - 64)).to.equal(0);
        expect(await io.read(fd, new Uint8Array(0), 0)).to.equal(0);
        await io.close(fd);
      });

      it('writing past the end extends the file; the gap reads as zeros', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        await writeAll(io, fd, bytes('ab'), 0);
        await writeAll(io, fd, bytes('cd'), 10);
        expect((await io.stat(fd)).sizeBytes).to.equal(12);
        const expected = new Uint8Array(12);
        expected.set(bytes('ab'), 0);
        expected.set(bytes('cd'), 10);
        expect(await readUpTo(io, fd, 100)).to.deep.equal(expected);
        await io.close(fd);
      });

      it('a zero-length write returns 0 and does not extend the file', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        expect(await io.write(fd, new Uint8Array(0), 100)).to.equal(0);
        expect((await io.stat(fd)).sizeBytes).to.equal(0);
        await io.close(fd);
      });

      it('overwrites in the middle without changing the size', async function () {
        await putFile(io, 'f', bytes('0123456789'));
        const fd = await io.open('f', { read: true, write: true });
        await writeAll(io, fd, bytes('abc'), 4);
        expect((await io.stat(fd)).sizeBytes).to.equal(10);
        await io.close(fd);
        expect(await getFile(io, 'f')).to.deep.equal(bytes('0123abc789'));
      });

      it('uses exactly the bytes of a subarray view (byteOffset honoured)', async function () {
        const backing = pattern(64, 7);
        const view = backing.subarray(10, 20);
        const fd = await io.open('f', { read: true, write: true, create: true });
        expect(await io.write(fd, view, 0)).to.equal(10);
        const target = new Uint8Array(30).fill(0xee);
        expect(await io.read(fd, target.subarray(5, 15), 0)).to.equal(10);
        expect(target.subarray(5, 15)).to.deep.equal(backing.subarray(10, 20));
        expect(target[4]).to.equal(0xee);
        expect(target[15]).to.equal(0xee);
        await io.close(fd);
      });

      it('accepts a Node Buffer as well as a Uint8Array', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        expect(await io.write(fd, Buffer.from('buf'), 0)).to.equal(3);
        const out = Buffer.alloc(3);
        expect(await io.read(fd, out, 0)).to.equal(3);
        expect(out.toString()).to.equal('buf');
        await io.close(fd);
      });

      it('round-trips 1 MiB at an unaligned offset', async function () {
        const data = pattern(1 << 20, 3);
        const fd = await io.open('f', { read: true, write: true, create: true });
        await writeAll(io, fd, data, 4097);
        expect(await readUpTo(io, fd, data.byteLength, 4097)).to.deep.equal(data);
        expect((await io.stat(fd)).sizeBytes).to.equal(4097 + data.byteLength);
        await io.close(fd);
      });

      it('writes through one fd are visible through another fd of the same file', async function () {
        const w = await io.open('f', { write: true, create: true });
        const r = await io.open('f');
        await writeAll(io, w, bytes('shared'), 0);
        expect(await readUpTo(io, r, 10)).to.deep.equal(bytes('shared'));
        await io.close(w);
        await io.close(r);
      });
    });

    describe('readv and writev', function () {
      it('writev writes the buffers in order, skipping empty ones, and returns the total', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const n = await io.writev(fd, [bytes('ab'), new Uint8Array(0), bytes('cde'), bytes('f')], 3);
        expect(n).to.equal(6);
        const expected = new Uint8Array(9);
        expected.set(bytes('abcdef'), 3);
        expect(await readUpTo(io, fd, 100)).to.deep.equal(expected);
        await io.close(fd);
      });

      it('readv fills the buffers in order and is short at the end', async function () {
        await putFile(io, 'f', bytes('0123456789'));
        const fd = await io.open('f');
        const a = new Uint8Array(3);
        const b = new Uint8Array(0);
        const c = new Uint8Array(4);
        const d = new Uint8Array(10).fill(0xaa);
        expect(await io.readv(fd, [a, b, c, d], 1)).to.equal(9);
        expect(a).to.deep.equal(bytes('123'));
        expect(c).to.deep.equal(bytes('4567'));
        expect(d.subarray(0, 2)).to.deep.equal(bytes('89'));
        expect(await io.readv(fd, [a, c], 10)).to.equal(0);
        await io.close(fd);
      });

      it('an empty buffer list transfers 0 bytes', async function () {
        await putFile(io, 'f', bytes('abc'));
        const fd = await io.open('f', { read: true, write: true });
        expect(await io.readv(fd, [], 0)).to.equal(0);
        expect(await io.writev(fd, [], 100)).to.equal(0);
        expect((await io.stat(fd)).sizeBytes).to.equal(3);
        await io.close(fd);
      });

      it(`accepts ${IOV_COUNT_MAX} buffers and refuses ${IOV_COUNT_MAX + 1} with ERR_LIMIT_EXCEEDED`, async function () {
        await putFile(io, 'f', bytes('unchanged'));
        const fd = await io.open('f', { read: true, write: true });
        const many = Array.from({ length: IOV_COUNT_MAX + 1 }, (_, i) => new Uint8Array([i & 0xff]));
        await expectCode(() => io.writev(fd, many, 0), 'ERR_LIMIT_EXCEEDED');
        await expectCode(() => io.readv(fd, many, 0), 'ERR_LIMIT_EXCEEDED');
        expect(await readUpTo(io, fd, 100)).to.deep.equal(bytes('unchanged'));
        expect(await io.writev(fd, many.slice(0, IOV_COUNT_MAX), 0)).to.equal(IOV_COUNT_MAX);
        const back = await readUpTo(io, fd, IOV_COUNT_MAX);
        for (let i = 0; i < IOV_COUNT_MAX; i++) expect(back[i]).to.equal(i & 0xff);
        await io.close(fd);
      });

      it('refuses a non-array or a list holding a non-buffer, writing nothing', async function () {
        await putFile(io, 'f', bytes('same'));
        const fd = await io.open('f', { read: true, write: true });
        for (const bad of [bytes('x'), 'x', null, { length: 1, 0: bytes('x') }, [bytes('x'), 'y'], [bytes('x'), [1, 2]]]) {
          await expectCode(() => io.writev(fd, bad as Uint8Array[], 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.readv(fd, bad as Uint8Array[], 0), 'ERR_INVALID_ARGUMENT');
        }
        await expectCode(() => io.writev(fd, [bytes('zz'), detachedBuffer(4)], 0), 'ERR_DETACHED_BUFFER');
        expect(await readUpTo(io, fd, 100)).to.deep.equal(bytes('same'));
        await io.close(fd);
      });
    });

    describe('truncate and allocate', function () {
      it('truncate shrinks (dropping bytes) and grows (adding zeros)', async function () {
        await putFile(io, 'f', bytes('0123456789'));
        const fd = await io.open('f', { read: true, write: true });
        await io.truncate(fd, 4);
        expect((await io.stat(fd)).sizeBytes).to.equal(4);
        expect(await readUpTo(io, fd, 100)).to.deep.equal(bytes('0123'));
        await io.truncate(fd, 8);
        const expected = new Uint8Array(8);
        expected.set(bytes('0123'));
        expect(await readUpTo(io, fd, 100)).to.deep.equal(expected);
        await io.truncate(fd, 0);
        expect((await io.stat('f')).sizeBytes).to.equal(0);
        await io.close(fd);
      });

      it('allocate grows a shorter file with zeros and never shrinks a longer one', async function () {
        await putFile(io, 'f', bytes('abc'));
        const fd = await io.open('f', { read: true, write: true });
        await io.allocate(fd, 0, 4096);
        expect((await io.stat(fd)).sizeBytes).to.equal(4096);
        const expected = new Uint8Array(4096);
        expected.set(bytes('abc'));
        expect(await readUpTo(io, fd, 5000)).to.deep.equal(expected);
        await io.allocate(fd, 10, 20);
        expect((await io.stat(fd)).sizeBytes).to.equal(4096);
        await io.allocate(fd, 8000, 192);
        expect((await io.stat(fd)).sizeBytes).to.equal(8192);
        await io.close(fd);
      });

      it('allocate with lengthBytes 0 is ERR_INVALID_ARGUMENT', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        await expectCode(() => io.allocate(fd, 0, 0), 'ERR_INVALID_ARGUMENT');
        expect((await io.stat(fd)).sizeBytes).to.equal(0);
        await io.close(fd);
      });

      it('allocate running alongside writes past its range loses none of them', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const jobs: Promise<unknown>[] = [];
        for (let i = 0; i < 16; i++) {
          jobs.push(io.allocate(fd, 0, 1024 * (i + 1)));
          jobs.push(writeAll(io, fd, pattern(16, i), 100_000 + 16 * i));
        }
        await Promise.all(jobs);
        expect((await io.stat(fd)).sizeBytes).to.equal(100_000 + 16 * 16);
        for (let i = 0; i < 16; i++) {
          expect(await readUpTo(io, fd, 16, 100_000 + 16 * i)).to.deep.equal(pattern(16, i));
        }
        await io.close(fd);
      });
    });

    describe('fsync', function () {
      it('fsync and fdatasync resolve on files opened for writing and for reading', async function () {
        const fd = await io.open('f', { write: true, create: true });
        await writeAll(io, fd, bytes('durable'));
        await io.fsync(fd);
        await io.fsync(fd, { dataOnly: true });
        await io.fsync(fd, {});
        await io.close(fd);
        const ro = await io.open('f');
        await io.fsync(ro);
        await io.close(ro);
        expect(await getFile(io, 'f')).to.deep.equal(bytes('durable'));
      });

      it('rejects malformed options with ERR_INVALID_ARGUMENT', async function () {
        const fd = await io.open('f', { write: true, create: true });
        for (const bad of [null, 'data', 5, [], { dataOnly: 'yes' }, { dataOnly: 1 }]) {
          await expectCode(() => io.fsync(fd, bad as { dataOnly?: boolean }), 'ERR_INVALID_ARGUMENT');
        }
        await io.close(fd);
      });

      itIf(supports.directoryFsync, 'directoryFsync', 'opens directories (root and nested) as fds that can be fsynced and stat-ed', async function () {
        await io.mkdir('d');
        await io.mkdir('d/e');
        for (const path of ['.', 'd', 'd/e']) {
          const fd = await io.open(path, { directory: true });
          await io.fsync(fd);
          await io.fsync(fd, { dataOnly: true });
          const st = await io.stat(fd);
          expect(st.isDirectory).to.equal(true);
          expect(st.isFile).to.equal(false);
          await io.close(fd);
        }
      });
    });

    describe('writeDurable (a write and a sync as one operation)', function () {
      it('resolves with the count, the bytes are readable, and it counts one write and one fsync', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const before = io.metrics;
        const data = pattern(5000, 7);
        expect(await io.writeDurable(fd, data, 0, { dataOnly: true })).to.equal(5000);
        expect(await io.writeDurable(fd, bytes('tail'), 5000)).to.equal(4);
        expect(await io.writeDurable(fd, bytes('mid'), 10, { dataOnly: false })).to.equal(3);
        const after = io.metrics;
        expect(after.operations.write - before.operations.write).to.equal(3);
        expect(after.operations.fsync - before.operations.fsync).to.equal(3);
        expect(after.bytesWritten - before.bytesWritten).to.equal(5007);
        expect(after.inFlight).to.equal(0);
        const expected = new Uint8Array(5004);
        expected.set(data);
        expected.set(bytes('tail'), 5000);
        expected.set(bytes('mid'), 10);
        expect((await io.stat(fd)).sizeBytes).to.equal(5004);
        expect(await readUpTo(io, fd, 6000)).to.deep.equal(expected);
        await io.close(fd);
      });

      it('an empty buffer writes nothing, still syncs, and resolves with 0', async function () {
        const fd = await io.open('f', { write: true, create: true });
        const before = io.metrics;
        expect(await io.writeDurable(fd, new Uint8Array(0), 100)).to.equal(0);
        expect(io.metrics.operations.fsync - before.operations.fsync).to.equal(1);
        expect((await io.stat(fd)).sizeBytes).to.equal(0);
        await io.close(fd);
      });

      it('a failed write (read-only fd) rejects with the write\'s EBADF, and no sync runs', async function () {
        await putFile(io, 'f', bytes('keep'));
        const fd = await io.open('f');
        const before = io.metrics;
        const err = await expectCode(() => io.writeDurable(fd, bytes('nope'), 0, { dataOnly: true }), 'EBADF');
        expect(err.details['stage']).to.not.equal('fsync');
        const after = io.metrics;
        expect(after.errors.write - before.errors.write).to.equal(1);
        expect(after.operations.fsync - before.operations.fsync).to.equal(0);
        await io.close(fd);
        expect(await getFile(io, 'f')).to.deep.equal(bytes('keep'));
      });

      it('bad arguments reject with the write\'s codes, writing nothing', async function () {
        const fd = await io.open('f', { write: true, create: true });
        for (const bad of [null, 'data', 5, [], { dataOnly: 'yes' }, { dataOnly: 1 }]) {
          await expectCode(() => io.writeDurable(fd, bytes('x'), 0, bad as { dataOnly?: boolean }), 'ERR_INVALID_ARGUMENT');
        }
        const errors = [
          await expectCode(() => io.writeDurable(fd, 'x' as unknown as Uint8Array, 0), 'ERR_INVALID_ARGUMENT'),
          await expectCode(() => io.writeDurable(fd, bytes('x'), -1), 'ERR_INVALID_ARGUMENT'),
          await expectCode(() => io.writeDurable(fd, detachedBuffer(4), 0), 'ERR_DETACHED_BUFFER'),
          await expectCode(() => io.writeDurable(fd + 1000, bytes('x'), 0), 'EBADF'),
        ];
        // They name the public call on every backend, whether or not it is one submission there.
        for (const err of errors) {
          expect(err.message, err.code).to.match(/^writeDurable: /);
          expect(err.details['operation'], err.code).to.equal('writeDurable');
        }
        expect((await io.stat(fd)).sizeBytes).to.equal(0);
        await io.close(fd);
      });

      it('takes its bytes at the call: detaching the buffer afterwards changes nothing', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const data = pattern(8192, 3);
        const copy = data.slice();
        const pending = io.writeDurable(fd, data, 0, { dataOnly: true });
        structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
        expect(await pending).to.equal(8192);
        expect(await readUpTo(io, fd, 8192)).to.deep.equal(copy);
        await io.close(fd);
      });

      it('many synced appends in flight at once all land', async function () {
        const fd = await io.open('log', { read: true, write: true, create: true });
        const recordBytes = 512;
        const counts = await Promise.all(Array.from({ length: 32 }, (_, i) =>
          io.writeDurable(fd, pattern(recordBytes, i + 1), i * recordBytes, { dataOnly: true })));
        expect(counts).to.deep.equal(new Array(32).fill(recordBytes));
        const all = await readUpTo(io, fd, 32 * recordBytes + 1);
        expect(all.byteLength).to.equal(32 * recordBytes);
        for (let i = 0; i < 32; i++) expect(all.subarray(i * recordBytes, (i + 1) * recordBytes)).to.deep.equal(pattern(recordBytes, i + 1));
        await io.close(fd);
      });
    });

    describe('readBatch and writeBatch (many transfers, one promise)', function () {
      it('writes and reads every entry, with each count in entry order, and counts each as one operation', async function () {
        const a = await io.open('a', { read: true, write: true, create: true });
        const b = await io.open('b', { read: true, write: true, create: true });
        const before = io.metrics;
        const written = await writeBatch(io, [
          { fd: a, buffer: pattern(3000, 1), offsetBytes: 0 },
          { fd: b, buffer: pattern(100, 2), offsetBytes: 50 },
          { fd: a, buffer: pattern(1000, 3), offsetBytes: 3000 },
          { fd: b, buffer: new Uint8Array(0), offsetBytes: 10 },
        ]);
        expect(written).to.deep.equal([3000, 100, 1000, 0]);
        const middle = io.metrics;
        expect(middle.operations.write - before.operations.write).to.equal(4);
        expect(middle.bytesWritten - before.bytesWritten).to.equal(4100);
        const buffers = [new Uint8Array(4000), new Uint8Array(200), new Uint8Array(16), new Uint8Array(8), new Uint8Array(0)];
        const read = await readBatch(io, [
          { fd: a, buffer: buffers[0]!, offsetBytes: 0 },
          { fd: b, buffer: buffers[1]!, offsetBytes: 0 },
          { fd: a, buffer: buffers[2]!, offsetBytes: 3990 },   // short: 10 bytes before the end
          { fd: a, buffer: buffers[3]!, offsetBytes: 10_000 }, // past the end
          { fd: b, buffer: buffers[4]!, offsetBytes: 0 },
        ]);
        expect(read).to.deep.equal([4000, 150, 10, 0, 0]);
        const expectedA = new Uint8Array(4000);
        expectedA.set(pattern(3000, 1));
        expectedA.set(pattern(1000, 3), 3000);
        expect(buffers[0]).to.deep.equal(expectedA);
        expect(buffers[1]!.subarray(50, 150)).to.deep.equal(pattern(100, 2));
        expect(buffers[1]!.subarray(0, 50)).to.deep.equal(new Uint8Array(50));
        expect(buffers[2]!.subarray(0, 10)).to.deep.equal(pattern(1000, 3).subarray(990));
        const after = io.metrics;
        expect(after.operations.read - middle.operations.read).to.equal(5);
        expect(after.bytesRead - middle.bytesRead).to.equal(4160);
        expect(after.inFlight).to.equal(0);
        expect(await readBatch(io, [])).to.deep.equal([]);
        expect(await writeBatch(io, [])).to.deep.equal([]);
        await io.close(a);
        await io.close(b);
      });

      it('a batch larger than any queue completes whole', async function () {
        const fd = await io.open('big', { read: true, write: true, create: true });
        const count = 600;
        const entries: BatchEntry[] = Array.from({ length: count }, (_, i) => ({ fd, buffer: pattern(64, i + 1), offsetBytes: i * 64 }));
        expect(await writeBatch(io, entries)).to.deep.equal(new Array(count).fill(64));
        const back = Array.from({ length: count }, () => new Uint8Array(64));
        expect(await readBatch(io, back.map((buffer, i) => ({ fd, buffer, offsetBytes: (count - 1 - i) * 64 })))).to.deep.equal(new Array(count).fill(64));
        for (let i = 0; i < count; i++) expect(back[i]).to.deep.equal(pattern(64, count - i));
        await io.close(fd);
      });

      it('a bad entry rejects the whole batch, naming its index, before any entry starts', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const good = { fd, buffer: bytes('good'), offsetBytes: 0 };
        const cases: ReadonlyArray<readonly [string, unknown, ErrorCode, number | undefined]> = [
          ['not an array', { 0: good, length: 1 }, 'ERR_INVALID_ARGUMENT', undefined],
          ['a null entry', [good, null], 'ERR_INVALID_ARGUMENT', 1],
          ['an entry with an unknown key', [good, { ...good, offset: 3 }], 'ERR_INVALID_ARGUMENT', 1],
          ['a bad fd', [good, { ...good, fd: -1 }], 'ERR_INVALID_ARGUMENT', 1],
          ['a missing fd', [good, { buffer: good.buffer, offsetBytes: 0 }], 'ERR_INVALID_ARGUMENT', 1],
          ['a string buffer', [good, { ...good, buffer: 'data' }], 'ERR_INVALID_ARGUMENT', 1],
          ['a detached buffer', [good, { ...good, buffer: detachedBuffer(4) }], 'ERR_DETACHED_BUFFER', 1],
          ['a negative offset', [good, good, { ...good, offsetBytes: -4 }], 'ERR_INVALID_ARGUMENT', 2],
          ['an offset past the limit', [good, { ...good, offsetBytes: OFFSET_MAX_BYTES + 1 }], 'ERR_LIMIT_EXCEEDED', 1],
          ['a write ending past the limit', [good, { ...good, offsetBytes: OFFSET_MAX_BYTES - 2 }], 'ERR_LIMIT_EXCEEDED', 1],
          [`${BATCH_ENTRIES_MAX + 1} entries`, new Array(BATCH_ENTRIES_MAX + 1).fill(good), 'ERR_LIMIT_EXCEEDED', undefined],
        ];
        const before = io.metrics;
        for (const [label, entries, code, index] of cases) {
          const err = await expectCode(() => writeBatch(io, entries as BatchEntry[]), code);
          expect(err.details['index'], label).to.equal(index);
          expect(err.details.operation, label).to.equal('writeBatch');
          expect(err.message, label).to.match(/^writeBatch: /);
        }
        // Reads check the same, but a read may end past the offset limit (0 bytes past the end).
        await expectCode(() => readBatch(io, [good, { ...good, fd: 1.5 }]), 'ERR_INVALID_ARGUMENT');
        expect(await readBatch(io, [{ fd, buffer: new Uint8Array(4), offsetBytes: OFFSET_MAX_BYTES - 2 }])).to.deep.equal([0]);
        await expectCode(() => readBatch(undefined as unknown as Io, [good]), 'ERR_INVALID_ARGUMENT');
        const after = io.metrics;
        expect(after.operations.write - before.operations.write, 'no write started').to.equal(0);
        expect(after.errors.write - before.errors.write).to.equal(0);
        expect((await io.stat(fd)).sizeBytes).to.equal(0);
        await io.close(fd);
      });

      it('reads each entry and field once, so a getter cannot swap a checked value', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        let reads = 0;
        const entry = {
          fd,
          buffer: bytes('once'),
          get offsetBytes(): number {
            reads += 1;
            return reads === 1 ? 0 : -1;
          },
        };
        let indexReads = 0;
        const list = new Proxy([entry], {
          get(target, key, receiver) {
            if (key === '0') indexReads += 1;
            return Reflect.get(target, key, receiver) as unknown;
          },
        });
        expect(await writeBatch(io, list)).to.deep.equal([4]);
        expect(reads).to.equal(1);
        expect(indexReads).to.equal(1);
        const throwing = { fd, buffer: bytes('x'), get offsetBytes(): number { throw new Error('getter'); } };
        await expectCode(() => writeBatch(io, [throwing]), 'ERR_INVALID_ARGUMENT');
        // A later entry's getter detaches an earlier entry's (already checked) buffer: nothing runs.
        const early = new Uint8Array(8);
        const detaching = { fd, buffer: bytes('late'), get offsetBytes(): number {
          structuredClone(early.buffer, { transfer: [early.buffer] });
          return 0;
        } };
        const err = await expectCode(() => writeBatch(io, [{ fd, buffer: early, offsetBytes: 100 }, detaching]), 'ERR_DETACHED_BUFFER');
        expect(err.details['index']).to.equal(0);
        expect((await io.stat(fd)).sizeBytes).to.equal(4);
        await io.close(fd);
      });

      it('a failing entry fails alone: the others finish, then the batch rejects with the first failure', async function () {
        await putFile(io, 'f', pattern(100, 5));
        await io.mkdir('d');
        const fd = await io.open('f');
        const dir = await io.open('d', { directory: true });
        const buffers = [new Uint8Array(10), new Uint8Array(10), new Uint8Array(0), new Uint8Array(10)];
        const before = io.metrics;
        const err = await expectCode(() => readBatch(io, [
          { fd, buffer: buffers[0]!, offsetBytes: 0 },
          { fd: fd + 1000, buffer: buffers[1]!, offsetBytes: 0 },   // not open
          { fd: dir, buffer: buffers[2]!, offsetBytes: 0 },          // an empty read of a directory: EISDIR
          { fd, buffer: buffers[3]!, offsetBytes: 90 },
        ]), 'EBADF');
        expect(err.details['index']).to.equal(1);
        expect(err.details['entryOperation']).to.equal('read');
        expect(err.details.operation).to.equal('readBatch');
        expect(err.details['results']).to.deep.equal([10, null, null, 10]);
        expect(err.message).to.match(/^readBatch: /);
        expect(err.cause).to.be.instanceOf(StorageError);
        expect(buffers[0]).to.deep.equal(pattern(100, 5).subarray(0, 10));
        expect(buffers[3]).to.deep.equal(pattern(100, 5).subarray(90));
        const after = io.metrics;
        expect(after.operations.read - before.operations.read).to.equal(4);
        expect(after.errors.read - before.errors.read).to.equal(2);
        expect(after.inFlight).to.equal(0);
        // The same directory read alone is EISDIR, as the batch's third entry was.
        const alone = await expectCode(() => readBatch(io, [{ fd: dir, buffer: new Uint8Array(0), offsetBytes: 0 }]), 'EISDIR');
        expect(alone.details['index']).to.equal(0);
        // A write through a read-only fd is the write's EBADF; the other entry lands.
        const w = await expectCode(() => writeBatch(io, [{ fd, buffer: bytes('no'), offsetBytes: 0 }, { fd: fd + 1000, buffer: bytes('no'), offsetBytes: 0 }]), 'EBADF');
        expect(w.details['index']).to.equal(0);
        expect(w.details['entryOperation']).to.equal('write');
        await io.close(fd);
        await io.close(dir);
        expect(await getFile(io, 'f')).to.deep.equal(pattern(100, 5));
      });

      it('takes a write\'s bytes at the call: detaching the buffers afterwards changes nothing', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const data = [pattern(4096, 1), pattern(4096, 2)];
        const copies = data.map((d) => d.slice());
        const pending = writeBatch(io, data.map((buffer, i) => ({ fd, buffer, offsetBytes: i * 4096 })));
        for (const d of data) structuredClone(d.buffer, { transfer: [d.buffer as ArrayBuffer] });
        expect(await pending).to.deep.equal([4096, 4096]);
        const back = await readUpTo(io, fd, 8192);
        expect(back.subarray(0, 4096)).to.deep.equal(copies[0]);
        expect(back.subarray(4096)).to.deep.equal(copies[1]);
        await io.close(fd);
      });
    });

    describe('stat', function () {
      it('describes files and directories by path and by fd', async function () {
        await putFile(io, 'f', pattern(123));
        await io.mkdir('d');
        expect(await io.stat('f')).to.deep.include({ sizeBytes: 123, isFile: true, isDirectory: false });
        const d = await io.stat('d');
        expect(d.isDirectory).to.equal(true);
        expect(d.isFile).to.equal(false);
        expect((await io.stat('.')).isDirectory).to.equal(true);
        const fd = await io.open('f', { write: true });
        await writeAll(io, fd, pattern(10), 200);
        expect(await io.stat(fd)).to.deep.include({ sizeBytes: 210, isFile: true, isDirectory: false });
        expect((await io.stat('f')).sizeBytes).to.equal(210);
        await io.close(fd);
      });

      it('a missing path is ENOENT; a non-string non-number argument is ERR_INVALID_ARGUMENT', async function () {
        await expectCode(() => io.stat('nope'), 'ENOENT');
        await expectCode(() => io.stat('nope/deeper'), 'ENOENT');
        for (const bad of [null, undefined, {}, true, -1, 1.5]) {
          await expectCode(() => io.stat(bad as string), 'ERR_INVALID_ARGUMENT');
        }
      });
    });

    describe('rename', function () {
      it('moves a file to a new name', async function () {
        await putFile(io, 'a', bytes('content'));
        await io.rename('a', 'b');
        await expectCode(() => io.stat('a'), 'ENOENT');
        expect(await getFile(io, 'b')).to.deep.equal(bytes('content'));
        expect(await io.readdir('.')).to.deep.equal(['b']);
      });

      it('atomically replaces an existing file; an fd open on the old target still reads the old data', async function () {
        await putFile(io, 'a', bytes('new'));
        await putFile(io, 'b', bytes('old data'));
        const oldFd = await io.open('b');
        await io.rename('a', 'b');
        expect(await getFile(io, 'b')).to.deep.equal(bytes('new'));
        expect(await readUpTo(io, oldFd, 100)).to.deep.equal(bytes('old data'));
        expect((await io.stat(oldFd)).sizeBytes).to.equal(8);
        await io.close(oldFd);
        expect(await io.readdir('.')).to.deep.equal(['b']);
      });

      it('an fd keeps working on a file after the file is renamed', async function () {
        const fd = await io.open('a', { read: true, write: true, create: true });
        await io.rename('a', 'b');
        await writeAll(io, fd, bytes('after'));
        await io.close(fd);
        expect(await getFile(io, 'b')).to.deep.equal(bytes('after'));
      });

      it('moves directories with their contents, across directories', async function () {
        await io.mkdir('d');
        await io.mkdir('d/sub');
        await putFile(io, 'd/sub/f', bytes('deep'));
        await io.mkdir('other');
        await io.rename('d', 'other/moved');
        expect(await io.readdir('.')).to.deep.equal(['other']);
        expect(await io.readdir('other/moved')).to.deep.equal(['sub']);
        expect(await getFile(io, 'other/moved/sub/f')).to.deep.equal(bytes('deep'));
      });

      it('replaces an empty directory with a directory', async function () {
        await io.mkdir('a');
        await putFile(io, 'a/f', bytes('1'));
        await io.mkdir('b');
        await io.rename('a', 'b');
        expect(await io.readdir('.')).to.deep.equal(['b']);
        expect(await io.readdir('b')).to.deep.equal(['f']);
      });

      it('a directory whose file was replaced by rename can be emptied and removed', async function () {
        await io.mkdir('d');
        await putFile(io, 'd/tmp', bytes('1'));
        await io.rename('d/tmp', 'd/f');
        await putFile(io, 'd/tmp', bytes('2'));
        await io.rename('d/tmp', 'd/f');
        expect(await io.readdir('d')).to.deep.equal(['f']);
        expect(await getFile(io, 'd/f')).to.deep.equal(bytes('2'));
        await io.unlink('d/f');
        await io.rmdir('d');
        expect(await io.readdir('.')).to.deep.equal([]);
      });

      it('renaming a path onto itself changes nothing', async function () {
        await putFile(io, 'a', bytes('same'));
        await io.rename('a', 'a');
        await io.rename('./a', 'a');
        expect(await getFile(io, 'a')).to.deep.equal(bytes('same'));
      });

      it('fails with the Linux codes, changing nothing', async function () {
        await putFile(io, 'f', bytes('file'));
        await io.mkdir('d');
        await io.mkdir('full');
        await putFile(io, 'full/x', bytes('x'));
        await io.mkdir('empty');
        await expectCode(() => io.rename('missing', 'z'), 'ENOENT');
        await expectCode(() => io.rename('f', 'missing/z'), 'ENOENT');
        await expectCode(() => io.rename('f', 'd'), 'EISDIR');
        await expectCode(() => io.rename('d', 'f'), 'ENOTDIR');
        await expectCode(() => io.rename('empty', 'full'), 'ENOTEMPTY');
        await expectCode(() => io.rename('d', 'd/inside'), 'EINVAL');
        await expectCode(() => io.rename('f', 'f/x'), 'ENOTDIR');
        // A last `.` (the root's too) cannot be renamed or replaced: EBUSY, as Linux answers.
        await expectCode(() => io.rename('.', 'z'), 'EBUSY');
        await expectCode(() => io.rename('f', '.'), 'EBUSY');
        await expectCode(() => io.rename('f', '../z'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.rename('/f', 'z'), 'ERR_PATH_ESCAPE');
        expect(await io.readdir('.')).to.deep.equal(['d', 'empty', 'f', 'full']);
        expect(await io.readdir('full')).to.deep.equal(['x']);
        expect(await getFile(io, 'f')).to.deep.equal(bytes('file'));
      });
    });

    describe('unlink, mkdir, rmdir, readdir', function () {
      it('unlink removes the name; an open fd stays readable and writable', async function () {
        await putFile(io, 'f', bytes('still here'));
        const fd = await io.open('f', { read: true, write: true });
        await io.unlink('f');
        await expectCode(() => io.stat('f'), 'ENOENT');
        expect(await io.readdir('.')).to.deep.equal([]);
        expect(await readUpTo(io, fd, 100)).to.deep.equal(bytes('still here'));
        await writeAll(io, fd, bytes('!'), 10);
        expect((await io.stat(fd)).sizeBytes).to.equal(11);
        expect(await readUpTo(io, fd, 100)).to.deep.equal(bytes('still here!'));
        await io.fsync(fd);
        await io.close(fd);
        await expectCode(() => io.open('f'), 'ENOENT');
      });

      it('unlink: ENOENT when missing, EISDIR on a directory', async function () {
        await io.mkdir('d');
        await expectCode(() => io.unlink('nope'), 'ENOENT');
        await expectCode(() => io.unlink('d'), 'EISDIR');
        await expectCode(() => io.unlink('.'), 'EISDIR');
        expect(await io.readdir('.')).to.deep.equal(['d']);
      });

      it('mkdir creates; EEXIST when the path exists, ENOENT without parent, ENOTDIR under a file', async function () {
        await io.mkdir('d');
        await io.mkdir('d/e');
        expect((await io.stat('d/e')).isDirectory).to.equal(true);
        await putFile(io, 'f', bytes('x'));
        await expectCode(() => io.mkdir('d'), 'EEXIST');
        await expectCode(() => io.mkdir('f'), 'EEXIST');
        await expectCode(() => io.mkdir('.'), 'EEXIST');
        await expectCode(() => io.mkdir('missing/e'), 'ENOENT');
        await expectCode(() => io.mkdir('f/e'), 'ENOTDIR');
        expect(await getFile(io, 'f')).to.deep.equal(bytes('x'));
        expect(await io.readdir('d')).to.deep.equal(['e']);
      });

      it('rmdir removes an empty directory; ENOTEMPTY, ENOTDIR, ENOENT otherwise; the root is EINVAL', async function () {
        await io.mkdir('d');
        await io.mkdir('d/e');
        await putFile(io, 'f', bytes('x'));
        await expectCode(() => io.rmdir('d'), 'ENOTEMPTY');
        await expectCode(() => io.rmdir('f'), 'ENOTDIR');
        await expectCode(() => io.rmdir('nope'), 'ENOENT');
        await expectCode(() => io.rmdir('.'), 'EINVAL');
        await expectCode(() => io.rmdir('./'), 'EINVAL');
        await io.rmdir('d/e');
        await io.rmdir('d');
        expect(await io.readdir('.')).to.deep.equal(['f']);
      });

      it('readdir lists names sorted by UTF-16 code unit, without . and ..', async function () {
        const names = ['b', 'B', 'a', '_x', '10', '9', 'é', 'zeta', 'Ω', 'a.b', '-'];
        for (const n of names) await putFile(io, n, bytes(n));
        await io.mkdir('dir');
        const expected = [...names, 'dir'].sort();
        expect(await io.readdir('.')).to.deep.equal(expected);
        expect(await io.readdir('dir')).to.deep.equal([]);
      });

      it('readdir: ENOENT when missing, ENOTDIR on a file', async function () {
        await putFile(io, 'f', bytes('x'));
        await expectCode(() => io.readdir('nope'), 'ENOENT');
        await expectCode(() => io.readdir('f'), 'ENOTDIR');
      });
    });

    describe('file descriptors', function () {
      it('every fd operation after close is EBADF; closing twice is EBADF', async function () {
        await putFile(io, 'f', bytes('abc'));
        const fd = await io.open('f', { read: true, write: true });
        await io.close(fd);
        await expectCode(() => io.read(fd, new Uint8Array(1), 0), 'EBADF');
        await expectCode(() => io.write(fd, bytes('z'), 0), 'EBADF');
        await expectCode(() => io.readv(fd, [new Uint8Array(1)], 0), 'EBADF');
        await expectCode(() => io.writev(fd, [bytes('z')], 0), 'EBADF');
        await expectCode(() => io.fsync(fd), 'EBADF');
        await expectCode(() => io.truncate(fd, 0), 'EBADF');
        await expectCode(() => io.allocate(fd, 0, 10), 'EBADF');
        await expectCode(() => io.stat(fd), 'EBADF');
        await expectCode(() => io.close(fd), 'EBADF');
        expect(await getFile(io, 'f')).to.deep.equal(bytes('abc'));
      });

      it('fd numbers never handed out are EBADF', async function () {
        for (const fd of [0, 1, 2, 3, 999, 123_456, 0x7fff_ffff]) {
          await expectCode(() => io.read(fd, new Uint8Array(1), 0), 'EBADF');
          await expectCode(() => io.close(fd), 'EBADF');
        }
      });

      it('malformed fds are ERR_INVALID_ARGUMENT', async function () {
        for (const [, bad] of BAD_FDS) {
          const fd = bad as number;
          await expectCode(() => io.read(fd, new Uint8Array(1), 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.write(fd, new Uint8Array(1), 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.fsync(fd), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.truncate(fd, 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.close(fd), 'ERR_INVALID_ARGUMENT');
        }
      });

      it('an fd closed while another is open leaves the other working', async function () {
        await putFile(io, 'f', bytes('abc'));
        const a = await io.open('f');
        const b = await io.open('f');
        await io.close(a);
        expect(await readUpTo(io, b, 10)).to.deep.equal(bytes('abc'));
        await io.close(b);
      });
    });

    describe('paths as Linux reads them', function () {
      it('a trailing slash demands a directory; a last "." names the directory itself (answers measured on Linux)', async function () {
        await putFile(io, 'a', bytes('x'));
        await putFile(io, 'b', bytes('y'));
        await io.mkdir('d1x');
        await io.mkdir('d2');
        const rw = { write: true, create: true } as const;
        await expectCode(() => io.open('x/', rw), 'EISDIR');
        await expectCode(() => io.open('x/.', rw), 'ENOENT');
        await expectCode(() => io.open('a/'), 'ENOTDIR');
        await expectCode(() => io.open('a/.'), 'ENOTDIR');
        await expectCode(() => io.open('a/', rw), 'EISDIR');
        await expectCode(() => io.open('m/'), 'ENOENT');
        await io.close(await io.open('d2/'));
        await io.close(await io.open('d2/.', { directory: true }));
        await expectCode(() => io.open('d2/.', rw), 'EISDIR');
        await expectCode(() => io.open('d2/.', { ...rw, exclusive: true }), 'EEXIST');
        await expectCode(() => io.open('d2/', { ...rw, exclusive: true }), 'EISDIR');
        await expectCode(() => io.unlink('a/.'), 'ENOTDIR');
        await expectCode(() => io.unlink('a/'), 'ENOTDIR');
        await expectCode(() => io.unlink('d2/.'), 'EISDIR');
        await expectCode(() => io.unlink('m/'), 'ENOENT');
        await expectCode(() => io.unlink('.'), 'EISDIR');
        await expectCode(() => io.stat('a/'), 'ENOTDIR');
        await expectCode(() => io.stat('a/.'), 'ENOTDIR');
        expect((await io.stat('d2/.')).isDirectory).to.equal(true);
        await expectCode(() => io.rmdir('d1x/.'), 'EINVAL');
        await expectCode(() => io.rmdir('d1x/./'), 'EINVAL');
        await expectCode(() => io.rmdir('m/.'), 'ENOENT');
        await expectCode(() => io.rmdir('a/'), 'ENOTDIR');
        await expectCode(() => io.rename('b', 'd1/.'), 'ENOENT');
        await expectCode(() => io.rename('b', 'a/.'), 'ENOTDIR');
        await expectCode(() => io.rename('b', 'a/'), 'ENOTDIR');
        await expectCode(() => io.rename('b/', 'c'), 'ENOTDIR');
        await expectCode(() => io.rename('b', 'n/'), 'ENOTDIR');
        await expectCode(() => io.rename('d2/.', 'n'), 'EBUSY');
        await expectCode(() => io.rename('d2', 'd1x/.'), 'EBUSY');
        await expectCode(() => io.mkdir('n/.'), 'ENOENT');
        await expectCode(() => io.mkdir('a/'), 'EEXIST');
        await expectCode(() => io.mkdir('a/.'), 'ENOTDIR');
        await expectCode(() => io.mkdir('d2/.'), 'EEXIST');
        await expectCode(() => io.readdir('a/'), 'ENOTDIR');
        expect(await io.readdir('d2/.')).to.deep.equal([]);
        // What succeeds with a trailing slash acts on the directory.
        await io.rmdir('d1x/');
        await io.mkdir('n/');
        await io.rename('d2/', 'e/');
        expect(await io.readdir('.')).to.deep.equal(['a', 'b', 'e', 'n']);
        expect(await getFile(io, 'a')).to.deep.equal(bytes('x'));
      });

      it('drive letters and backslashes are ordinary characters', async function () {
        await io.mkdir('c:x');
        await io.close(await io.open('C:', { write: true, create: true }));
        await putFile(io, 'b', bytes('y'));
        await io.rename('b', '\\a');
        await io.close(await io.open('c:x/\\', { write: true, create: true }));
        expect(await io.readdir('.')).to.deep.equal(['C:', '\\a', 'c:x']);
        expect(await io.readdir('c:x')).to.deep.equal(['\\']);
      });

      it('a name past NAME_MAX is ENAMETOOLONG only once the walk reaches it', async function () {
        const long = 'n'.repeat(NAME_BYTES_MAX + 1);
        await putFile(io, 'a', bytes('x'));
        await expectCode(() => io.stat(`zz/${long}`), 'ENOENT');
        await expectCode(() => io.stat(`a/${long}`), 'ENOTDIR');
        await expectCode(() => io.mkdir(`zz/${long}`), 'ENOENT');
        await expectCode(() => io.stat(`${long}/zz`), 'ENAMETOOLONG');
        await expectCode(() => io.open(long, { write: true, create: true }), 'ENAMETOOLONG');
        await expectCode(() => io.rename('a', `zz/${long}`), 'ENOENT');
        await expectCode(() => io.rename('m', long), 'ENOENT');
        await expectCode(() => io.rename('a', long), 'ENAMETOOLONG');
        await expectCode(() => io.open(`${long}/`, { write: true, create: true }), 'EISDIR');
        expect(await io.readdir('.')).to.deep.equal(['a']);
      });

      it('names are the UTF-8 bytes Node sends: lone surrogates become U+FFFD', async function () {
        await io.close(await io.open('\ud800', { write: true, create: true, exclusive: true }));
        await expectCode(() => io.open('\udc00', { write: true, create: true, exclusive: true }), 'EEXIST');
        expect((await io.stat('\ufffd')).isFile).to.equal(true);
        expect(await io.readdir('.')).to.deep.equal(['\ufffd']);
      });
    });

    describe('file size limit', function () {
      const limitBytes = supports.fileSizeMaxBytes ?? FILE_SIZE_MAX_BYTES;
      async function withFile(body: (fd: number) => Promise<void>): Promise<void> {
        const fd = await io.open('f', { read: true, write: true, create: true });
        await body(fd);
        await io.close(fd);
      }

      it('is ext4\'s 2^44 - 4096: a write at or past it, or a truncate or allocation past it, is EFBIG', async function () {
        expect(FILE_SIZE_MAX_BYTES).to.equal(2 ** 44 - 4096);
        await withFile(async (fd) => {
          await expectCode(() => io.write(fd, bytes('z'), limitBytes), 'EFBIG');
          await expectCode(() => io.writev(fd, [bytes('z'), bytes('z')], limitBytes), 'EFBIG');
          if (limitBytes === FILE_SIZE_MAX_BYTES) await expectCode(() => io.write(fd, bytes('z'), 2 ** 44 - 1), 'EFBIG');
          await expectCode(() => io.truncate(fd, limitBytes + 1), 'EFBIG');
          await expectCode(() => io.truncate(fd, 2 ** 44), 'EFBIG');
          await expectCode(() => io.allocate(fd, limitBytes, 1), 'EFBIG');
          await expectCode(() => io.allocate(fd, 0, limitBytes + 1), 'EFBIG');
          // Zero bytes are not checked against the limit (Linux returns before).
          expect(await io.write(fd, new Uint8Array(0), limitBytes)).to.equal(0);
          expect(await io.writev(fd, [], 2 ** 44)).to.equal(0);
          expect(await io.read(fd, new Uint8Array(8), 2 ** 44 - 4)).to.equal(0);
          expect((await io.stat(fd)).sizeBytes).to.equal(0);
        });
      });

      itIf(supports.fileSizeMaxBytes === undefined, 'fileSizeMax', 'a write crossing the limit is short; the file ends exactly at it', async function () {
        await withFile(async (fd) => {
          expect(await io.write(fd, pattern(85), FILE_SIZE_MAX_BYTES - 4097)).to.equal(85);
          expect(await io.write(fd, pattern(85), 2 ** 44 - 4097)).to.equal(1);
          expect(await io.write(fd, pattern(85), FILE_SIZE_MAX_BYTES - 1)).to.equal(1);
          expect(await io.writev(fd, [pattern(3), pattern(5)], FILE_SIZE_MAX_BYTES - 4)).to.equal(4);
          expect((await io.stat(fd)).sizeBytes).to.equal(FILE_SIZE_MAX_BYTES);
          await io.truncate(fd, FILE_SIZE_MAX_BYTES);
          await io.allocate(fd, FILE_SIZE_MAX_BYTES - 1, 1);
          const out = new Uint8Array(8);
          expect(await io.read(fd, out, FILE_SIZE_MAX_BYTES - 4)).to.equal(4);
          expect(out.subarray(0, 4)).to.deep.equal(new Uint8Array([...pattern(3), pattern(5)[0] as number]));
          await io.truncate(fd, 0);
        });
      });
    });

    describe('path escapes', function () {
      it('absolute paths and .. components are ERR_PATH_ESCAPE for every path operation', async function () {
        await io.mkdir('d');
        await putFile(io, 'f', bytes('x'));
        const escapes = ['/etc/passwd', '/', '..', '../x', 'd/../../x', 'd/..', './..'];
        for (const p of escapes) {
          await expectCode(() => io.open(p), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.open(p, { write: true, create: true }), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.stat(p), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.mkdir(p), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.rmdir(p), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.unlink(p), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.readdir(p), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.rename('f', p), 'ERR_PATH_ESCAPE');
          await expectCode(() => io.rename(p, 'g'), 'ERR_PATH_ESCAPE');
        }
        expect(await io.readdir('.')).to.deep.equal(['d', 'f']);
      });

      itIf(supports.symlinks, 'symlinks', 'a symlink resolving outside the root is ERR_PATH_ESCAPE; one inside works', async function () {
        const inst = instance!;
        const outside = inst.outsideDirectory!;
        await inst.makeSymlink!(outside, 'outdir');
        await inst.makeSymlink!(`${outside}/outside.txt`, 'outfile');
        await inst.makeSymlink!(`${outside}/created-through-link`, 'dangling');
        await expectCode(() => io.open('outfile'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('outfile', { write: true }), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('outdir/outside.txt'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('outdir/new', { write: true, create: true }), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('outdir', { directory: true }), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('dangling', { write: true, create: true }), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.stat('outfile'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.stat('outdir'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.stat('outdir/outside.txt'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.readdir('outdir'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.mkdir('outdir/x'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.unlink('outdir/outside.txt'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.rename('outdir/outside.txt', 'stolen'), 'ERR_PATH_ESCAPE');
        // Links themselves live inside the root: removing one is allowed and leaves the target.
        await io.unlink('outfile');
        expect((await io.readdir('.')).sort()).to.deep.equal(['dangling', 'outdir']);

        await io.mkdir('real');
        await putFile(io, 'real/f', bytes('inside'));
        await inst.makeSymlink!('real', 'alias');
        await inst.makeSymlink!('real/f', 'alias-f');
        expect(await getFile(io, 'alias/f')).to.deep.equal(bytes('inside'));
        expect(await getFile(io, 'alias-f')).to.deep.equal(bytes('inside'));
        expect((await io.stat('alias')).isDirectory).to.equal(true);
        const dirFd = await io.open('alias', { directory: true });
        expect((await io.stat(dirFd)).isDirectory).to.equal(true);
        await io.close(dirFd);
        expect(await io.readdir('alias')).to.deep.equal(['f']);
      });

      itIf(supports.symlinks, 'symlinks', 'a relative symlink climbing out of the root is ERR_PATH_ESCAPE', async function () {
        const inst = instance!;
        await io.mkdir('d');
        await inst.makeSymlink!('../../..', 'd/up');
        await expectCode(() => io.readdir('d/up'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('d/up/x', { write: true, create: true }), 'ERR_PATH_ESCAPE');
      });

      itIf(supports.symlinks, 'symlinks', 'rename moves a symlink itself, never what it points to outside the root', async function () {
        const inst = instance!;
        const outside = inst.outsideDirectory!;
        await inst.makeSymlink!(`${outside}/outside.txt`, 'out_file');
        await inst.makeSymlink!(outside, 'out_dir');
        await io.rename('out_file', 'moved');
        await io.rename('out_dir', 'moved_dir');
        expect((await io.readdir('.')).sort()).to.deep.equal(['moved', 'moved_dir']);
        // Still links to the outside: nothing from outside was moved into the root.
        await expectCode(() => io.stat('moved'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('moved'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.readdir('moved_dir'), 'ERR_PATH_ESCAPE');
        // Over an existing file: the link replaces the file, the outside file stays where it is.
        await putFile(io, 'victim', bytes('inside'));
        await io.rename('moved', 'victim');
        await expectCode(() => io.stat('victim'), 'ERR_PATH_ESCAPE');
        await inst.makeSymlink!(`${outside}/outside.txt`, 'again');
        await expectCode(() => io.stat('again'), 'ERR_PATH_ESCAPE');
        await io.unlink('again');
        await io.unlink('victim');
        await io.unlink('moved_dir');
        expect(await io.readdir('.')).to.deep.equal([]);
      });

      itIf(supports.symlinks, 'symlinks', 'an absolute symlink is ERR_PATH_ESCAPE even when it names a place inside the root (RESOLVE_BENEATH)', async function () {
        const inst = instance!;
        expect(inst.rootDirectory, 'supports.symlinks needs rootDirectory').to.be.a('string');
        const root = inst.rootDirectory!;
        const under = (rel: string): string => (root.endsWith('/') ? root : `${root}/`) + rel;
        await io.mkdir('real');
        await putFile(io, 'real/f', bytes('inside'));
        await inst.makeSymlink!(under('real'), 'abs_dir');
        await inst.makeSymlink!(under('real/f'), 'abs_file');
        await inst.makeSymlink!(under('real/new'), 'abs_dangling');
        await inst.makeSymlink!(root, 'abs_root');
        await expectCode(() => io.open('abs_file'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('abs_dir/f'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('abs_dir', { directory: true }), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.open('abs_dangling', { write: true, create: true }), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.stat('abs_file'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.stat('abs_root/real'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.readdir('abs_dir'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.mkdir('abs_dir/x'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.unlink('abs_dir/f'), 'ERR_PATH_ESCAPE');
        await expectCode(() => io.rename('abs_dir/f', 'g'), 'ERR_PATH_ESCAPE');
        expect(await io.readdir('real')).to.deep.equal(['f']);
        // The links themselves are ordinary entries: lstat-like operations on them work.
        await io.rename('abs_file', 'abs_file2');
        await io.unlink('abs_file2');
        // Relative links inside the root, `..` included while it stays inside, are followed.
        await io.mkdir('d');
        await inst.makeSymlink!('../real/f', 'd/rel');
        expect(await getFile(io, 'd/rel')).to.deep.equal(bytes('inside'));
      });
    });

    describe('argument validation (invalid input changes nothing)', function () {
      async function withFile(body: (fd: number) => Promise<void>): Promise<void> {
        await putFile(io, 'f', bytes('original'));
        const fd = await io.open('f', { read: true, write: true });
        await body(fd);
        expect(await readUpTo(io, fd, 100)).to.deep.equal(bytes('original'));
        expect((await io.stat('f')).sizeBytes).to.equal(8);
        await io.close(fd);
      }

      it('offsets: negative, fractional, NaN, infinite, non-number, past the limit', async function () {
        await withFile(async (fd) => {
          for (const [, value, code] of BAD_NUMBERS) {
            const offset = value as number;
            await expectCode(() => io.read(fd, new Uint8Array(2), offset), code);
            await expectCode(() => io.write(fd, bytes('zz'), offset), code);
            await expectCode(() => io.readv(fd, [new Uint8Array(2)], offset), code);
            await expectCode(() => io.writev(fd, [bytes('zz')], offset), code);
            await expectCode(() => io.allocate(fd, offset, 10), code);
          }
        });
      });

      it('lengths: negative, fractional, NaN, infinite, non-number, past the limit', async function () {
        await withFile(async (fd) => {
          for (const [, value, code] of BAD_NUMBERS) {
            const length = value as number;
            await expectCode(() => io.truncate(fd, length), code);
            await expectCode(() => io.allocate(fd, 0, length), code);
          }
        });
      });

      it('a range ending past the offset limit is ERR_LIMIT_EXCEEDED', async function () {
        await withFile(async (fd) => {
          await expectCode(() => io.write(fd, bytes('zz'), OFFSET_MAX_BYTES - 1), 'ERR_LIMIT_EXCEEDED');
          await expectCode(() => io.writev(fd, [bytes('z'), bytes('z')], OFFSET_MAX_BYTES - 1), 'ERR_LIMIT_EXCEEDED');
          await expectCode(() => io.allocate(fd, OFFSET_MAX_BYTES - 1, 2), 'ERR_LIMIT_EXCEEDED');
        });
      });

      it('buffers: non-Uint8Array data is ERR_INVALID_ARGUMENT, a detached one ERR_DETACHED_BUFFER', async function () {
        await withFile(async (fd) => {
          const bad: unknown[] = ['text', [1, 2, 3], null, undefined, new ArrayBuffer(4), new DataView(new ArrayBuffer(4)), new Uint16Array(2), {}];
          for (const value of bad) {
            await expectCode(() => io.write(fd, value as Uint8Array, 0), 'ERR_INVALID_ARGUMENT');
            await expectCode(() => io.read(fd, value as Uint8Array, 0), 'ERR_INVALID_ARGUMENT');
          }
          await expectCode(() => io.write(fd, detachedBuffer(8), 0), 'ERR_DETACHED_BUFFER');
          await expectCode(() => io.read(fd, detachedBuffer(8), 0), 'ERR_DETACHED_BUFFER');
          await expectCode(() => io.readv(fd, [new Uint8Array(1), detachedBuffer(8)], 0), 'ERR_DETACHED_BUFFER');
        });
      });

      it('paths: non-strings, empty and NUL are ERR_INVALID_ARGUMENT', async function () {
        for (const bad of [42, null, undefined, {}, '', 'a\0b']) {
          const p = bad as string;
          await expectCode(() => io.open(p, { write: true, create: true }), 'ERR_INVALID_ARGUMENT');
          // A number is an fd to stat (EBADF here), not a malformed path.
          if (typeof bad !== 'number') await expectCode(() => io.stat(p), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.mkdir(p), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.unlink(p), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.readdir(p), 'ERR_INVALID_ARGUMENT');
        }
        expect(await io.readdir('.')).to.deep.equal([]);
      });

      it(`names up to ${NAME_BYTES_MAX} UTF-8 bytes work; longer names and paths are ENAMETOOLONG`, async function () {
        const longest = 'n'.repeat(NAME_BYTES_MAX);
        await putFile(io, longest, bytes('ok'));
        expect(await io.readdir('.')).to.deep.equal([longest]);
        await expectCode(() => io.open('n'.repeat(NAME_BYTES_MAX + 1), { write: true, create: true }), 'ENAMETOOLONG');
        // 128 two-byte characters: 256 bytes though only 128 UTF-16 units.
        await expectCode(() => io.open('é'.repeat(128), { write: true, create: true }), 'ENAMETOOLONG');
        await expectCode(() => io.mkdir('m'.repeat(NAME_BYTES_MAX + 1)), 'ENAMETOOLONG');
        const deep = Array.from({ length: Math.ceil((PATH_BYTES_MAX + 1) / 10) }, () => 'abcdefghi').join('/');
        await expectCode(() => io.stat(deep), 'ENAMETOOLONG');
        expect(await io.readdir('.')).to.deep.equal([longest]);
      });

      it('allocAligned returns zeroed buffers and refuses bad lengths synchronously', function () {
        for (const n of [0, 1, 4096, 10_000]) {
          const buffer = io.allocAligned(n);
          expect(buffer).to.be.instanceOf(Uint8Array);
          expect(buffer.byteLength).to.equal(n);
          expect(buffer.every((b) => b === 0)).to.equal(true);
        }
        for (const bad of [-1, 1.5, Number.NaN, '8']) {
          let caught: unknown;
          try {
            io.allocAligned(bad as number);
          } catch (err) {
            caught = err;
          }
          expect(caught).to.be.instanceOf(StorageError);
          expect((caught as StorageError).code).to.equal('ERR_INVALID_ARGUMENT');
        }
        return Promise.resolve();
      });
    });

    defineHostileArgumentTests(() => io, supports, { describe, it });

    describe('shutdown', function () {
      it('after shutdown every call rejects with ERR_CLOSED', async function () {
        await putFile(io, 'f', bytes('x'));
        const fd = await io.open('f', { read: true, write: true });
        await io.shutdown();
        const calls: Array<() => Promise<unknown>> = [
          () => io.open('f'), () => io.open('g', { write: true, create: true }),
          () => io.read(fd, new Uint8Array(1), 0), () => io.write(fd, bytes('y'), 0),
          () => io.readv(fd, [new Uint8Array(1)], 0), () => io.writev(fd, [bytes('y')], 0),
          () => io.fsync(fd), () => io.truncate(fd, 0), () => io.allocate(fd, 0, 1),
          () => io.stat('f'), () => io.stat(fd), () => io.rename('f', 'g'), () => io.unlink('f'),
          () => io.mkdir('d'), () => io.rmdir('d'), () => io.readdir('.'), () => io.close(fd),
        ];
        for (const c of calls) await expectCode(c, 'ERR_CLOSED');
      });

      it('after shutdown a call rejects with ERR_CLOSED whatever its arguments (writeDurable with bad options included)', async function () {
        await putFile(io, 'f', bytes('x'));
        const fd = await io.open('f', { read: true, write: true });
        await io.shutdown();
        const calls: Array<() => Promise<unknown>> = [
          () => io.writeDurable(fd, bytes('y'), 0),
          () => io.writeDurable(fd, bytes('y'), 0, { dataOnly: 'yes' } as unknown as { dataOnly: boolean }),
          () => io.writeDurable(fd, 'y' as unknown as Uint8Array, 0, { dataOnly: 'yes' } as unknown as { dataOnly: boolean }),
          () => io.fsync(fd, { dataOnly: 'yes' } as unknown as { dataOnly: boolean }),
          () => io.open('g', { bogus: true } as unknown as OpenFlags),
        ];
        for (const c of calls) await expectCode(c, 'ERR_CLOSED');
      });

      // A getter of the arguments is caller code run inside the call, after the call's own look
      // at whether the Io is usable: one that shuts the Io down must not leave the call acting on
      // (or, on UringIo, queued behind the teardown of) a closed Io.
      const reentrant: Array<[string, (io: Io, fd: number, shutdown: () => void) => Promise<unknown>]> = [
        ['open (a flag getter)', (io, _fd, shutdown) => io.open('g', { write: true, get create() { shutdown(); return true; } })],
        ['fsync (an options getter)', (io, fd, shutdown) => io.fsync(fd, { get dataOnly() { shutdown(); return true; } })],
        ['writeDurable (an options getter)', (io, fd, shutdown) => io.writeDurable(fd, bytes('y'), 0, { get dataOnly() { shutdown(); return true; } })],
        ['readv (an element getter)', (io, fd, shutdown) => io.readv(fd, elementGetter(new Uint8Array(1), shutdown), 0)],
        ['writev (an element getter)', (io, fd, shutdown) => io.writev(fd, elementGetter(bytes('y'), shutdown), 0)],
      ];
      for (const [label, call] of reentrant) {
        it(`${label} that shuts the Io down: the call rejects with ERR_CLOSED, never hangs, and shutdown resolves`, async function () {
          await putFile(io, 'f', bytes('x'));
          const fd = await io.open('f', { read: true, write: true });
          let shutdown: Promise<void> | undefined;
          const outcome = await settledWithin(call(io, fd, () => { shutdown = io.shutdown(); }), 5000);
          expect(outcome).to.equal('ERR_CLOSED');
          expect(shutdown, 'the getter ran').to.not.equal(undefined);
          expect(await settledWithin(shutdown as Promise<void>, 5000)).to.equal('ok');
          expect(io.metrics.inFlight).to.equal(0);
        });
      }

      it('namespace operations in flight at shutdown settle (complete or ERR_CLOSED) before it resolves; none hangs', async function () {
        await io.mkdir('d');
        await io.mkdir('d/r');
        for (const name of ['f', 'a', 'u']) await putFile(io, `d/${name}`, bytes('x'));
        // Each takes more than one step on some backend (UringIo opens the parent, then acts on
        // the name, then closes the parent): shutdown comes between the steps.
        const calls: Array<Promise<unknown>> = [
          io.stat('d/f'), io.readdir('d'), io.rename('d/a', 'd/b'), io.mkdir('d/e'), io.unlink('d/u'), io.rmdir('d/r'),
          io.open('d/f', { read: true }),
        ];
        const shutdown = io.shutdown();
        const outcomes = await Promise.all(calls.map((c) => settledWithin(c, 5000)));
        for (const outcome of outcomes) expect(['ok', 'ERR_CLOSED']).to.include(outcome);
        expect(await settledWithin(shutdown, 5000)).to.equal('ok');
        expect(io.metrics.inFlight).to.equal(0);
      });

      it('shutdown twice resolves both times', async function () {
        const first = io.shutdown();
        const second = io.shutdown();
        await Promise.all([first, second]);
        await io.shutdown();
      });

      it('operations in flight at shutdown settle (complete or ERR_CLOSED) before it resolves', async function () {
        await putFile(io, 'f', pattern(4096));
        const fd = await io.open('f');
        const outcomes: Array<'ok' | 'closed'> = [];
        const pending: Promise<void>[] = [];
        for (let i = 0; i < 32; i++) {
          const buffer = new Uint8Array(128);
          pending.push(io.read(fd, buffer, i * 128).then((n) => {
            expect(n).to.equal(128);
            expect(buffer).to.deep.equal(pattern(4096).subarray(i * 128, (i + 1) * 128));
            outcomes.push('ok');
          }, (err: unknown) => {
            expect(err).to.be.instanceOf(StorageError);
            expect((err as StorageError).code).to.equal('ERR_CLOSED');
            outcomes.push('closed');
          }));
        }
        await io.shutdown();
        await Promise.all(pending);
        expect(outcomes.length).to.equal(32);
        expect(io.metrics.inFlight).to.equal(0);
      });
    });

    describe('metrics', function () {
      it('counts operations, errors and bytes by kind', async function () {
        const before = io.metrics;
        for (const op of IO_OPERATIONS) {
          expect(before.operations[op]).to.equal(0);
          expect(before.errors[op]).to.equal(0);
        }
        expect(before.bytesRead).to.equal(0);
        expect(before.bytesWritten).to.equal(0);
        const fd = await io.open('f', { read: true, write: true, create: true });
        expect(await io.write(fd, pattern(100), 0)).to.equal(100);
        expect(await io.writev(fd, [pattern(10), pattern(5)], 100)).to.equal(15);
        expect(await io.read(fd, new Uint8Array(200), 0)).to.equal(115);
        expect(await io.readv(fd, [new Uint8Array(10)], 0)).to.equal(10);
        await io.fsync(fd);
        await io.truncate(fd, 50);
        await io.stat(fd);
        await expectCode(() => io.open('missing'), 'ENOENT');
        await io.close(fd);
        const after = io.metrics;
        expect(after.operations.open).to.equal(2);
        expect(after.errors.open).to.equal(1);
        expect(after.operations.write).to.equal(2);
        expect(after.operations.read).to.equal(2);
        expect(after.operations.fsync).to.equal(1);
        expect(after.operations.truncate).to.equal(1);
        expect(after.operations.stat).to.equal(1);
        expect(after.operations.close).to.equal(1);
        expect(after.errors.read).to.equal(0);
        expect(after.bytesWritten).to.equal(115);
        expect(after.bytesRead).to.equal(125);
        expect(after.inFlight).to.equal(0);
        expect(before.operations.open, 'a snapshot does not change later').to.equal(0);
      });

      it('inFlight counts concurrent operations and inFlightMax remembers the peak', async function () {
        await putFile(io, 'f', pattern(1024));
        const fd = await io.open('f', { read: true, write: true });
        // Syncs, which no backend settles at the call (a read or a write may complete at once: see
        // Io.read and Io.write).
        const syncs = Array.from({ length: 64 }, () => io.fsync(fd));
        expect(io.metrics.inFlight).to.equal(64);
        await Promise.all(syncs);
        const m = io.metrics;
        expect(m.inFlight).to.equal(0);
        expect(m.inFlightMax).to.be.at.least(64);
        await io.close(fd);
      });
    });

    describe('clock', function () {
      it('now() never decreases', async function () {
        let last = io.clock.now();
        expect(Number.isFinite(last)).to.equal(true);
        for (let i = 0; i < 1000; i++) {
          const t = io.clock.now();
          expect(t).to.be.at.least(last);
          last = t;
          if (i % 100 === 0) await io.clock.sleep(0);
        }
      });

      it('sleep(ms) resolves after at least ms of clock time; sleep(0) yields', async function () {
        // Busy first: a real event loop's cached time then lags the clock, which must not shorten the sleep.
        // Spins on real time, not io.clock: a simulated clock does not move while nothing awaits.
        const busyUntil = performance.now() + 15;
        while (performance.now() < busyUntil) { /* spin */ }
        const t0 = io.clock.now();
        await io.clock.sleep(20);
        expect(io.clock.now() - t0).to.be.at.least(20);
        await io.clock.sleep(0);
      });

      it('sleep rejects negative, NaN and infinite durations with ERR_INVALID_ARGUMENT', async function () {
        for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5', null]) {
          await expectCode(() => io.clock.sleep(bad as number), 'ERR_INVALID_ARGUMENT');
        }
      });
    });

    describe('concurrency', function () {
      it('256 reads in flight at once all return the right bytes', async function () {
        const data = pattern(256 * 512, 9);
        await putFile(io, 'f', data);
        const fd = await io.open('f');
        const buffers = Array.from({ length: 256 }, () => new Uint8Array(512));
        const counts = await Promise.all(buffers.map((b, i) => io.read(fd, b, i * 512)));
        for (let i = 0; i < 256; i++) {
          expect(counts[i]).to.equal(512);
          expect(buffers[i]).to.deep.equal(data.subarray(i * 512, (i + 1) * 512));
        }
        await io.close(fd);
      });

      it('256 writes in flight at once to disjoint ranges all land', async function () {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const counts = await Promise.all(Array.from({ length: 256 }, (_, i) => io.write(fd, pattern(100, i), i * 100)));
        expect(counts.every((n) => n === 100)).to.equal(true);
        for (let i = 0; i < 256; i += 17) {
          expect(await readUpTo(io, fd, 100, i * 100)).to.deep.equal(pattern(100, i));
        }
        expect((await io.stat(fd)).sizeBytes).to.equal(25_600);
        await io.close(fd);
      });

      it('closing an fd while operations on it are in flight lets them finish', async function () {
        await putFile(io, 'f', pattern(8192));
        const fd = await io.open('f');
        const reads = Array.from({ length: 16 }, (_, i) => {
          const b = new Uint8Array(512);
          return io.read(fd, b, i * 512).then((n) => ({ n, b, i }));
        });
        const closing = io.close(fd);
        for (const { n, b, i } of await Promise.all(reads)) {
          expect(n).to.equal(512);
          expect(b).to.deep.equal(pattern(8192).subarray(i * 512, (i + 1) * 512));
        }
        await closing;
        await expectCode(() => io.read(fd, new Uint8Array(1), 0), 'EBADF');
      });

      it('many files open, written and closed concurrently', async function () {
        await Promise.all(Array.from({ length: 64 }, async (_, i) => {
          await putFile(io, `f${i}`, pattern(300, i));
        }));
        const names = await io.readdir('.');
        expect(names.length).to.equal(64);
        for (let i = 0; i < 64; i += 7) expect(await getFile(io, `f${i}`)).to.deep.equal(pattern(300, i));
      });
    });

    describe('direct I/O', function () {
      itIf(supports.direct, 'direct', 'aligned transfers work; misaligned offsets and lengths are EINVAL', async function () {
        const align = io.features.directAlignmentBytes;
        expect(io.features.direct).to.equal(true);
        const fd = await io.open('f', { read: true, write: true, create: true, direct: true });
        const data = io.allocAligned(2 * align);
        data.set(pattern(2 * align));
        expect(await io.write(fd, data, 0)).to.equal(2 * align);
        const back = io.allocAligned(2 * align);
        expect(await io.read(fd, back, 0)).to.equal(2 * align);
        expect(back).to.deep.equal(data);
        await expectCode(() => io.write(fd, data, 1), 'EINVAL');
        await expectCode(() => io.write(fd, data.subarray(0, align - 1), 0), 'EINVAL');
        await expectCode(() => io.read(fd, back, 7), 'EINVAL');
        await io.close(fd);
      });
    });

    describe('tmpfile', function () {
      itIf(supports.tmpfile, 'tmpfile', 'an O_TMPFILE file is readable and writable and has no name', async function () {
        expect(io.features.tmpfile).to.equal(true);
        await io.mkdir('d');
        const fd = await io.open('d', { write: true, read: true, tmpfile: true });
        await writeAll(io, fd, bytes('anon'));
        expect(await readUpTo(io, fd, 10)).to.deep.equal(bytes('anon'));
        expect(await io.readdir('d')).to.deep.equal([]);
        await io.close(fd);
        expect(await io.readdir('d')).to.deep.equal([]);
      });
    });
  });

  defineIoModelTest(name, factory, supports, runner);
}
