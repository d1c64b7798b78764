/**
 * readInto's and writeAt's end when the Io's transfer did not finish at the call: the access
 * strategy delivers the outcome to the blob through one reaction (`src/storage/range-sink.ts`),
 * and a direct whole-sector write of aligned memory holds the file's lock only until then.
 * Whatever way it ends, the handle counts the transfer out exactly once (so close() is not held
 * up and does not run early), the lock is given back, and the error is the one the blob's own
 * checks make.
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import type { Blob } from '../../src/interfaces/storage.js';
import { createStorage, type StorageOptions } from '../../src/storage/index.js';
import { WrappedIo } from './wrapped-io.js';

type ReadFn = Io['read'];
type WriteFn = Io['write'];

/** `inner` with its `read` or `write` replaced while `replaced.read` or `.write` is set (a Proxy: the Io's other methods stay bound to it). */
function withRead(inner: Io): { io: Io; replaced: { read?: ReadFn; write?: WriteFn } } {
  const replaced: { read?: ReadFn; write?: WriteFn } = {};
  const io = new Proxy(inner, {
    get(target, key) {
      if (key === 'read' && replaced.read !== undefined) return replaced.read;
      if (key === 'write' && replaced.write !== undefined) return replaced.write;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { io, replaced };
}

/** Resolves 'settled' once `promise` settles (either way), or 'stuck' if it has not after many turns of the event loop. */
async function settlesSoon(promise: Promise<unknown>): Promise<'settled' | 'stuck'> {
  let settled = false;
  const watched = promise.then(() => { settled = true; }, () => { settled = true; });
  // Bounded: the simulated Io settles in a few turns; 200 is far more than any operation here needs.
  for (let turn = 0; turn < 200 && !settled; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  if (!settled) return 'stuck';
  await watched;
  return 'settled';
}

/** Resolves 'closed' once `blob.close()` does, or 'stuck' if it has not after many turns of the event loop. */
async function closeOutcome(blob: Blob): Promise<'closed' | 'stuck'> {
  return await settlesSoon(blob.close()) === 'settled' ? 'closed' : 'stuck';
}

/** The blob's byte at data offset `offsetBytes`: every 4 KiB page starts with a different byte. */
function byteAt(offsetBytes: number): number {
  return ((offsetBytes >> 12) * 31 + offsetBytes) & 0xff;
}

/**
 * A Storage on `io` with one blob of `lengthBytes` patterned bytes, handed to `body`, which ends
 * with the blob's {@link closeOutcome}; the Storage is closed after a 'closed' only (with a read
 * never counted out, closing it would wait for ever).
 */
async function withBlob(io: Io, options: StorageOptions | undefined, lengthBytes: number, body: (blob: Blob) => Promise<'closed' | 'stuck'>): Promise<void> {
  const storage = createStorage(io, options);
  const { blob } = await storage.open('p', 'b');
  await blob.writeAt(0, new Uint8Array(lengthBytes).map((_, i) => byteAt(i)));
  const outcome = await body(blob);
  expect(outcome, 'the blob closes once its reads are done').to.equal('closed');
  await storage.close();
}

for (const mode of ['buffered', 'direct'] as const) {
  describe(`storage/readInto and writeAt through the Io's promise (${mode})`, () => {
    const options: StorageOptions | undefined = mode === 'direct' ? { direct: true } : undefined;

    function simIo(seed: string, hook?: (operation: string) => void): Io {
      const node = new Simulation({ seed, profile: 'posix' }).node('n');
      // Emulated O_DIRECT in direct mode; the target is allocAligned memory, so readInto takes the
      // strategy's in-place path, whose promise is the one delivered to the blob.
      return new WrappedIo(node.io, { seed: 3, ...(mode === 'direct' ? { directAlignmentBytes: 4096 } : {}), ...(hook === undefined ? {} : { beforeOperation: hook }) });
    }

    it('a read the Io fails rejects with its error and counts the read out (close resolves)', async () => {
      let failReads = false;
      const io = simIo('read-sink-eio', (operation) => {
        if (failReads && operation === 'read') throw new StorageError('EIO', 'injected', { operation: 'read' });
      });
      await withBlob(io, options, 3 * 4096, async (blob) => {
        failReads = true;
        const target = io.allocAligned(4096);
        const err = await blob.readInto(target, 4096).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(StorageError);
        expect((err as StorageError).code).to.equal('EIO');
        failReads = false;
        // The handle still reads.
        const view = await blob.readInto(target, 4096);
        expect([view[0], view[4095]]).to.deep.equal([byteAt(4096), byteAt(2 * 4096 - 1)]);
        return closeOutcome(blob);
      });
    });

    it('a count the Io cannot have read is ERR_INTERNAL, and the read is counted out', async () => {
      const { io, replaced } = withRead(simIo('read-sink-count'));
      await withBlob(io, options, 2 * 4096, async (blob) => {
        replaced.read = (_fd, buffer) => Promise.resolve(buffer.byteLength + 1);
        const err = await blob.readInto(io.allocAligned(4096), 0).then(() => undefined, (e: unknown) => e);
        expect((err as StorageError).code).to.equal('ERR_INTERNAL');
        expect((err as StorageError).details).to.include({ operation: 'read', askedBytes: 4096, countBytes: 4097 });
        delete replaced.read;
        return closeOutcome(blob);
      });
    });

    it('a file shorter than the handle\'s size is ERR_OUT_OF_RANGE with the data offset, and the read is counted out', async () => {
      const io = simIo('read-sink-short');
      await withBlob(io, options, 3 * 4096, async (blob) => {
        // Another Storage cuts the file to a page and a half: this handle still sees three pages.
        const other = createStorage(io, options);
        await (await other.open('p', 'b')).blob.resize(4096 + 2048);
        await other.close();
        const err = await blob.readInto(io.allocAligned(2 * 4096), 4096).then(() => undefined, (e: unknown) => e);
        expect((err as StorageError).code).to.equal('ERR_OUT_OF_RANGE');
        expect((err as StorageError).details).to.include({
          operation: 'blob.readInto', offsetBytes: 4096, lengthBytes: 2 * 4096, reason: 'file-shorter-than-handle-size',
        });
        return closeOutcome(blob);
      });
    });

    it('many reads in flight at once each resolve with their own bytes, and the handle closes after them', async () => {
      const io = simIo('read-sink-many');
      await withBlob(io, options, 16 * 4096, async (blob) => {
        const targets = Array.from({ length: 16 }, () => io.allocAligned(4096));
        const views = await Promise.all(targets.map((target, i) => blob.readInto(target, i * 4096)));
        views.forEach((view, i) => {
          expect(view.buffer).to.equal(targets[i]!.buffer);
          expect([view[0], view[4095]]).to.deep.equal([byteAt(i * 4096), byteAt(i * 4096 + 4095)]);
        });
        return closeOutcome(blob);
      });
    });

    it('a write the Io fails rejects with its error, leaves the size alone, gives the lock back and counts the write out', async () => {
      let failWrites = false;
      const io = simIo('write-sink-eio', (operation) => {
        if (failWrites && operation === 'write') throw new StorageError('EIO', 'injected', { operation: 'write' });
      });
      await withBlob(io, options, 2 * 4096, async (blob) => {
        failWrites = true;
        // Aligned memory at a sector boundary, growing the blob: in direct mode the write that holds the lock itself.
        const data = io.allocAligned(4096).fill(0x5a);
        const err = await blob.writeAt(2 * 4096, data).then(() => undefined, (e: unknown) => e);
        expect((err as StorageError).code).to.equal('EIO');
        expect(blob.sizeBytes).to.equal(2 * 4096);
        failWrites = false;
        // A resize takes the file's lock alone in direct mode: it waits for ever if the failed write kept it.
        expect(await settlesSoon(blob.resize(3 * 4096))).to.equal('settled');
        expect(blob.sizeBytes).to.equal(3 * 4096);
        await blob.writeAt(2 * 4096, data);
        const back = await blob.readAt(2 * 4096, 4096);
        expect(back.every((b) => b === 0x5a)).to.equal(true);
        return closeOutcome(blob);
      });
    });

    it('a write count the Io cannot have written is ERR_INTERNAL; the lock is given back and the write counted out', async () => {
      const { io, replaced } = withRead(simIo('write-sink-count'));
      await withBlob(io, options, 4096, async (blob) => {
        replaced.write = (_fd, buffer) => Promise.resolve(buffer.byteLength + 1);
        const err = await blob.writeAt(4096, io.allocAligned(4096)).then(() => undefined, (e: unknown) => e);
        expect((err as StorageError).code).to.equal('ERR_INTERNAL');
        expect((err as StorageError).details).to.include({ operation: 'write', askedBytes: 4096, countBytes: 4097 });
        expect(blob.sizeBytes).to.equal(4096);
        delete replaced.write;
        expect(await settlesSoon(blob.resize(100))).to.equal('settled');
        return closeOutcome(blob);
      });
    });

    it('short writes are finished before the write resolves, and whole-sector writes beside a partial one keep their bytes', async () => {
      const node = new Simulation({ seed: 'write-sink-short', profile: 'posix' }).node('n');
      const io = new WrappedIo(node.io, { seed: 5, shortTransferRate: 0.5, ...(mode === 'direct' ? { directAlignmentBytes: 4096 } : {}) });
      await withBlob(io, options, 0, async (blob) => {
        const pages = Array.from({ length: 12 }, (_, i) => io.allocAligned(4096).fill(i + 1));
        // Whole pages in flight together, and a partial-sector write among them (an exclusive
        // holder in direct mode: the pages issued after it wait for it in line).
        const partial = new Uint8Array(100).fill(0xee);
        await Promise.all([
          ...pages.slice(0, 6).map((page, i) => blob.writeAt(i * 4096, page)),
          blob.writeAt(12 * 4096 + 10, partial),
          ...pages.slice(6).map((page, i) => blob.writeAt((i + 6) * 4096, page)),
        ]);
        expect(blob.sizeBytes).to.equal(12 * 4096 + 110);
        const back = await blob.readAt(0, 12 * 4096 + 110);
        for (let i = 0; i < 12; i++) expect(back.subarray(i * 4096, (i + 1) * 4096).every((b) => b === i + 1), `page ${i}`).to.equal(true);
        expect(back.subarray(12 * 4096, 12 * 4096 + 10).every((b) => b === 0)).to.equal(true);
        expect(back.subarray(12 * 4096 + 10).every((b) => b === 0xee)).to.equal(true);
        expect(io.counters.shortTransfers, 'writes were made short').to.be.greaterThan(0);
        return closeOutcome(blob);
      });
    });
  });
}
