/**
 * The Storage conformance suite: `Storage`/`Blob` (built by `createStorage` over the backend's Io)
 * held to the contract of `src/interfaces/storage.ts`. It covers what commonware's shared storage
 * test suite covers (open/write, remove and read-after-remove in all its forms, scan, concurrency,
 * large data, vectored writes, gaps, resize, partition names, versions, header layout, zero-length
 * reads, reads into caller buffers) and adds header damage and torn-creation healing, atomic
 * replacement, binary names, and the error code of every kind of bad input.
 *
 * Every test gets a fresh backend from the factory. Raw file checks go through the same Io, so the
 * suite needs nothing of the backend beyond the Io contract.
 */
import { crc32c } from '@node-rs/crc32';
import { expect } from 'chai';
import type { ErrorCode } from '../../src/interfaces/errors.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import {
  BLOB_HEADER_BYTES, BLOB_NAME_BYTES_MAX, BLOB_SIZE_MAX_BYTES, BLOB_WRITE_BUFFERS_MAX, IOV_COUNT_MAX, PARTITION_NAME_LENGTH_MAX,
} from '../../src/interfaces/limits.js';
import type { Blob, BlobOpenOptions, Storage } from '../../src/interfaces/storage.js';
import { createStorage, type StorageOptions } from '../../src/storage/index.js';
import { conformanceRunner, type BackendFactory, type BackendInstance, type ConformanceSupports, type TestRunnerFunctions } from './harness.js';
import { defineStorageModelTest } from './storage-model.js';

/** What {@link defineStorageConformance} needs to know about the backend beyond the Io suite's manifest. */
export type StorageConformanceSupports = ConformanceSupports & {
  /** Options passed to `createStorage` (e.g. `{ direct: true }` to run the suite in direct mode). */
  readonly storageOptions?: StorageOptions;
};

const MAGIC = new Uint8Array([0x46, 0x4c, 0x54, 0x4c, 0x42, 0x4c, 0x4f, 0x42]); // "FLTLBLOB"
const utf8 = new TextEncoder();

function bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

function hex(name: string | Uint8Array): string {
  return Buffer.from(typeof name === 'string' ? bytes(name) : name).toString('hex');
}

function blobPath(partition: string, name: string | Uint8Array): string {
  return `${partition}/${hex(name)}`;
}

/** Deterministic pseudo-random bytes (a xorshift stream), so failures reproduce. */
export function patternBytes(lengthBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < lengthBytes; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
}

/** Awaits `promise` and checks it rejects with a StorageError of `code`; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<StorageError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (err) {
    outcome = err;
  }
  expect(outcome, `expected a rejection with ${code}`).to.be.instanceOf(StorageError);
  expect((outcome as StorageError).code).to.equal(code);
  return outcome as StorageError;
}

/** Calls `call` and checks it returned a promise (never threw synchronously) rejecting with `code`. */
async function expectAsyncCode(call: () => Promise<unknown>, code: ErrorCode): Promise<StorageError> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (err) {
    expect.fail(`threw synchronously instead of rejecting: ${String(err)}`);
  }
  expect(promise).to.be.instanceOf(Promise);
  return expectCode(promise, code);
}

/** Reads a whole file through the Io. */
async function readRaw(io: Io, path: string): Promise<Uint8Array> {
  const fd = await io.open(path, { read: true });
  try {
    const sizeBytes = (await io.stat(fd)).sizeBytes;
    const out = new Uint8Array(sizeBytes);
    let doneBytes = 0;
    while (doneBytes < sizeBytes) {
      const n = await io.read(fd, out.subarray(doneBytes), doneBytes);
      if (n === 0) throw new Error('raw read ended early');
      doneBytes += n;
    }
    return out;
  } finally {
    await io.close(fd);
  }
}

/** Writes `data` at `offsetBytes` of a file through the Io (creating it, optionally truncating first). */
async function writeRaw(io: Io, path: string, data: Uint8Array, offsetBytes = 0, truncate = false): Promise<void> {
  const fd = await io.open(path, { write: true, create: true, truncate });
  try {
    let doneBytes = 0;
    while (doneBytes < data.byteLength) doneBytes += await io.write(fd, data.subarray(doneBytes), offsetBytes + doneBytes);
  } finally {
    await io.close(fd);
  }
}

/** A valid header for `version`, built independently of the implementation (for raw damage tests). */
function referenceHeader(version: number, layoutVersion = 1): Uint8Array {
  const header = new Uint8Array(BLOB_HEADER_BYTES);
  header.set(MAGIC, 0);
  const view = new DataView(header.buffer);
  view.setUint16(8, layoutVersion, true);
  view.setUint16(10, version, true);
  view.setUint32(12, crc32c(Buffer.from(header.subarray(0, 12))) >>> 0, true);
  return header;
}

function fixChecksum(header: Uint8Array): void {
  new DataView(header.buffer, header.byteOffset).setUint32(12, crc32c(Buffer.from(header.subarray(0, 12))) >>> 0, true);
}

/**
 * Defines the Storage conformance suite for one backend, and the model-based test of
 * `storage-model.ts`. `supports.storageOptions` are passed to `createStorage`. The runner's own
 * `{ describe, it }` (node:test, vitest) go in the optional last argument; mocha's are found.
 */
