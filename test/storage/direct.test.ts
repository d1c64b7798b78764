/**
 * Direct mode details the conformance suite cannot see: that every transfer reaching the Io is
 * aligned, that the file length stays exact after unaligned appends, that short transfers are
 * really injected by the test wrapper, and concurrent writes into one sector from two handles.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FsIo } from '../../src/backends/fs/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import { BLOB_HEADER_BYTES } from '../../src/interfaces/limits.js';
import { createStorage } from '../../src/storage/index.js';
import { patternBytes } from '../conformance/storage-suite.js';
import { WrappedIo } from './wrapped-io.js';
import { isAlignedView, markAlignedMemory } from '../../src/common/aligned-memory.js';

/**
 * A subclass that lies about its length and throws from its methods: Storage must use the
 * engine's length and the caller's memory, and call none of its methods.
 */
class Liar extends Uint8Array {
  override get byteLength(): number { return 1; }
  override subarray(): never { throw new Error('subarray called'); }
  override set(): never { throw new Error('set called'); }
}

/** An emulated-direct Io that records the buffer of every `read` or `write` it is given. */
function recordingIo(inner: FsIo, kind: 'read' | 'write', seen: Uint8Array[]): WrappedIo {
  const io = new WrappedIo(inner, { directAlignmentBytes: 512 });
  const passOn = io[kind].bind(io);
  io[kind] = (fd, buffer, offsetBytes) => {
    seen.push(buffer);
    return passOn(fd, buffer, offsetBytes);
  };
  return io;
}

