/**
 * How Storage hands `blob.writeAt` to the Io in buffered mode: a range the Io takes in one call
 * (none of its buffers empty, within `IOV_COUNT_MAX` and `IO_BYTES_MAX`) goes as exactly one write
 * or writev; a short one is finished by further calls from where it stopped; calls that keep
 * writing nothing end in `EIO` after `WRITE_ZERO_PROGRESS_MAX` of them, however the write began.
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { isStorageError } from '../../src/interfaces/errors.js';
import { createStorage } from '../../src/storage/index.js';
import { WRITE_ZERO_PROGRESS_MAX } from '../../src/storage/buffered.js';
import { WrappedIo } from './wrapped-io.js';

function simIo(seed: string): Io {
  return new Simulation({ seed, profile: 'posix' }).node('n').io;
}

function bytes(lengthBytes: number, seed: number): Uint8Array {
  return new Uint8Array(lengthBytes).map((_, i) => (i * 13 + seed * 7) & 0xff);
}

describe('storage/writeAt: what reaches the Io', () => {
  it('one buffer is one write, several non-empty ones one writev; with an empty one among them the same bytes as one writev of the others', async () => {
    let log: string[] = [];
    const io = new WrappedIo(simIo('write-at-calls'), { seed: 1, beforeOperation: (operation) => log.push(operation) });
    const storage = createStorage(io);
    try {
      const { blob } = await storage.open('p', 'b');
      const cases: Array<[Uint8Array[], string[]]> = [
        [[bytes(4096, 1)], ['write']],
        [[bytes(16, 2), bytes(4080, 3)], ['writev']],
        [[bytes(16, 4), new Uint8Array(0), bytes(100, 5)], ['writev']],
        [[new Uint8Array(0), bytes(10, 6)], ['write']],
      ];
      let offsetBytes = 0;
      for (const [chunks, expected] of cases) {
        log = [];
        await blob.writeAt(offsetBytes, chunks);
        expect(log, `${chunks.length} buffers`).to.deep.equal(expected);
        const joined = Buffer.concat(chunks);
        expect(Buffer.from(await blob.readAt(offsetBytes, joined.length)).equals(joined)).to.equal(true);
        offsetBytes += joined.length;
      }
      expect(blob.sizeBytes).to.equal(offsetBytes);
    } finally {
      await storage.close();
    }
  });

  it('short writes, of one buffer or several: the rest is written from where each stopped, and every byte arrives', async () => {
    const io = new WrappedIo(simIo('write-at-short'), { seed: 3, shortTransferRate: 0.6 });
    const storage = createStorage(io);
    try {
      const { blob } = await storage.open('p', 'b');
      const records = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? [bytes(3000, i)] : [bytes(16, i), bytes(900, i + 100), bytes(2000, i + 200)]));
      let offsetBytes = 0;
      for (const chunks of records) {
        await blob.writeAt(offsetBytes, chunks);
        offsetBytes += chunks.reduce((sum, c) => sum + c.byteLength, 0);
      }
      expect(io.counters.shortTransfers, 'short writes happened').to.be.greaterThan(10);
      expect(blob.sizeBytes).to.equal(offsetBytes);
      expect(Buffer.from(await blob.readAt(0, offsetBytes)).equals(Buffer.concat(records.flat()))).to.equal(true);
    } finally {
      await storage.close();
    }
  });

  for (const [label, chunks] of [['one buffer', [bytes(64, 1)]], ['two buffers', [bytes(16, 1), bytes(48, 2)]]] as const) {
    it(`writes that keep transferring nothing (${label}) fail with EIO after exactly ${WRITE_ZERO_PROGRESS_MAX} calls, and the blob does not grow`, async () => {
      const inner = simIo(`write-at-zero-${label}`);
      let stalled = false;
      let calls = 0;
      const stall = (real: (...args: never[]) => Promise<number>) => (...args: never[]): Promise<number> => {
        if (!stalled) return real(...args);
        calls += 1;
        return Promise.resolve(0);
      };
      // A write or writev of a non-empty range that returns 0 is not an error on Linux.
      const io = new Proxy(inner, {
        get(target, key, receiver) {
          const value: unknown = Reflect.get(target, key, receiver);
          if ((key === 'write' || key === 'writev') && typeof value === 'function') return stall(value.bind(target) as (...args: never[]) => Promise<number>);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const storage = createStorage(io);
      try {
        const { blob } = await storage.open('p', 'b');
        stalled = true;
        const err = await blob.writeAt(0, [...chunks]).then(() => undefined, (e: unknown) => e);
        expect(isStorageError(err, 'EIO'), String(err)).to.equal(true);
        expect(calls).to.equal(WRITE_ZERO_PROGRESS_MAX);
        expect(blob.sizeBytes).to.equal(0);
      } finally {
        stalled = false;
        await storage.close();
      }
    });
  }
});