export function defineStorageConformance(
  name: string, factory: BackendFactory, supports: StorageConformanceSupports, runner?: TestRunnerFunctions,
): void {
  const { describe, it, beforeEach, afterEach } = conformanceRunner('defineStorageConformance', supports, runner);
  describe(`Storage conformance: ${name}${supports.storageOptions?.direct === true ? ' (direct)' : ''}`, function () {
    let backend: BackendInstance | undefined;
    let storageUnderTest: Storage | undefined;
    const extraStorages: Storage[] = [];

    beforeEach(async () => {
      backend = await factory();
      storageUnderTest = createStorage(backend.io, supports.storageOptions);
    });

    afterEach(async () => {
      for (const s of extraStorages.splice(0)) await s.close();
      await storageUnderTest?.close();
      await backend?.dispose();
      storageUnderTest = undefined;
      backend = undefined;
    });

    function io(): Io {
      if (backend === undefined) throw new Error('no backend');
      return backend.io;
    }
    function storage(): Storage {
      if (storageUnderTest === undefined) throw new Error('no storage');
      return storageUnderTest;
    }
    /** A second Storage over the same Io: what a restarted process would see. */
    function restarted(): Storage {
      const s = createStorage(io(), supports.storageOptions);
      extraStorages.push(s);
      return s;
    }
    async function openBlob(partition: string, blobName: string | Uint8Array, versions?: readonly [number, number]): Promise<Blob> {
      return (await storage().open(partition, blobName, versions === undefined ? undefined : { versions })).blob;
    }
    async function expectContent(blob: Blob, offsetBytes: number, expected: Uint8Array): Promise<void> {
      const got = await blob.readAt(offsetBytes, expected.byteLength);
      expect(Buffer.from(got).equals(Buffer.from(expected)), `content at ${offsetBytes}`).to.equal(true);
    }

    describe('open, write and read', () => {
      it('opens a new blob empty, writes and reads back', async () => {
        const opened = await storage().open('partition', 'test_blob');
        expect(opened.sizeBytes).to.equal(0);
        expect(opened.version).to.equal(0);
        expect(opened.blob.sizeBytes).to.equal(0);
        await opened.blob.writeAt(0, bytes('hello world'));
        expect(opened.blob.sizeBytes).to.equal(11);
        await expectContent(opened.blob, 0, bytes('hello world'));
      });

      it('stores the blob as a file named by the lowercase hex of its name', async () => {
        await storage().open('partition', 'Hello');
        expect(await io().readdir('partition')).to.deep.equal(['48656c6c6f']);
        const stat = await io().stat('partition/48656c6c6f');
        expect(stat.isFile).to.equal(true);
        expect(stat.sizeBytes).to.equal(BLOB_HEADER_BYTES);
      });

      it('persists across close and reopen, and across a new Storage on the same Io', async () => {
        const blob = await openBlob('partition', 'persist');
        await blob.writeAt(0, bytes('hello'));
        await blob.writeAt(5, [bytes(' '), bytes('world')]);
        await blob.sync();
        await blob.close();
        const again = await storage().open('partition', 'persist');
        expect(again.sizeBytes).to.equal(11);
        await expectContent(again.blob, 0, bytes('hello world'));
        const other = await restarted().open('partition', 'persist');
        expect(other.sizeBytes).to.equal(11);
        await expectContent(other.blob, 0, bytes('hello world'));
      });

      it('an empty write changes nothing, even far past the end', async () => {
        const blob = await openBlob('partition', 'empty_write');
        await blob.writeAt(1024, new Uint8Array(0));
        await blob.writeAt(4096, []);
        expect(blob.sizeBytes).to.equal(0);
        await blob.close();
        expect((await storage().open('partition', 'empty_write')).sizeBytes).to.equal(0);
      });

      it('overwrites data in place', async () => {
        const blob = await openBlob('test_overwrite_data', 'test_blob');
        await blob.writeAt(0, bytes('initial data'));
        await blob.writeAt(8, bytes('overwrite'));
        await expectContent(blob, 0, bytes('initial overwrite'));
        expect(blob.sizeBytes).to.equal(17);
      });

      it('appends', async () => {
        const blob = await openBlob('test_append_data', 'test_blob');
        await blob.writeAt(0, bytes('first'));
        await blob.writeAt(5, bytes('second'));
        await expectContent(blob, 0, bytes('firstsecond'));
      });

      it('overlapping writes: the later one wins', async () => {
        const blob = await openBlob('test_overlapping_writes', 'test_blob');
        await blob.writeAt(0, bytes('overlap'));
        await blob.writeAt(4, bytes('map'));
        await expectContent(blob, 0, bytes('overmap'));
      });

      it('writes at a large offset; the gap reads as zeros', async () => {
        const blob = await openBlob('test_write_at_large_offset', 'test_blob');
        await blob.writeAt(10_000, bytes('offset data'));
        expect(blob.sizeBytes).to.equal(10_011);
        await expectContent(blob, 10_000, bytes('offset data'));
        await expectContent(blob, 0, new Uint8Array(10_000));
      });

      it('reads and writes at interleaved offsets', async () => {
        const blob = await openBlob('partition', 'sequential');
        await blob.writeAt(0, bytes('first'));
        await blob.writeAt(10, bytes('second'));
        await expectContent(blob, 0, bytes('first'));
        await expectContent(blob, 10, bytes('second'));
        await expectContent(blob, 5, new Uint8Array(5));
      });

      it('writes and reads 10 MiB in one call', async () => {
        const blob = await openBlob('partition', 'large_blob');
        const data = patternBytes(10 * 1024 * 1024, 42);
        await blob.writeAt(0, data);
        expect(blob.sizeBytes).to.equal(data.byteLength);
        await expectContent(blob, 0, data);
        await blob.sync();
      });

      it('writes and reads 10 chunks of 1 MiB sequentially', async () => {
        const blob = await openBlob('test_large_data_in_chunks', 'large_blob');
        const chunkBytes = 1024 * 1024;
        for (let i = 0; i < 10; i++) await blob.writeAt(i * chunkBytes, patternBytes(chunkBytes, i));
        for (let i = 0; i < 10; i++) await expectContent(blob, i * chunkBytes, patternBytes(chunkBytes, i));
      });

      it('unaligned writes across sector boundaries keep the surrounding bytes', async () => {
        const blob = await openBlob('partition', 'unaligned');
        const base = patternBytes(3 * 4096 + 100, 7);
        await blob.writeAt(0, base);
        const expected = base.slice();
        const patches: Array<[number, number]> = [[1, 1], [4095, 2], [4000, 5000], [8191, 1], [3, 0], [12_000, 500]];
        for (const [offsetBytes, lengthBytes] of patches) {
          const patch = patternBytes(lengthBytes, offsetBytes);
          await blob.writeAt(offsetBytes, patch);
          const endBytes = offsetBytes + lengthBytes;
          if (endBytes > expected.byteLength) {
            const grown = new Uint8Array(endBytes);
            grown.set(expected);
            grown.set(patch, offsetBytes);
            await expectContent(blob, 0, grown);
            expect(blob.sizeBytes).to.equal(endBytes);
            return;
          }
          expected.set(patch, offsetBytes);
          await expectContent(blob, 0, expected);
        }
      });
    });

    describe('vectored writes', () => {
      async function roundTrip(partition: string, chunks: readonly Uint8Array[], offsetBytes = 0): Promise<Blob> {
        const blob = await openBlob(partition, 'test_blob');
        await blob.writeAt(offsetBytes, chunks);
        const expected = concat(chunks);
        expect(blob.sizeBytes).to.equal(offsetBytes + expected.byteLength);
        await expectContent(blob, offsetBytes, expected);
        return blob;
      }

      it('writes chunks back to back', async () => {
        await roundTrip('vectored_basic', [bytes('hello'), bytes(' '), bytes('world')]);
      });

      it('accepts empty chunks anywhere', async () => {
        await roundTrip('vectored_empty', [new Uint8Array(0), bytes('abc'), new Uint8Array(0), bytes('def'), new Uint8Array(0)]);
      });

      it('accepts more chunks than IOV_COUNT_MAX', async () => {
        const chunks = Array.from({ length: IOV_COUNT_MAX + 1 }, (_, i) => new Uint8Array([i & 0xff]));
        const blob = await roundTrip('vectored_many', chunks);
        await blob.sync();
      });

      it('accepts several thousand chunks of mixed sizes, empty ones included', async () => {
        const chunks = Array.from({ length: 3 * IOV_COUNT_MAX + 17 }, (_, i) => patternBytes(i % 7 === 0 ? 0 : (i * 31) % 97, i));
        await roundTrip('vectored_mixed', chunks, 123);
      });

      it('writes 128 chunks at a large offset; the prefix gap reads as zeros', async () => {
        const chunks = Array.from({ length: 128 }, (_, i) => new Uint8Array(i).fill(i));
        const blob = await roundTrip('vectored_large_offset', chunks, 5_000);
        await expectContent(blob, 0, new Uint8Array(5_000));
      });

      it('copies the chunk list: changing the array after the call does not change what is written', async () => {
        const blob = await openBlob('partition', 'array_copy');
        const chunks = [bytes('abc'), bytes('def')];
        const pending = blob.writeAt(0, chunks);
        chunks.length = 0;
        await pending;
        await expectContent(blob, 0, bytes('abcdef'));
      });
    });

    describe('writeAtDurable', () => {
      it('writes one buffer, several, and at unaligned offsets, as writeAt does, and syncs each time', async () => {
        const blob = await openBlob('durable', 'log');
        const fsyncsBefore = io().metrics.operations.fsync;
        await blob.writeAtDurable(0, bytes('first record|'));
        await blob.writeAtDurable(13, [bytes('second'), new Uint8Array(0), bytes(' record|')]);
        const big = patternBytes(70_000, 3);
        await blob.writeAtDurable(5_001, big);
        expect(blob.sizeBytes).to.equal(5_001 + big.byteLength);
        expect(io().metrics.operations.fsync - fsyncsBefore, 'one sync per call').to.equal(3);
        await expectContent(blob, 0, bytes('first record|second record|'));
        await expectContent(blob, 5_001, big);
        await blob.close();
        const again = await restarted().open('durable', 'log');
        expect(again.sizeBytes).to.equal(5_001 + big.byteLength);
        await expectContent(again.blob, 5_001, big);
      });

      it('an empty write changes nothing but still syncs', async () => {
        const blob = await openBlob('durable', 'empty');
        await blob.writeAt(0, bytes('abc'));
        const before = io().metrics;
        await blob.writeAtDurable(9_000, new Uint8Array(0));
        await blob.writeAtDurable(0, []);
        expect(blob.sizeBytes).to.equal(3);
        expect(io().metrics.operations.fsync - before.operations.fsync).to.equal(2);
        expect(io().metrics.operations.write - before.operations.write).to.equal(0);
      });

      it('bad arguments reject with a stable code, naming the call, and write or sync nothing', async () => {
        const blob = await openBlob('durable', 'bad');
        await blob.writeAt(0, bytes('keep'));
        const before = io().metrics;
        const notBuffer = await expectCode(blob.writeAtDurable(0, 'text' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
        expect(notBuffer.details.operation).to.equal('blob.writeAtDurable');
        await expectCode(blob.writeAtDurable(-1, bytes('x')), 'ERR_INVALID_ARGUMENT');
        await expectCode(blob.writeAtDurable(BLOB_SIZE_MAX_BYTES, bytes('x')), 'ERR_LIMIT_EXCEEDED');
        expect(io().metrics.operations.write).to.equal(before.operations.write);
        expect(io().metrics.operations.fsync).to.equal(before.operations.fsync);
        expect(blob.sizeBytes).to.equal(4);
        await expectContent(blob, 0, bytes('keep'));
      });

      it('after close it is ERR_CLOSED', async () => {
        const blob = await openBlob('durable', 'closed');
        await blob.close();
        await expectCode(blob.writeAtDurable(0, bytes('x')), 'ERR_CLOSED');
      });
    });

    describe('reads', () => {
      it('reading past the end is ERR_OUT_OF_RANGE, for readAt and readInto', async () => {
        const blob = await openBlob('test_read_beyond', 'test_blob');
        await blob.writeAt(0, bytes('hello'));
        await expectCode(blob.readAt(6, 10), 'ERR_OUT_OF_RANGE');
        await expectCode(blob.readAt(0, 6), 'ERR_OUT_OF_RANGE');
        await expectCode(blob.readAt(5, 1), 'ERR_OUT_OF_RANGE');
        await expectCode(blob.readInto(new Uint8Array(10), 6), 'ERR_OUT_OF_RANGE');
        await expectCode(blob.readInto(new Uint8Array(10), 0), 'ERR_OUT_OF_RANGE');
        await expectContent(blob, 4, bytes('o'));
      });

      it('reading an empty blob is ERR_OUT_OF_RANGE', async () => {
        const blob = await openBlob('test_read_empty_blob', 'empty_blob');
        await expectCode(blob.readAt(0, 1), 'ERR_OUT_OF_RANGE');
        await expectCode(blob.readInto(new Uint8Array(1), 0), 'ERR_OUT_OF_RANGE');
        expect((await blob.readAt(0, 0)).byteLength).to.equal(0);
      });

      it('zero-length reads at or before the end resolve empty; past the end they are ERR_OUT_OF_RANGE', async () => {
        const blob = await openBlob('test_read_zero_length', 'blob');
        await blob.writeAt(0, bytes('hello'));
        expect((await blob.readAt(0, 0)).byteLength).to.equal(0);
        expect((await blob.readAt(5, 0)).byteLength).to.equal(0);
        const target = new Uint8Array(16).fill(9);
        const view = await blob.readInto(target, 0, 0);
        expect(view.byteLength).to.equal(0);
        expect([...target]).to.deep.equal(new Array(16).fill(9));
        await expectCode(blob.readAt(6, 0), 'ERR_OUT_OF_RANGE');
      });

      it('readInto with an exact buffer fills it and returns a view of the same memory', async () => {
        const blob = await openBlob('test_read_into', 'blob');
        await blob.writeAt(0, bytes('hello world'));
        const target = new Uint8Array(11);
        const view = await blob.readInto(target, 0);
        expect(view.buffer).to.equal(target.buffer);
        expect(view.byteOffset).to.equal(target.byteOffset);
        expect(view.byteLength).to.equal(11);
        expect(Buffer.from(target).toString()).to.equal('hello world');
      });

      it('readInto with a larger buffer fills only lengthBytes and leaves the rest alone', async () => {
        const blob = await openBlob('test_read_into_larger', 'blob');
        await blob.writeAt(0, bytes('hello world'));
        const backing = new Uint8Array(80).fill(0xee);
        const target = backing.subarray(8, 72);
        const view = await blob.readInto(target, 0, 11);
        expect(view.byteLength).to.equal(11);
        expect(view.buffer).to.equal(backing.buffer);
        expect(view.byteOffset).to.equal(8);
        expect(Buffer.from(view).toString()).to.equal('hello world');
        expect(backing.subarray(19).every((b) => b === 0xee)).to.equal(true);
        expect(backing.subarray(0, 8).every((b) => b === 0xee)).to.equal(true);
        const partial = await blob.readInto(new Uint8Array(64), 6, 5);
        expect(Buffer.from(partial).toString()).to.equal('world');
      });

      it('readInto into allocAligned memory: whole pages, part of a buffer, and a file another handle shrank', async () => {
        // In direct mode such a read goes to the Io in the caller's memory (no bounce); a short
        // read must still end as the bounce path ends it.
        const blob = await openBlob('test_read_into_aligned', 'blob');
        const data = patternBytes(3 * 4096, 11);
        await blob.writeAt(0, data);
        const memory = io().allocAligned(4 * 4096).fill(0xee);
        const whole = await blob.readInto(memory.subarray(4096, 3 * 4096), 4096);
        expect(Buffer.from(whole).equals(Buffer.from(data.subarray(4096, 3 * 4096)))).to.equal(true);
        expect(whole.buffer).to.equal(memory.buffer);
        const part = await blob.readInto(memory, 0, 4096);
        expect(Buffer.from(part).equals(Buffer.from(data.subarray(0, 4096)))).to.equal(true);
        expect(Buffer.from(memory.subarray(3 * 4096)).every((b) => b === 0xee), 'bytes past lengthBytes').to.equal(true);
        // Another Storage shrinks the file to one page and a half: this handle still sees three pages.
        const other = await restarted().open('test_read_into_aligned', 'blob');
        await other.blob.resize(4096 + 2048);
        expect(blob.sizeBytes).to.equal(3 * 4096);
        const err = await expectCode(blob.readInto(memory.subarray(0, 2 * 4096), 0), 'ERR_OUT_OF_RANGE');
        expect(err.details.reason).to.equal('file-shorter-than-handle-size');
        const first = await blob.readInto(memory.subarray(0, 4096), 0);
        expect(Buffer.from(first).equals(Buffer.from(data.subarray(0, 4096)))).to.equal(true);
      });

      it('readInto with lengthBytes larger than the buffer is ERR_INVALID_ARGUMENT', async () => {
        const blob = await openBlob('test_read_into_small', 'blob');
        await blob.writeAt(0, bytes('hello world'));
        await expectCode(blob.readInto(new Uint8Array(5), 0, 11), 'ERR_INVALID_ARGUMENT');
      });

      it('reads return fresh arrays that the caller owns', async () => {
        const blob = await openBlob('partition', 'fresh');
        await blob.writeAt(0, bytes('abcdef'));
        const first = await blob.readAt(0, 3);
        first.fill(0);
        await expectContent(blob, 0, bytes('abcdef'));
      });
    });

    describe('concurrency', () => {
      it('a read concurrent with a write of the same content sees it', async () => {
        const blob = await openBlob('partition', 'test_blob');
        await blob.writeAt(0, bytes('concurrent write'));
        const [, read] = await Promise.all([blob.writeAt(0, bytes('concurrent write')), blob.readAt(0, 16)]);
        expect(Buffer.from(read).toString()).to.equal('concurrent write');
      });

      it('many concurrent writes to disjoint ranges all land', async () => {
        const blob = await openBlob('partition', 'disjoint');
        const pieceBytes = 1000;
        await Promise.all(Array.from({ length: 64 }, (_, i) => blob.writeAt(i * pieceBytes, patternBytes(pieceBytes, i))));
        expect(blob.sizeBytes).to.equal(64 * pieceBytes);
        const whole = await blob.readAt(0, 64 * pieceBytes);
        for (let i = 0; i < 64; i++) {
          expect(Buffer.from(whole.subarray(i * pieceBytes, (i + 1) * pieceBytes)).equals(Buffer.from(patternBytes(pieceBytes, i)))).to.equal(true);
        }
      });

      it('concurrent opens of one new blob resolve with the same file, created once', async () => {
        const opened = await Promise.all(Array.from({ length: 8 }, () => storage().open('partition', 'racy', { versions: [0, 3] })));
        for (const o of opened) expect(o.version).to.equal(3);
        await opened[0]!.blob.writeAt(0, bytes('shared'));
        const fresh = await storage().open('partition', 'racy', { versions: [0, 3] });
        await expectContent(fresh.blob, 0, bytes('shared'));
        expect(await storage().scan('partition')).to.deep.equal(['racy']);
      });

      it('concurrent opens in many new partitions all succeed', async () => {
        await Promise.all(Array.from({ length: 16 }, (_, i) => storage().open(`p${i % 4}`, `b${i}`)));
        for (let p = 0; p < 4; p++) expect((await storage().scan(`p${p}`)).length).to.equal(4);
      });
    });

    describe('resize', () => {
      it('shrink, sync, reopen: the length and bytes survive', async () => {
        const blob = await openBlob('test_resize_then_open', 'test_blob');
        await blob.writeAt(0, bytes('hello world'));
        await blob.resize(5);
        expect(blob.sizeBytes).to.equal(5);
        await blob.sync();
        await blob.close();
        const again = await storage().open('test_resize_then_open', 'test_blob');
        expect(again.sizeBytes).to.equal(5);
        await expectContent(again.blob, 0, bytes('hello'));
        await expectCode(again.blob.readAt(0, 6), 'ERR_OUT_OF_RANGE');
      });

      it('growing adds zeros, shrinking then growing does not resurrect bytes', async () => {
        const blob = await openBlob('partition', 'grow');
        await blob.writeAt(0, bytes('abcdef'));
        await blob.resize(2);
        await blob.resize(5000);
        expect(blob.sizeBytes).to.equal(5000);
        const expected = new Uint8Array(5000);
        expected.set(bytes('ab'));
        await expectContent(blob, 0, expected);
        await blob.resize(0);
        expect(blob.sizeBytes).to.equal(0);
        await expectCode(blob.readAt(0, 1), 'ERR_OUT_OF_RANGE');
        expect((await io().stat(blobPath('partition', 'grow'))).sizeBytes).to.equal(BLOB_HEADER_BYTES);
      });
    });

    describe('remove and read after remove', () => {
      it('removes a blob durably', async () => {
        await storage().open('partition', 'test_blob');
        const fsyncsBefore = io().metrics.operations.fsync;
        await storage().remove('partition', 'test_blob');
        if (supports.directoryFsync) expect(io().metrics.operations.fsync - fsyncsBefore).to.be.at.least(1);
        expect(await storage().scan('partition')).to.deep.equal([]);
        await expectCode(io().stat(blobPath('partition', 'test_blob')), 'ENOENT');
      });

      it('something other than a directory or a file in the way is ENOTDIR or EISDIR', async () => {
        await writeRaw(io(), 'not_a_dir', bytes('x'));
        await expectCode(storage().open('not_a_dir', 'blob'), 'ENOTDIR');
        await io().mkdir('partition');
        await io().mkdir(blobPath('partition', 'dir'));
        await expectCode(storage().open('partition', 'dir'), 'EISDIR');
      });

      it('removes a whole partition, with its blobs and leftover files', async () => {
        await storage().open('partition', 'a');
        await storage().open('partition', 'b');
        await writeRaw(io(), `partition/${hex('c')}.tmp`, bytes('stale'));
        await storage().remove('partition');
        await expectCode(io().stat('partition'), 'ENOENT');
        await expectCode(storage().scan('partition'), 'ENOENT');
        expect(await io().readdir('.')).to.not.include('partition');
      });

      it('removing a missing blob or partition is ENOENT', async () => {
        await expectCode(storage().remove('nope'), 'ENOENT');
        await expectCode(storage().remove('nope', 'blob'), 'ENOENT');
        await storage().open('partition', 'present');
        await expectCode(storage().remove('partition', 'absent'), 'ENOENT');
      });

      it('an open handle keeps reading after its blob is removed', async () => {
        const blob = await openBlob('read_after_remove', 'by_name');
        const data = Uint8Array.from({ length: 256 }, (_, i) => i);
        await blob.writeAt(0, data);
        await blob.sync();
        await storage().remove('read_after_remove', 'by_name');
        expect(await storage().scan('read_after_remove')).to.deep.equal([]);
        await expectContent(blob, 0, data);
      });

      it('an open handle keeps reading after its partition is removed', async () => {
        const blob = await openBlob('read_after_remove_partition', 'victim');
        const data = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
        await blob.writeAt(0, data);
        await blob.sync();
        await storage().remove('read_after_remove_partition');
        await expectContent(blob, 0, data);
      });

      it('recreating a removed name gives an independent, empty blob', async () => {
        const old = await openBlob('recreate_after_remove', 'name');
        await old.writeAt(0, bytes('old contents'));
        await old.sync();
        await storage().remove('recreate_after_remove', 'name');
        const fresh = await storage().open('recreate_after_remove', 'name');
        expect(fresh.sizeBytes).to.equal(0);
        await fresh.blob.writeAt(0, bytes('new contents'));
        await fresh.blob.sync();
        await expectContent(old, 0, bytes('old contents'));
        await expectContent(fresh.blob, 0, bytes('new contents'));
      });

      it('unsynced bytes stay readable through an open handle after removal', async () => {
        const blob = await openBlob('read_after_remove_unsynced', 'name');
        const data = patternBytes(64 * 1024, 3);
        await blob.writeAt(0, data);
        await expectContent(blob, 0, data.subarray(0, 16));
        await storage().remove('read_after_remove_unsynced', 'name');
        await expectContent(blob, 0, data);
        await expectContent(blob, data.byteLength - 1, data.subarray(data.byteLength - 1));
      });

      it('every handle of a removed blob keeps reading, and reads past the end still fail', async () => {
        const first = await openBlob('read_after_remove_handles', 'name');
        const data = Uint8Array.from({ length: 256 }, (_, i) => i);
        await first.writeAt(0, data);
        await first.sync();
        const second = await openBlob('read_after_remove_handles', 'name');
        await storage().remove('read_after_remove_handles', 'name');
        await first.close();
        await expectContent(second, 0, data);
        await expectCode(second.readAt(data.byteLength, 1), 'ERR_OUT_OF_RANGE');
        await expectCode(first.readAt(0, 1), 'ERR_CLOSED');
      });

      it('each removed generation of a name stays readable through its own handle', async () => {
        const partition = 'recreate_generations';
        const held: Array<[Blob, Uint8Array]> = [];
        for (let generation = 0; generation < 3; generation++) {
          const opened = await storage().open(partition, 'name');
          expect(opened.sizeBytes).to.equal(0);
          const data = new Uint8Array(32).fill(generation);
          await opened.blob.writeAt(0, data);
          await opened.blob.sync();
          await storage().remove(partition, 'name');
          held.push([opened.blob, data]);
        }
        for (let churn = 0; churn < 5; churn++) {
          const blob = await openBlob(partition, 'name');
          await blob.writeAt(0, new Uint8Array(8).fill(0xff));
          await blob.sync();
          await blob.close();
          await storage().remove(partition, 'name');
        }
        for (const [blob, data] of held) await expectContent(blob, 0, data);
      });

      it('every handle into a removed partition stays readable, large blobs at interior offsets too', async () => {
        const partition = 'read_after_remove_partition_multi';
        const a = await openBlob(partition, 'a');
        await a.writeAt(0, bytes('alpha'));
        await a.sync();
        const b = await openBlob(partition, 'b');
        await b.writeAt(0, bytes('bravo'));
        const large = await openBlob(partition, 'large');
        const data = patternBytes(1 << 20, 11);
        await large.writeAt(0, data);
        await large.sync();
        await storage().remove(partition);
        await expectContent(a, 0, bytes('alpha'));
        await expectContent(b, 0, bytes('bravo'));
        for (const [offsetBytes, lengthBytes] of [[0, 4096], [123_457, 8192], [(1 << 20) - 1, 1]] as const) {
          await expectContent(large, offsetBytes, data.subarray(offsetBytes, offsetBytes + lengthBytes));
        }
        const fresh = await storage().open(partition, 'a');
        expect(fresh.sizeBytes).to.equal(0);
        await fresh.blob.writeAt(0, bytes('fresh'));
        await fresh.blob.sync();
        await expectContent(a, 0, bytes('alpha'));
      });

      it('a handle of a removed blob can still write and resize its own (unnamed) file', async () => {
        const blob = await openBlob('partition', 'orphan');
        await blob.writeAt(0, bytes('abc'));
        await storage().remove('partition', 'orphan');
        await blob.writeAt(3, bytes('def'));
        await blob.resize(4);
        await blob.sync();
        await expectContent(blob, 0, bytes('abcd'));
        expect(await storage().scan('partition')).to.deep.equal([]);
      });
    });

    describe('scan', () => {
      it('lists the blobs of a partition, sorted by name bytes', async () => {
        for (const n of ['blob2', 'blob1', 'b', 'B', 'ab', 'a', 'é']) await storage().open('partition', n);
        await storage().open('other', 'elsewhere');
        const expected = ['B', 'a', 'ab', 'b', 'blob1', 'blob2', 'é'];
        expect(await storage().scan('partition')).to.deep.equal(expected);
        const raw = await storage().scanBytes('partition');
        expect(raw.map((n) => Buffer.from(n).toString())).to.deep.equal(expected);
        for (const n of raw) expect(n).to.be.instanceOf(Uint8Array);
      });

      it('a missing partition is ENOENT; an empty one lists nothing', async () => {
        await expectCode(storage().scan('missing'), 'ENOENT');
        await expectCode(storage().scanBytes('missing'), 'ENOENT');
        await storage().open('partition', 'x');
        await storage().remove('partition', 'x');
        expect(await storage().scan('partition')).to.deep.equal([]);
      });

      it('ignores files that are not blobs', async () => {
        await storage().open('partition', 'real');
        for (const stray of ['notes.txt', 'abc', 'ABCD', `${hex('ghost')}.tmp`, 'zz']) {
          await writeRaw(io(), `partition/${stray}`, bytes('x'));
        }
        expect(await storage().scan('partition')).to.deep.equal(['real']);
        expect((await storage().scanBytes('partition')).length).to.equal(1);
      });
    });

    describe('binary names', () => {
      const binaryA = new Uint8Array([0x00, 0xff, 0x10]);
      const binaryB = new Uint8Array([0x00, 0x01]);

      it('opens, lists (scanBytes) and removes blobs with non-UTF-8 names', async () => {
        const blob = await openBlob('bin', binaryA);
        await blob.writeAt(0, bytes('payload'));
        await storage().writeAtomic('bin', binaryB, bytes('atomic'));
        expect(await io().readdir('bin')).to.deep.equal(['0001', '00ff10']);
        const names = await storage().scanBytes('bin');
        expect(names.map((n) => Buffer.from(n).toString('hex'))).to.deep.equal(['0001', '00ff10']);
        await expectCode(storage().scan('bin'), 'ERR_INVALID_ARGUMENT');
        const reopened = await storage().open('bin', Uint8Array.from(binaryA));
        await expectContent(reopened.blob, 0, bytes('payload'));
        await storage().remove('bin', binaryA);
        expect((await storage().scanBytes('bin')).map((n) => Buffer.from(n).toString('hex'))).to.deep.equal(['0001']);
      });

      it('a string name and its UTF-8 bytes name the same blob', async () => {
        const blob = await openBlob('names', 'héllo🙂');
        await blob.writeAt(0, bytes('same'));
        const viaBytes = await storage().open('names', bytes('héllo🙂'));
        await expectContent(viaBytes.blob, 0, bytes('same'));
        expect(await storage().scan('names')).to.deep.equal(['héllo🙂']);
      });

      it('accepts names of exactly BLOB_NAME_BYTES_MAX bytes', async () => {
        const longName = 'n'.repeat(BLOB_NAME_BYTES_MAX);
        const blob = await openBlob('partition', longName);
        await blob.writeAt(0, bytes('x'));
        await storage().writeAtomic('partition', longName, bytes('y'));
        expect(await storage().scan('partition')).to.deep.equal([longName]);
      });
    });

    describe('partition names', () => {
      const valid = ['partition', 'my_partition', 'my-partition', 'partition123', 'A1', 'p'.repeat(PARTITION_NAME_LENGTH_MAX)];
      const invalid = ['my/partition', 'my.partition', 'my partition', '../escape', '', '.', '..', 'a\0b', 'é'];

      it('accepts valid names in open, scan and remove', async () => {
        for (const partition of valid) {
          await storage().open(partition, 'blob');
          expect(await storage().scan(partition)).to.deep.equal(['blob']);
          await storage().remove(partition, 'blob');
          await storage().remove(partition);
          await expectCode(storage().scan(partition), 'ENOENT');
        }
      });

      it('rejects invalid names with ERR_INVALID_ARGUMENT in every call, touching nothing', async () => {
        for (const partition of invalid) {
          await expectAsyncCode(() => storage().open(partition, 'blob'), 'ERR_INVALID_ARGUMENT');
          await expectAsyncCode(() => storage().remove(partition), 'ERR_INVALID_ARGUMENT');
          await expectAsyncCode(() => storage().remove(partition, 'blob'), 'ERR_INVALID_ARGUMENT');
          await expectAsyncCode(() => storage().scan(partition), 'ERR_INVALID_ARGUMENT');
          await expectAsyncCode(() => storage().scanBytes(partition), 'ERR_INVALID_ARGUMENT');
          await expectAsyncCode(() => storage().writeAtomic(partition, 'blob', bytes('x')), 'ERR_INVALID_ARGUMENT');
        }
        for (const partition of [undefined, null, 42, ['p'], {}]) {
          await expectAsyncCode(() => storage().open(partition as unknown as string, 'blob'), 'ERR_INVALID_ARGUMENT');
          await expectAsyncCode(() => storage().scan(partition as unknown as string), 'ERR_INVALID_ARGUMENT');
        }
        expect(await io().readdir('.')).to.deep.equal([]);
      });

      it('rejects names longer than PARTITION_NAME_LENGTH_MAX with ERR_LIMIT_EXCEEDED', async () => {
        const tooLong = 'p'.repeat(PARTITION_NAME_LENGTH_MAX + 1);
        await expectCode(storage().open(tooLong, 'blob'), 'ERR_LIMIT_EXCEEDED');
        await expectCode(storage().scan(tooLong), 'ERR_LIMIT_EXCEEDED');
        await expectCode(storage().remove(tooLong), 'ERR_LIMIT_EXCEEDED');
      });
    });

    describe('versions', () => {
      it('a new blob takes the top of the range; a reopen accepts any range holding it', async () => {
        const created = await storage().open('test_version_mismatch', 'blob', { versions: [1, 1] });
        expect(created.version).to.equal(1);
        expect(created.blob.version).to.equal(1);
        await created.blob.sync();
        await created.blob.close();
        const widened = await storage().open('test_version_mismatch', 'blob', { versions: [0, 2] });
        expect(widened.version).to.equal(1);
        const ranged = await storage().open('test_version_mismatch', 'other', { versions: [3, 65535] });
        expect(ranged.version).to.equal(65535);
      });

      it('a version outside the range is ERR_VERSION_MISMATCH with the found version in details', async () => {
        await storage().open('test_version_mismatch', 'blob', { versions: [1, 1] });
        const err = await expectCode(storage().open('test_version_mismatch', 'blob', { versions: [2, 3] }), 'ERR_VERSION_MISMATCH');
        expect(err.details['found']).to.equal(1);
        await expectCode(storage().open('test_version_mismatch', 'blob'), 'ERR_VERSION_MISMATCH');
        expect((await storage().open('test_version_mismatch', 'blob', { versions: [1, 9] })).version).to.equal(1);
      });

      it('bad ranges are ERR_INVALID_ARGUMENT or ERR_LIMIT_EXCEEDED', async () => {
        const cases: Array<[unknown, ErrorCode]> = [
          [[2, 1], 'ERR_INVALID_ARGUMENT'], [[-1, 0], 'ERR_INVALID_ARGUMENT'], [[0, 0.5], 'ERR_INVALID_ARGUMENT'],
          [[0], 'ERR_INVALID_ARGUMENT'], [[0, 1, 2], 'ERR_INVALID_ARGUMENT'], ['0-1', 'ERR_INVALID_ARGUMENT'],
          [[0, Number.NaN], 'ERR_INVALID_ARGUMENT'], [[0, 65536], 'ERR_LIMIT_EXCEEDED'],
        ];
        for (const [versions, code] of cases) {
          const options = { versions } as unknown as { versions: readonly [number, number] };
          await expectAsyncCode(() => storage().open('partition', 'blob', options), code);
          await expectAsyncCode(() => storage().writeAtomic('partition', 'blob', bytes('x'), options), code);
        }
        await expectCode(io().stat('partition'), 'ENOENT');
      });
    });

    describe('header layout', () => {
      async function expectHeader(path: string, version: number, dataBytes: Uint8Array): Promise<void> {
        const raw = await readRaw(io(), path);
        expect(raw.byteLength).to.equal(BLOB_HEADER_BYTES + dataBytes.byteLength);
        expect([...raw.subarray(0, 8)]).to.deep.equal([...MAGIC]);
        const view = new DataView(raw.buffer, raw.byteOffset);
        expect(view.getUint16(8, true), 'layout version').to.equal(1);
        expect(view.getUint16(10, true), 'blob version').to.equal(version);
        expect(view.getUint32(12, true), 'crc').to.equal(crc32c(Buffer.from(raw.subarray(0, 12))) >>> 0);
        expect(raw.subarray(16, BLOB_HEADER_BYTES).every((b) => b === 0), 'zero padding').to.equal(true);
        expect(Buffer.from(raw.subarray(BLOB_HEADER_BYTES)).equals(Buffer.from(dataBytes)), 'data at 4096').to.equal(true);
      }

      it('header bytes are magic, layout 1, version, CRC32C, zero padding; data starts at 4096', async () => {
        const path = blobPath('test_aligned_layout', 'blob');
        const opened = await storage().open('test_aligned_layout', 'blob', { versions: [0, 0x1234] });
        await expectHeader(path, 0x1234, new Uint8Array(0));
        await opened.blob.writeAt(0, bytes('hello world'));
        await opened.blob.sync();
        await expectHeader(path, 0x1234, bytes('hello world'));
        await opened.blob.close();
        const again = await storage().open('test_aligned_layout', 'blob', { versions: [0, 0x1234] });
        expect(again.sizeBytes).to.equal(11);
        await expectContent(again.blob, 6, bytes('world'));
        await again.blob.resize(5);
        await again.blob.sync();
        await expectHeader(path, 0x1234, bytes('hello'));
        await again.blob.close();
        const third = await storage().open('test_aligned_layout', 'blob', { versions: [0x1234, 0x1234] });
        expect(third.sizeBytes).to.equal(5);
        await expectContent(third.blob, 0, bytes('hello'));
      });

      it('creation is durable before open resolves (file, partition and root fsynced)', async () => {
        const before = io().metrics.operations.fsync;
        await storage().open('fresh_partition', 'blob');
        const fsyncs = io().metrics.operations.fsync - before;
        expect(fsyncs).to.be.at.least(supports.directoryFsync ? 3 : 1);
        const beforeSecond = io().metrics.operations.fsync;
        await storage().open('fresh_partition', 'second');
        expect(io().metrics.operations.fsync - beforeSecond).to.be.at.least(supports.directoryFsync ? 2 : 1);
        const beforeExisting = io().metrics.operations.fsync;
        await storage().open('fresh_partition', 'blob');
        expect(io().metrics.operations.fsync - beforeExisting, 'opening an existing blob writes nothing').to.equal(0);
      });
    });

    describe('header damage', () => {
      const partition = 'damage';
      const blobName = 'victim';
      const path = blobPath(partition, blobName);

      async function createWithData(version = 3): Promise<void> {
        const blob = await openBlob(partition, blobName, [0, version]);
        await blob.writeAt(0, bytes('precious data'));
        await blob.sync();
        await blob.close();
      }

      async function expectCorruptUntouched(mutate: (header: Uint8Array) => void, reason?: string): Promise<void> {
        await createWithData();
        const raw = await readRaw(io(), path);
        const header = raw.slice(0, BLOB_HEADER_BYTES);
        mutate(header);
        await writeRaw(io(), path, header, 0);
        const damaged = await readRaw(io(), path);
        const err = await expectCode(storage().open(partition, blobName, { versions: [0, 10] }), 'ERR_BLOB_CORRUPT');
        if (reason !== undefined) expect(err.details['reason']).to.equal(reason);
        const after = await readRaw(io(), path);
        expect(Buffer.from(after).equals(Buffer.from(damaged)), 'a damaged blob is never rewritten').to.equal(true);
        await expectCode(restarted().open(partition, blobName, { versions: [0, 10] }), 'ERR_BLOB_CORRUPT');
      }

      it('a flipped magic byte is ERR_BLOB_CORRUPT', async () => {
        await expectCorruptUntouched((h) => { h[0] = h[0]! ^ 0x01; }, 'magic');
      });

      it('a flipped CRC byte is ERR_BLOB_CORRUPT', async () => {
        await expectCorruptUntouched((h) => { h[13] = h[13]! ^ 0x80; }, 'crc');
      });

      it('an unknown layout version (with a matching CRC) is ERR_BLOB_CORRUPT', async () => {
        await expectCorruptUntouched((h) => { h[8] = 2; fixChecksum(h); }, 'layout-version');
      });

      it('a changed layout version without a matching CRC is ERR_BLOB_CORRUPT', async () => {
        await expectCorruptUntouched((h) => { h[9] = 1; });
      });

      it('a non-zero padding byte is ERR_BLOB_CORRUPT', async () => {
        await expectCorruptUntouched((h) => { h[BLOB_HEADER_BYTES - 1] = 1; }, 'padding');
      });

      it('a flipped version bit (CRC not updated) is ERR_BLOB_CORRUPT, not a version mismatch', async () => {
        await expectCorruptUntouched((h) => { h[10] = h[10]! ^ 0x04; }, 'crc');
      });

      it('an all-zero header followed by data is ERR_BLOB_CORRUPT (a crash cannot produce it)', async () => {
        await expectCorruptUntouched((h) => { h.fill(0); }, 'torn-with-data');
      });

      it('a consistently rewritten version field is honoured (the header is the only source of truth)', async () => {
        await createWithData();
        await writeRaw(io(), path, referenceHeader(9), 0);
        await expectCode(storage().open(partition, blobName, { versions: [0, 8] }), 'ERR_VERSION_MISMATCH');
        const opened = await storage().open(partition, blobName, { versions: [9, 9] });
        expect(opened.version).to.equal(9);
        await expectContent(opened.blob, 0, bytes('precious data'));
      });
    });

    describe('torn creation', () => {
      const partition = 'torn';

      async function plant(name: string, contents: Uint8Array): Promise<void> {
        await io().mkdir(partition).catch((err: unknown) => {
          if (!(err instanceof StorageError && err.code === 'EEXIST')) throw err;
        });
        await writeRaw(io(), blobPath(partition, name), contents, 0, true);
      }

      async function expectHealed(name: string): Promise<void> {
        const opened = await storage().open(partition, name, { versions: [2, 5] });
        expect(opened.sizeBytes).to.equal(0);
        expect(opened.version).to.equal(5);
        const raw = await readRaw(io(), blobPath(partition, name));
        expect(Buffer.from(raw).equals(Buffer.from(referenceHeader(5)))).to.equal(true);
        await opened.blob.writeAt(0, bytes('after heal'));
        await opened.blob.sync();
        await opened.blob.close();
        const again = await restarted().open(partition, name, { versions: [5, 5] });
        await expectContent(again.blob, 0, bytes('after heal'));
      }

      it('heals an empty file', async () => {
        await plant('empty', new Uint8Array(0));
        await expectHealed('empty');
      });

      it('heals a file shorter than the header (a torn header prefix)', async () => {
        await plant('short', referenceHeader(1).subarray(0, 100));
        await expectHealed('short');
      });

      it('heals a header-sized file of zeros', async () => {
        await plant('zeros', new Uint8Array(BLOB_HEADER_BYTES));
        await expectHealed('zeros');
      });

      it('a header-sized file that is not all zeros is not healed', async () => {
        const junk = new Uint8Array(BLOB_HEADER_BYTES);
        junk[100] = 1;
        await plant('junk', junk);
        await expectCode(storage().open(partition, 'junk'), 'ERR_BLOB_CORRUPT');
        expect(Buffer.from(await readRaw(io(), blobPath(partition, 'junk'))).equals(Buffer.from(junk))).to.equal(true);
      });
    });

    describe('writeAtomic', () => {
      it('creates a new blob (and partition) with the given content and version', async () => {
        const before = io().metrics.operations.fsync;
        await storage().writeAtomic('atomic', 'config', bytes('v1 contents'), { versions: [1, 4] });
        expect(io().metrics.operations.fsync - before).to.be.at.least(supports.directoryFsync ? 3 : 1);
        const opened = await storage().open('atomic', 'config', { versions: [0, 4] });
        expect(opened.version).to.equal(4);
        expect(opened.sizeBytes).to.equal(11);
        await expectContent(opened.blob, 0, bytes('v1 contents'));
        expect(await io().readdir('atomic')).to.deep.equal([hex('config')]);
      });

      it('replaces an existing blob; old handles keep the old content; a reopen sees the new', async () => {
        const old = await openBlob('atomic', 'config');
        await old.writeAt(0, bytes('the old and longer contents'));
        await old.sync();
        await storage().writeAtomic('atomic', 'config', bytes('new'));
        await expectContent(old, 0, bytes('the old and longer contents'));
        const fresh = await storage().open('atomic', 'config');
        expect(fresh.sizeBytes).to.equal(3);
        await expectContent(fresh.blob, 0, bytes('new'));
        await storage().writeAtomic('atomic', 'config', new Uint8Array(0));
        expect((await restarted().open('atomic', 'config')).sizeBytes).to.equal(0);
        expect(await storage().scan('atomic')).to.deep.equal(['config']);
        // A replaced name must leave nothing behind that keeps the partition from being removed.
        await storage().remove('atomic');
        await expectCode(io().stat('atomic'), 'ENOENT');
      });

      it('a stale temporary file from a crash breaks nothing', async () => {
        await io().mkdir('atomic');
        const tempPath = `atomic/${hex('config')}.tmp`;
        await writeRaw(io(), tempPath, patternBytes(10_000, 5));
        expect(await storage().scan('atomic')).to.deep.equal([]);
        await storage().writeAtomic('atomic', 'config', bytes('fresh'));
        const opened = await storage().open('atomic', 'config');
        expect(opened.sizeBytes).to.equal(5);
        await expectContent(opened.blob, 0, bytes('fresh'));
        expect(await storage().scan('atomic')).to.deep.equal(['config']);
        await writeRaw(io(), tempPath, bytes('stale again'));
        await storage().writeAtomic('atomic', 'other', patternBytes(9000, 1));
        expect(await storage().scan('atomic')).to.deep.equal(['config', 'other']);
        await storage().remove('atomic');
        await expectCode(io().stat('atomic'), 'ENOENT');
      });

      it('writes large content', async () => {
        const data = patternBytes(3 * 1024 * 1024 + 17, 9);
        await storage().writeAtomic('atomic', 'big', data);
        const opened = await storage().open('atomic', 'big');
        expect(opened.sizeBytes).to.equal(data.byteLength);
        await expectContent(opened.blob, 0, data);
      });

      it('rejects bad data', async () => {
        for (const data of ['text', 12, null, [new Uint8Array(1)], new ArrayBuffer(4)]) {
          await expectAsyncCode(() => storage().writeAtomic('atomic', 'x', data as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
        }
        await expectCode(io().stat('atomic'), 'ENOENT');
      });
    });

    describe('bad arguments', () => {
      const badNumbers: Array<[unknown, ErrorCode]> = [
        [-1, 'ERR_INVALID_ARGUMENT'], [1.5, 'ERR_INVALID_ARGUMENT'], [Number.NaN, 'ERR_INVALID_ARGUMENT'],
        [Number.POSITIVE_INFINITY, 'ERR_INVALID_ARGUMENT'], ['1', 'ERR_INVALID_ARGUMENT'], [null, 'ERR_INVALID_ARGUMENT'],
        [10n, 'ERR_INVALID_ARGUMENT'], [2 ** 53 + 2, 'ERR_LIMIT_EXCEEDED'], [2 ** 60, 'ERR_LIMIT_EXCEEDED'],
      ];

      it('bad offsets and lengths reject with their code and change nothing', async () => {
        const blob = await openBlob('partition', 'args');
        await blob.writeAt(0, bytes('abc'));
        for (const [value, code] of badNumbers) {
          const n = value as number;
          await expectAsyncCode(() => blob.readAt(n, 1), code);
          await expectAsyncCode(() => blob.readAt(0, n), code);
          await expectAsyncCode(() => blob.readInto(new Uint8Array(4), n), code);
          await expectAsyncCode(() => blob.readInto(new Uint8Array(4), 0, n), code);
          await expectAsyncCode(() => blob.writeAt(n, bytes('x')), code);
          await expectAsyncCode(() => blob.resize(n), code);
        }
        await expectCode(blob.writeAt(BLOB_SIZE_MAX_BYTES, bytes('x')), 'ERR_LIMIT_EXCEEDED');
        await expectCode(blob.writeAt(BLOB_SIZE_MAX_BYTES - 1, [bytes('x'), bytes('y')]), 'ERR_LIMIT_EXCEEDED');
        await expectCode(blob.resize(BLOB_SIZE_MAX_BYTES + 1), 'ERR_LIMIT_EXCEEDED');
        await expectCode(blob.readAt(BLOB_SIZE_MAX_BYTES, 1), 'ERR_OUT_OF_RANGE');
        expect(blob.sizeBytes).to.equal(3);
        await expectContent(blob, 0, bytes('abc'));
      });

      it('data that is not a buffer or an array of buffers is ERR_INVALID_ARGUMENT', async () => {
        const blob = await openBlob('partition', 'data_args');
        for (const data of ['abc', 123, null, undefined, {}, [1, 2], [new Uint8Array(1), 'x'], new ArrayBuffer(2), new DataView(new ArrayBuffer(2))]) {
          await expectAsyncCode(() => blob.writeAt(0, data as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
        }
        for (const target of ['abc', null, [0], new ArrayBuffer(4)]) {
          await expectAsyncCode(() => blob.readInto(target as unknown as Uint8Array, 0), 'ERR_INVALID_ARGUMENT');
        }
        expect(blob.sizeBytes).to.equal(0);
      });

      it('detached buffers are ERR_DETACHED_BUFFER', async () => {
        const blob = await openBlob('partition', 'detached');
        await blob.writeAt(0, bytes('abcdef'));
        const detach = (): Uint8Array => {
          const buffer = new Uint8Array(4);
          structuredClone(buffer.buffer, { transfer: [buffer.buffer] });
          return buffer;
        };
        await expectAsyncCode(() => blob.writeAt(0, detach()), 'ERR_DETACHED_BUFFER');
        await expectAsyncCode(() => blob.writeAt(0, [bytes('x'), detach()]), 'ERR_DETACHED_BUFFER');
        await expectAsyncCode(() => blob.readInto(detach(), 0), 'ERR_DETACHED_BUFFER');
        await expectAsyncCode(() => storage().open('partition', detach()), 'ERR_DETACHED_BUFFER');
        await expectAsyncCode(() => storage().writeAtomic('partition', 'x', detach()), 'ERR_DETACHED_BUFFER');
        await expectContent(blob, 0, bytes('abcdef'));
      });

      it('bad blob names are rejected in open, remove and writeAtomic', async () => {
        const cases: Array<[unknown, ErrorCode]> = [
          ['', 'ERR_INVALID_ARGUMENT'], [new Uint8Array(0), 'ERR_INVALID_ARGUMENT'], [42, 'ERR_INVALID_ARGUMENT'],
          [null, 'ERR_INVALID_ARGUMENT'], [{}, 'ERR_INVALID_ARGUMENT'], [[1, 2], 'ERR_INVALID_ARGUMENT'],
          ['x'.repeat(BLOB_NAME_BYTES_MAX + 1), 'ERR_LIMIT_EXCEEDED'],
          ['é'.repeat(BLOB_NAME_BYTES_MAX / 2 + 1), 'ERR_LIMIT_EXCEEDED'],
          [new Uint8Array(BLOB_NAME_BYTES_MAX + 1), 'ERR_LIMIT_EXCEEDED'],
        ];
        for (const [blobName, code] of cases) {
          const n = blobName as string;
          await expectAsyncCode(() => storage().open('partition', n), code);
          await expectAsyncCode(() => storage().remove('partition', n), code);
          await expectAsyncCode(() => storage().writeAtomic('partition', n, bytes('x')), code);
        }
        await expectCode(io().stat('partition'), 'ENOENT');
      });

      it('a closed blob rejects every operation with ERR_CLOSED; closing again resolves', async () => {
        const blob = await openBlob('partition', 'closed');
        await blob.writeAt(0, bytes('abc'));
        await blob.close();
        await blob.close();
        await expectAsyncCode(() => blob.readAt(0, 1), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.readInto(new Uint8Array(1), 0), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.writeAt(0, bytes('x')), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.resize(0), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.sync(), 'ERR_CLOSED');
        const again = await storage().open('partition', 'closed');
        await expectContent(again.blob, 0, bytes('abc'));
      });

      it('close waits for operations in flight, which complete', async () => {
        const blob = await openBlob('partition', 'inflight');
        const data = patternBytes(2 * 1024 * 1024, 8);
        const write = blob.writeAt(0, data);
        const sync = blob.sync();
        await blob.close();
        await write;
        await sync;
        const again = await storage().open('partition', 'inflight');
        expect(again.sizeBytes).to.equal(data.byteLength);
        await expectContent(again.blob, 0, data);
      });

      it("after the Io shuts down, a blob's reads and writes reject with the Io's ERR_CLOSED", async () => {
        const blob = await openBlob('partition', 'io-gone');
        await blob.writeAt(0, patternBytes(8192, 3));
        await io().shutdown();
        await expectAsyncCode(() => blob.readInto(new Uint8Array(4096), 0), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.readInto(new Uint8Array(8192), 100, 4000), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.readAt(0, 4096), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.writeAt(0, patternBytes(4096, 4)), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.writeAt(8192, [patternBytes(16, 5), patternBytes(4080, 6)]), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.writeAtDurable(0, patternBytes(4096, 7)), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.sync(), 'ERR_CLOSED');
        expect(blob.sizeBytes).to.equal(8192);
      });

      it('a closed storage rejects every call with ERR_CLOSED and has closed its blobs', async () => {
        const blob = await openBlob('partition', 'a');
        await blob.writeAt(0, bytes('abc'));
        const inflight = storage().open('partition', 'b');
        await storage().close();
        await inflight;
        await storage().close();
        await expectAsyncCode(() => storage().open('partition', 'a'), 'ERR_CLOSED');
        await expectAsyncCode(() => storage().remove('partition', 'a'), 'ERR_CLOSED');
        await expectAsyncCode(() => storage().remove('partition'), 'ERR_CLOSED');
        await expectAsyncCode(() => storage().scan('partition'), 'ERR_CLOSED');
        await expectAsyncCode(() => storage().scanBytes('partition'), 'ERR_CLOSED');
        await expectAsyncCode(() => storage().writeAtomic('partition', 'a', bytes('x')), 'ERR_CLOSED');
        await expectAsyncCode(() => blob.readAt(0, 1), 'ERR_CLOSED');
        const late = (await inflight).blob;
        await expectAsyncCode(() => late.readAt(0, 0), 'ERR_CLOSED');
        const other = await restarted().open('partition', 'a');
        await expectContent(other.blob, 0, bytes('abc'));
      });

      it('buffers whose subclass or own properties lie (byteLength, buffer, subarray, set, species) are used by their real memory', async () => {
        class Liar extends Uint8Array {
          override get byteLength(): number { return 1 << 20; }
          override get byteOffset(): number { return 1 << 19; }
          override get length(): number { return 1 << 20; }
          override get buffer(): ArrayBuffer { return new ArrayBuffer(1 << 20); }
        }
        class Sly extends Uint8Array {}
        const huge = (): Uint8Array => new Uint8Array(1 << 20);
        Object.defineProperty(Sly, Symbol.species, { get: () => function () { return huge(); } });
        for (const method of ['subarray', 'slice']) Object.defineProperty(Sly.prototype, method, { value: huge });
        Object.defineProperty(Sly.prototype, 'set', { value: () => { throw new Error('set must not be called on a caller buffer'); } });
        const shadowed = (n: number): Uint8Array => {
          const view = new Uint8Array(n);
          Object.defineProperty(view, 'byteLength', { get: () => 1 << 20 });
          Object.defineProperty(view, 'subarray', { value: huge });
          return view;
        };
        const kinds: ReadonlyArray<readonly [string, (n: number) => Uint8Array]> = [
          ['a lying subclass', (n) => new Liar(n)], ['a subclass with hostile methods', (n) => new Sly(n)], ['own properties', shadowed],
          ['allocAligned memory', (n) => { const view = io().allocAligned(n); return view; }],
        ];
        // Real bytes of a view, through the engine's own getters.
        const real = (view: Uint8Array, n: number): Buffer => {
          const proto = Object.getPrototypeOf(Uint8Array.prototype) as object;
          const get = (key: string): unknown => Object.getOwnPropertyDescriptor(proto, key)?.get?.call(view);
          return Buffer.from(new Uint8Array(get('buffer') as ArrayBuffer, get('byteOffset') as number, n));
        };
        const fill = (view: Uint8Array, seed: number, n: number): Uint8Array => {
          const source = patternBytes(n, seed);
          for (let i = 0; i < n; i++) view[i] = source[i] as number;
          return view;
        };
        for (const [label, make] of kinds) {
          const blob = await openBlob('hostile', label.replace(/ /g, '-'));
          for (const n of [4096, 100]) {
            expect(await blob.writeAt(0, fill(make(n), 1, n)).then(() => blob.sizeBytes), label).to.equal(n);
            await expectContent(blob, 0, patternBytes(n, 1));
            await blob.writeAt(n, [fill(make(n), 2, n), fill(make(n), 3, n)]);
            await blob.writeAtDurable(3 * n, fill(make(n), 4, n));
            await expectContent(blob, n, Buffer.concat([patternBytes(n, 2), patternBytes(n, 3), patternBytes(n, 4)]));
            const exact = make(n);
            const view = await blob.readInto(exact, 0);
            expect(view, label).to.equal(exact);
            expect(real(exact, n).equals(Buffer.from(patternBytes(n, 1))), `${label}: readInto, whole buffer`).to.equal(true);
            const larger = make(2 * n);
            const part = await blob.readInto(larger, n, n);
            expect(Buffer.from(part).equals(Buffer.from(patternBytes(n, 2))), `${label}: readInto, part of a buffer`).to.equal(true);
            expect(real(larger, n).equals(Buffer.from(patternBytes(n, 2))), `${label}: readInto fills the caller's memory`).to.equal(true);
            await blob.resize(0);
          }
          await storage().writeAtomic('hostile', `${label.replace(/ /g, '-')}-atomic`, fill(make(100), 5, 100));
          await expectContent((await openBlob('hostile', `${label.replace(/ /g, '-')}-atomic`)), 0, patternBytes(100, 5));
        }
      });

      it('a list of buffers is read as the Io reads one (length once, each element once by index, no iterator); a trap or getter that throws, a detaching getter or too many buffers is refused and changes nothing', async () => {
        const before = patternBytes(300, 9);
        const a = patternBytes(100, 1);
        const b = patternBytes(100, 2);
        for (const method of ['writeAt', 'writeAtDurable'] as const) {
          const blob = await openBlob('lists', method);
          await blob.writeAt(0, before);
          const write = (data: unknown): Promise<void> => blob[method](0, data as Uint8Array[]);
          const unchanged = async (label: string): Promise<void> => {
            expect(blob.sizeBytes, `${method}, ${label}: size`).to.equal(before.byteLength);
            await expectContent(blob, 0, before);
          };
          const refused: ReadonlyArray<readonly [string, () => unknown, ErrorCode]> = [
            ['a Proxy of a buffer whose getPrototypeOf throws', () => new Proxy(patternBytes(8, 3), { getPrototypeOf: () => { throw new Error('trap'); } }), 'ERR_INVALID_ARGUMENT'],
            ['a Proxy of a list whose length throws', () => new Proxy([a], { get: (t, k) => { if (k === 'length') throw new Error('trap'); return Reflect.get(t, k); } }), 'ERR_INVALID_ARGUMENT'],
            ['a list whose element getter throws', () => { const list = [a, b]; Object.defineProperty(list, 1, { get: () => { throw new Error('getter'); } }); return list; }, 'ERR_INVALID_ARGUMENT'],
            ['a revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable([a], {}); revoke(); return proxy; }, 'ERR_INVALID_ARGUMENT'],
            ['a list holding a non-buffer', () => [a, 'b'], 'ERR_INVALID_ARGUMENT'],
            ['a list with a hole', () => { const list = [a, b]; delete list[1]; return list; }, 'ERR_INVALID_ARGUMENT'],
            ['a list whose getter detaches an earlier element', () => {
              const first = patternBytes(100, 4);
              const list = [first, b];
              Object.defineProperty(list, 1, { get: () => { structuredClone(first.buffer, { transfer: [first.buffer as ArrayBuffer] }); return b; } });
              return list;
            }, 'ERR_DETACHED_BUFFER'],
          ];
          for (const [label, make, code] of refused) {
            await expectAsyncCode(() => write(make()), code);
            await unchanged(label);
          }
          // Too long: refused by its length alone, before any element is read.
          let elementReads = 0;
          const long = new Proxy([a], {
            get: (t, k) => {
              if (k === 'length') return BLOB_WRITE_BUFFERS_MAX + 1;
              if (typeof k === 'string' && /^[0-9]+$/.test(k)) elementReads += 1;
              return Reflect.get(t, k);
            },
          });
          await expectAsyncCode(() => write(long), 'ERR_LIMIT_EXCEEDED');
          expect(elementReads, `${method}: elements read of a list past the limit`).to.equal(0);
          await unchanged('a list past the limit');
          // The list's own iterator is never used: the elements are what is written.
          const lying = [a, b];
          Object.defineProperty(lying, Symbol.iterator, { value: function* () { yield patternBytes(1000, 7); } });
          await write(lying);
          const throwing = [b, a];
          Object.defineProperty(throwing, Symbol.iterator, { value: () => { throw new Error('iterator'); } });
          await write(throwing);
          expect(blob.sizeBytes, method).to.equal(before.byteLength);
          await expectContent(blob, 0, Buffer.concat([b, a, before.subarray(200)]));
          // Each element is read exactly once, and a getter's answer is the buffer written.
          let reads = 0;
          const counted = [a];
          Object.defineProperty(counted, 1, { get: () => { reads += 1; return reads === 1 ? b : patternBytes(100, 8); }, enumerable: true });
          await write(counted);
          expect(reads, `${method}: reads of an element getter`).to.equal(1);
          await expectContent(blob, 0, Buffer.concat([a, b]));
        }
        // The limit itself is accepted: BLOB_WRITE_BUFFERS_MAX one-byte buffers, in writev groups.
        const many = await openBlob('lists', 'many');
        const ones = Array.from({ length: BLOB_WRITE_BUFFERS_MAX }, (_, i) => new Uint8Array([i & 0xff]));
        await many.writeAt(0, ones);
        expect(many.sizeBytes).to.equal(BLOB_WRITE_BUFFERS_MAX);
        await expectContent(many, 0, Uint8Array.from(ones, (one) => one[0] as number));
      });

      it('a buffer detached or shrunk after the call never lets a write resolve without its bytes, nor a read fail with a raw error', async () => {
        // Both ways a caller takes memory away: transfer (detach) and shrinking a resizable buffer.
        const makers: ReadonlyArray<readonly [string, (n: number, seed: number) => { view: Uint8Array; takeAway: () => void }]> = [
          ['detached', (n, seed) => {
            const view = patternBytes(n, seed);
            return { view, takeAway: () => { structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] }); } };
          }],
          ['shrunk', (n, seed) => {
            // A resizable ArrayBuffer (ES2024; Node 20 has it, the TypeScript lib here does not).
            const Resizable = ArrayBuffer as unknown as new (lengthBytes: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(lengthBytes: number): void };
            const backing = new Resizable(n, { maxByteLength: n + 4096 });
            const view = new Uint8Array(backing, 0, n);
            view.set(patternBytes(n, seed));
            return { view, takeAway: () => { backing.resize(0); } };
          }],
        ];
        const oldBytes = patternBytes(10000, 1);
        for (const [how, make] of makers) {
          // writeAtomic writes after awaits: it must fail and keep the old content.
          await storage().writeAtomic('gone', `atomic-${how}`, oldBytes);
          const atomic = make(5000, 2);
          const pending = storage().writeAtomic('gone', `atomic-${how}`, atomic.view);
          atomic.takeAway();
          await expectCode(pending, 'ERR_DETACHED_BUFFER');
          const reopened = await storage().open('gone', `atomic-${how}`);
          expect(reopened.sizeBytes, `writeAtomic, ${how}`).to.equal(oldBytes.byteLength);
          await expectContent(reopened.blob, 0, oldBytes);
          // Blob writes: all their bytes, or ERR_DETACHED_BUFFER with sizeBytes unchanged.
          const cases: ReadonlyArray<readonly [string, number, (view: Uint8Array) => Uint8Array | Uint8Array[]]> = [
            ['one buffer inside', 3, (view) => view],
            ['one buffer extending', 9000, (view) => view],
            ['two buffers', 100, (view) => [view.subarray(0, 10), view.subarray(10)]],
            [`${IOV_COUNT_MAX + 2} buffers`, 50, (view) => Array.from({ length: IOV_COUNT_MAX + 2 }, (_, i) => view.subarray(i, i + 1))],
          ];
          for (const method of ['writeAt', 'writeAtDurable'] as const) {
            for (const [label, offsetBytes, shape] of cases) {
              const blob = await openBlob('gone', `${method}-${how}-${label.replace(/ /g, '-')}`);
              await blob.writeAt(0, oldBytes);
              const taken = make(IOV_COUNT_MAX + 2, 3);
              const expected = patternBytes(IOV_COUNT_MAX + 2, 3);
              const outcome = blob[method](offsetBytes, shape(taken.view));
              taken.takeAway();
              const where = `${method}, ${label}, ${how}`;
              try {
                await outcome;
              } catch (err) {
                expect(err, where).to.be.instanceOf(StorageError).with.property('code', 'ERR_DETACHED_BUFFER');
                expect(blob.sizeBytes, `${where}: size after the rejection`).to.equal(oldBytes.byteLength);
                continue;
              }
              expect(blob.sizeBytes, `${where}: size`).to.equal(Math.max(oldBytes.byteLength, offsetBytes + expected.byteLength));
              await expectContent(blob, offsetBytes, expected);
            }
          }
          // readInto: the bytes, or ERR_DETACHED_BUFFER.
          const source = await openBlob('gone', `read-${how}`);
          await source.writeAt(0, oldBytes);
          for (const [offsetBytes, lengthBytes] of [[0, 4096], [3, 100], [5000, 5000]] as const) {
            const target = make(lengthBytes, 4);
            const outcome = source.readInto(target.view, offsetBytes);
            target.takeAway();
            try {
              await outcome;
            } catch (err) {
              expect(err, `readInto(${offsetBytes}, ${lengthBytes}), ${how}`).to.be.instanceOf(StorageError).with.property('code', 'ERR_DETACHED_BUFFER');
            }
          }
        }
      });

      it('createStorage refuses an io without the Io methods, or whose getters or traps throw, with ERR_INVALID_ARGUMENT thrown at once', () => {
        const { proxy: revoked, revoke } = Proxy.revocable({}, {});
        revoke();
        const lacking = new Proxy(io(), { get: (t, k) => (k === 'writeDurable' ? undefined : Reflect.get(t, k)) });
        const trapping = new Proxy(io(), { get: (t, k) => { if (k === 'rename') throw new Error('trap'); return Reflect.get(t, k); } });
        for (const [label, value] of [['null', null], ['{}', {}], ['a string', 'io'], ['a revoked Proxy', revoked], ['an Io without writeDurable', lacking], ['an Io whose rename getter throws', trapping]] as const) {
          for (const options of [undefined, { direct: true }]) {
            expect(() => createStorage(value as unknown as Io, options), label).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
          }
        }
      });

      it('an open whose options getter closes the storage is waited for by that close, and its blob is closed with the rest', async () => {
        let closing: Promise<void> | undefined;
        const opened = storage().open('partition', 'reentrant', { get versions() { closing = storage().close(); return [0, 0] as const; } } as unknown as BlobOpenOptions);
        let openSettled = false;
        void opened.then(() => { openSettled = true; }, () => { openSettled = true; });
        await closing;
        expect(openSettled, 'close resolved before the open it was called from settled').to.equal(true);
        const { blob } = await opened;
        await expectAsyncCode(() => blob.writeAt(0, bytes('x')), 'ERR_CLOSED');
        await expectAsyncCode(() => storage().open('partition', 'other'), 'ERR_CLOSED');
      });

      it("a blob name given as a Uint8Array subclass is described and used by its real bytes: its getters never run", async () => {
        let getterCalls = 0;
        class Shifty extends Uint8Array {
          override get byteLength(): number { getterCalls += 1; this[0] = 0x7a; return super.byteLength; }
          override get buffer(): ArrayBuffer { getterCalls += 1; this[0] = 0x7a; return super.buffer as ArrayBuffer; }
          override get byteOffset(): number { getterCalls += 1; this[0] = 0x7a; return super.byteOffset; }
        }
        const name = Shifty.from([0x62]) as Shifty;
        await storage().open('partition', name);
        await storage().writeAtomic('partition', name, bytes('v'));
        await storage().remove('partition', name);
        await storage().open('partition', name);
        expect(getterCalls).to.equal(0);
        expect(await storage().scan('partition')).to.deep.equal(['b']);
      });

      it('createStorage rejects malformed options, and direct mode where the Io has none', () => {
        for (const options of ['direct', { direct: 1 }]) {
          expect(() => createStorage(io(), options as unknown as StorageOptions)).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
        }
        if (!io().features.direct) {
          expect(() => createStorage(io(), { direct: true })).to.throw(StorageError).with.property('code', 'ERR_UNSUPPORTED');
        } else {
          expect(createStorage(io(), { direct: true })).to.be.an('object');
        }
      });
    });
  });

  defineStorageModelTest(name, factory, supports, runner);
}