describe('storage/direct mode over emulated O_DIRECT', () => {
  let root: string;
  let inner: FsIo;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'faultline-direct-'));
    inner = new FsIo({ root });
  });

  afterEach(async () => {
    await inner.shutdown();
    await rm(root, { recursive: true, force: true });
  });

  it('the wrapper refuses misaligned direct transfers (so the suites over it can fail)', async () => {
    const io = new WrappedIo(inner, { directAlignmentBytes: 512 });
    const fd = await io.open('f', { read: true, write: true, create: true, direct: true });
    let caught: unknown;
    await io.write(fd, new Uint8Array(100), 0).catch((err: unknown) => { caught = err; });
    expect(caught).to.be.instanceOf(StorageError);
    expect((caught as StorageError).code).to.equal('EINVAL');
    expect(await io.write(fd, io.allocAligned(512), 512)).to.equal(512);
    await io.close(fd);
  });

  it('unaligned writes and resizes never send a misaligned transfer and keep the length exact', async () => {
    const io = new WrappedIo(inner, { directAlignmentBytes: 512 });
    const storage = createStorage(io, { direct: true });
    const { blob } = await storage.open('p', 'b');
    const expected = new Uint8Array(5000);
    let lengthBytes = 0;
    const steps: Array<[number, number]> = [[0, 1], [1, 700], [511, 2], [1500, 1], [3000, 2000], [2999, 3], [4000, 1000]];
    for (const [offsetBytes, sizeBytes] of steps) {
      const data = patternBytes(sizeBytes, offsetBytes);
      await blob.writeAt(offsetBytes, data);
      expected.set(data, offsetBytes);
      lengthBytes = Math.max(lengthBytes, offsetBytes + sizeBytes);
      expect(blob.sizeBytes).to.equal(lengthBytes);
      expect((await inner.stat('p/62')).sizeBytes).to.equal(BLOB_HEADER_BYTES + lengthBytes);
    }
    expect(Buffer.from(await blob.readAt(0, lengthBytes)).equals(Buffer.from(expected.subarray(0, lengthBytes)))).to.equal(true);
    await blob.resize(777);
    expect((await inner.stat('p/62')).sizeBytes).to.equal(BLOB_HEADER_BYTES + 777);
    expect(io.counters.misaligned).to.equal(0);
    await storage.close();
  });

  it('concurrent writes into the same sector through two handles both land', async () => {
    const io = new WrappedIo(inner, { directAlignmentBytes: 4096 });
    const storage = createStorage(io, { direct: true });
    const first = (await storage.open('p', 'b')).blob;
    const second = (await storage.open('p', 'b')).blob;
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 64; i++) writes.push((i % 2 === 0 ? first : second).writeAt(i * 10, new Uint8Array(10).fill(i + 1)));
    await Promise.all(writes);
    const third = (await storage.open('p', 'b')).blob;
    const all = await third.readAt(0, 640);
    for (let i = 0; i < 64; i++) expect(all.subarray(i * 10, i * 10 + 10).every((b) => b === i + 1), `piece ${i}`).to.equal(true);
    expect(io.counters.misaligned).to.equal(0);
    await storage.close();
  });

  it('whole-sector writes run concurrently, partial-sector and extending writes alone, and all land', async () => {
    const io = new WrappedIo(inner, { directAlignmentBytes: 512 });
    const storage = createStorage(io, { direct: true });
    const first = (await storage.open('p', 'b')).blob;
    const second = (await storage.open('p', 'b')).blob;
    await first.writeAt(0, new Uint8Array(64 * 512));
    const writes: Array<Promise<void>> = [];
    const expected = new Uint8Array(70 * 512 + 3);
    for (let i = 0; i < 64; i++) {
      const blob = i % 2 === 0 ? first : second;
      if (i % 4 === 3) {
        // Partial sectors: 10 bytes in the middle of a sector another write also fills whole.
        const data = new Uint8Array(10).fill(200 + i);
        writes.push(blob.writeAt((i - 1) * 512 + 100, data));
        continue;
      }
      const data = new Uint8Array(512).fill(i + 1);
      expected.set(data, i * 512);
      writes.push(blob.writeAt(i * 512, data));
    }
    // An extending partial write while whole-sector writes are in flight: none of theirs is cut off.
    const tail = Uint8Array.of(9, 9, 9);
    expected.set(tail, 70 * 512);
    writes.push(second.writeAt(70 * 512, tail));
    await Promise.all(writes);
    expect(io.counters.writesInFlightMax).to.be.greaterThan(1);
    const all = await (await storage.open('p', 'b')).blob.readAt(0, 70 * 512 + 3);
    for (let i = 0; i < 64; i++) {
      const sector = all.subarray(i * 512, i * 512 + 512);
      if (i % 4 === 3) {
        expect(sector.every((b) => b === 0), `sector ${i} untouched`).to.equal(true);
      } else if (i % 4 === 2) {
        // Whole-written and partly overwritten by the write of i + 1: either order, never a mix.
        const wholeLast = sector.every((b) => b === i + 1);
        const partialLast = sector.subarray(100, 110).every((b) => b === ((201 + i) & 0xff)) &&
          sector.subarray(0, 100).every((b) => b === i + 1) && sector.subarray(110).every((b) => b === i + 1);
        expect(wholeLast || partialLast, `sector ${i} holds both writes in one order`).to.equal(true);
      } else {
        expect(sector.every((b) => b === i + 1), `sector ${i}`).to.equal(true);
      }
    }
    expect(Array.from(all.subarray(70 * 512))).to.deep.equal([9, 9, 9]);
    expect((await inner.stat('p/62')).sizeBytes).to.equal(BLOB_HEADER_BYTES + 70 * 512 + 3);
    expect(io.counters.misaligned).to.equal(0);
    await storage.close();
  });

  it('short transfers are injected and survived', async () => {
    const io = new WrappedIo(inner, { directAlignmentBytes: 512, shortTransferRate: 0.5, seed: 99 });
    const storage = createStorage(io, { direct: true });
    const { blob } = await storage.open('p', 'b');
    const data = patternBytes(300_000, 4);
    await blob.writeAt(3, data);
    expect(Buffer.from(await blob.readAt(3, data.byteLength)).equals(Buffer.from(data))).to.equal(true);
    expect(io.counters.shortTransfers).to.be.greaterThan(0);
    // Whole-sector reads into allocAligned memory go to the Io in place; a short one is finished
    // through the bounce path.
    const target = markAlignedMemory(new Uint8Array(4096));
    const shortBefore = io.counters.shortTransfers;
    for (let atBytes = 512; atBytes <= 64 * 512; atBytes += 512) {
      target.fill(0);
      await blob.readInto(target, atBytes);
      expect(Buffer.from(target).equals(Buffer.from(data.subarray(atBytes - 3, atBytes - 3 + 4096))), `bytes at ${atBytes}`).to.equal(true);
    }
    expect(io.counters.shortTransfers).to.be.greaterThan(shortBefore);
    expect(io.counters.misaligned).to.equal(0);
    await storage.close();
  });

  it('reused bounce buffers carry nothing over: a gap after earlier full writes reads as zeros', async () => {
    const io = new WrappedIo(inner, { directAlignmentBytes: 512 });
    const storage = createStorage(io, { direct: true });
    const { blob } = await storage.open('p', 'b');
    // Full-sector writes of 0xff leave pooled bounce buffers full of 0xff...
    for (let i = 0; i < 8; i += 1) await blob.writeAt(i * 512, new Uint8Array(512).fill(0xff));
    // ...then a one-byte write past the end: the rest of its sector and the gap must be zeros.
    await blob.writeAt(8 * 512 + 700, Uint8Array.of(7));
    const tail = await blob.readAt(8 * 512, 701);
    expect(tail[700]).to.equal(7);
    expect(tail.subarray(0, 700).every((b) => b === 0)).to.equal(true);
    // A read after others returns its own bytes, not a previous read's.
    await blob.writeAt(0, patternBytes(512, 3));
    expect(Buffer.from(await blob.readAt(0, 512)).equals(Buffer.from(patternBytes(512, 3)))).to.equal(true);
    expect(Buffer.from(await blob.readAt(512, 512)).equals(Buffer.alloc(512, 0xff))).to.equal(true);
    expect(io.counters.misaligned).to.equal(0);
    await storage.close();
  });

  it('a whole-sector write from allocAligned memory reaches the Io as the caller\'s memory; anything else goes through a bounce', async () => {
    const seen: Uint8Array[] = [];
    const io = recordingIo(inner, 'write', seen);
    const storage = createStorage(io, { direct: true });
    const { blob } = await storage.open('p', 'b');
    // What every backend's allocAligned hands out is registered as aligned memory.
    const aligned = markAlignedMemory(new Uint8Array(8192));
    aligned.set(patternBytes(8192, 5));
    const cases: Array<{ data: Uint8Array; atBytes: number; inPlace: boolean }> = [
      { data: aligned.subarray(0, 4096), atBytes: 0, inPlace: true },
      { data: aligned.subarray(512, 1536), atBytes: 4096, inPlace: true },
      { data: aligned.subarray(100, 612), atBytes: 5120, inPlace: false }, // misaligned start in memory
      { data: patternBytes(512, 9), atBytes: 5632, inPlace: false }, // ordinary memory
    ];
    for (const { data, atBytes, inPlace } of cases) {
      seen.length = 0;
      await blob.writeAt(atBytes, data);
      const lastWrite = seen[seen.length - 1] as Uint8Array;
      expect(lastWrite.buffer === data.buffer, `write at ${atBytes}`).to.equal(inPlace);
      expect(Buffer.from(await blob.readAt(atBytes, data.byteLength)).equals(Buffer.from(data)), `bytes at ${atBytes}`).to.equal(true);
    }
    const liar = new Liar(aligned.buffer, 1024, 1024);
    await blob.writeAt(8192, liar);
    expect(blob.sizeBytes).to.equal(8192 + 1024);
    expect(Buffer.from(await blob.readAt(8192, 1024)).equals(Buffer.from(aligned.subarray(1024, 2048)))).to.equal(true);
    expect(io.counters.misaligned).to.equal(0);
    await storage.close();
    // allocAligned promises 4096 bytes: a larger alignment never takes the caller's memory as aligned.
    expect(isAlignedView(aligned, 4096)).to.equal(true);
    expect(isAlignedView(aligned, 8192)).to.equal(false);
  });

  it('a whole-sector readInto into allocAligned memory reaches the Io as the caller\'s memory; anything else goes through a bounce', async () => {
    const seen: Uint8Array[] = [];
    const io = recordingIo(inner, 'read', seen);
    const storage = createStorage(io, { direct: true });
    const { blob } = await storage.open('p', 'b');
    const data = patternBytes(8192, 6);
    await blob.writeAt(0, data);
    const aligned = markAlignedMemory(new Uint8Array(8192));
    const cases: Array<{ target: Uint8Array; atBytes: number; lengthBytes?: number; inPlace: boolean }> = [
      { target: aligned.subarray(0, 4096), atBytes: 0, inPlace: true },
      { target: aligned.subarray(512, 1536), atBytes: 4096, inPlace: true },
      { target: aligned, atBytes: 1024, lengthBytes: 512, inPlace: true }, // part of the buffer
      { target: aligned.subarray(100, 612), atBytes: 512, inPlace: false }, // misaligned start in memory
      { target: aligned.subarray(0, 512), atBytes: 100, inPlace: false }, // misaligned in the file
      { target: aligned.subarray(0, 700), atBytes: 512, inPlace: false }, // not whole sectors
      { target: new Uint8Array(512), atBytes: 512, inPlace: false }, // ordinary memory
    ];
    for (const { target, atBytes, lengthBytes, inPlace } of cases) {
      seen.length = 0;
      const wantedBytes = lengthBytes ?? target.byteLength;
      const view = await blob.readInto(target, atBytes, lengthBytes);
      expect(seen.length, `reads for ${atBytes}`).to.equal(1);
      expect((seen[0] as Uint8Array).buffer === target.buffer, `read at ${atBytes}`).to.equal(inPlace);
      expect(Buffer.from(view).equals(Buffer.from(data.subarray(atBytes, atBytes + wantedBytes))), `bytes at ${atBytes}`).to.equal(true);
    }
    seen.length = 0;
    const liar = new Liar(aligned.buffer, 1024, 1024);
    await blob.readInto(liar, 2048);
    expect(seen.map((b) => b.buffer === aligned.buffer)).to.deep.equal([true]);
    expect(Buffer.from(aligned.subarray(1024, 2048)).equals(Buffer.from(data.subarray(2048, 3072)))).to.equal(true);
    expect(io.counters.misaligned).to.equal(0);
    await storage.close();
  });

  it('createStorage refuses direct mode when the alignment does not divide the header', () => {
    const io = new WrappedIo(inner, { directAlignmentBytes: 3000 });
    expect(() => createStorage(io, { direct: true })).to.throw(StorageError).with.property('code', 'ERR_UNSUPPORTED');
  });
});
