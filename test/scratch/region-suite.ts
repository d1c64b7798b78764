/**
 * The scratch region's behaviour on any Io. Each backend's test file calls
 * {@link describeScratchRegion} with a factory, so every backend is held to the same checks.
 */
import { expect } from 'chai';
import type { Io } from '../../src/interfaces/io.js';
import { openScratch, type ScratchOptions } from '../../src/scratch/open.js';
import type { ScratchRegion } from '../../src/scratch/region.js';
import { SCRATCH_DIRECTORY_DEFAULT, sweepScratch } from '../../src/scratch/scratch-file.js';
import {
  errorCode, listOrEmpty, patternBytes, rejectionCode, TestRng, thrownCode, withGatedReads, type ScratchHarness, type ScratchHarnessFactory,
} from './support.js';

export interface RegionSuiteOptions {
  /** Passed as `direct` to every openScratch of the suite (undefined: the region's default). */
  readonly direct?: boolean;
  /**
   * What `region.direct` must be; `'auto'`: whatever the Io offers (`features.direct`, unless the
   * harness found the file system refusing O_DIRECT).
   */
  readonly expectDirect: boolean | 'auto';
}

const KIB = 1024;

type Resizable = ArrayBuffer & { resize(lengthBytes: number): void };
const ResizableBuffer = ArrayBuffer as unknown as new (lengthBytes: number, options: { maxByteLength: number }) => Resizable;

/** A caller buffer of `lengthBytes` and something the caller may do to it while a read is in flight. */
interface Meddled {
  readonly buffer: Uint8Array;
  meddle(): void;
}

/** Ways to take a buffer's memory away from under a read: afterwards the read cannot deliver. */
const TAKE_AWAY: ReadonlyArray<readonly [string, (lengthBytes: number) => Meddled]> = [
  ['detached', (lengthBytes) => {
    const buffer = new Uint8Array(lengthBytes);
    return { buffer, meddle: () => { structuredClone(buffer.buffer, { transfer: [buffer.buffer] }); } };
  }],
  ['shrunk below the slot', (lengthBytes) => {
    const backing = new ResizableBuffer(lengthBytes, { maxByteLength: 2 * lengthBytes });
    return { buffer: new Uint8Array(backing, 0, lengthBytes), meddle: () => backing.resize(lengthBytes - 1) };
  }],
];

/** Things a caller may do to a buffer under a read that leave its memory in place. */
const LEAVE_IN_PLACE: ReadonlyArray<readonly [string, (lengthBytes: number) => Meddled]> = [
  ['written', (lengthBytes) => {
    const buffer = new Uint8Array(lengthBytes);
    return { buffer, meddle: () => { buffer.fill(0xa5); } };
  }],
  ['shrunk and grown back', (lengthBytes) => {
    const backing = new ResizableBuffer(lengthBytes, { maxByteLength: 2 * lengthBytes });
    return {
      buffer: new Uint8Array(backing, 0, lengthBytes),
      meddle: () => {
        backing.resize(1);
        backing.resize(lengthBytes);
      },
    };
  }],
];

export function describeScratchRegion(name: string, factory: ScratchHarnessFactory, suite: RegionSuiteOptions): void {
  describe(`scratch region on ${name}`, function () {
    let harness: ScratchHarness | undefined;
    const regions: ScratchRegion[] = [];

    const io = (): Io => {
      if (harness === undefined) throw new Error('no harness');
      return harness.io;
    };
    const open = async (options: ScratchOptions): Promise<ScratchRegion> => {
      const merged: ScratchOptions = suite.direct === undefined ? options : { ...options, direct: suite.direct };
      const region = await openScratch(io(), merged);
      regions.push(region);
      return region;
    };

    /** Runs `body` where the Io can make progress (inside the simulation for SimIo). */
    const inRun = async (body: () => Promise<void>): Promise<void> => {
      const h = harness;
      if (h === undefined) throw new Error('no harness');
      await (h.run === undefined ? body() : h.run(body));
    };
    const test = (title: string, body: () => Promise<void>): void => {
      it(title, () => inRun(body));
    };

    beforeEach(async () => {
      harness = await factory();
    });

    afterEach(async () => {
      await inRun(async () => {
        for (const region of regions.splice(0)) await region.close().catch(() => undefined);
      });
      await harness?.dispose();
      harness = undefined;
    });

    test('stores and returns values of any length, exactly', async () => {
      const region = await open({ capacityBytes: 256 * KIB });
      const offered = io().features.direct && harness?.directWorks !== false;
      expect(region.direct).to.equal(suite.expectDirect === 'auto' ? offered : suite.expectDirect && offered);
      const lengths = [0, 1, 7, 511, 512, 513, 4095, 4096, 4097, 65_536, 100_000];
      const slots: number[] = [];
      for (const [index, lengthBytes] of lengths.entries()) slots.push(await region.write(patternBytes(index, lengthBytes)));
      expect(new Set(slots).size).to.equal(slots.length);
      expect(region.slotCount).to.equal(lengths.length);
      for (const [index, lengthBytes] of lengths.entries()) {
        const got = await region.read(slots[index]!);
        expect(got.byteLength).to.equal(lengthBytes);
        expect(Buffer.from(got).equals(Buffer.from(patternBytes(index, lengthBytes)))).to.equal(true);
        expect(region.lengthOf(slots[index]!)).to.equal(lengthBytes);
      }
      expect(region.stats).to.include({ writes: lengths.length, reads: lengths.length, frees: 0, writeErrors: 0, readErrors: 0 });
      const total = lengths.reduce((sum, n) => sum + n, 0);
      expect(region.storedBytes).to.equal(total);
      expect(region.usedBytes).to.be.at.least(total);
      expect(region.usedBytes % region.alignmentBytes).to.equal(0);
    });

    test('an anonymous region leaves no name behind, open or closed', async () => {
      const region = await open({ capacityBytes: 64 * KIB });
      expect(region.path).to.equal(undefined);
      await region.write(patternBytes(1, 5000));
      expect(await listOrEmpty(io(), SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
      await region.close();
      expect(await listOrEmpty(io(), SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
    });

    test('uses a custom scratch directory, creating missing parents; sweepScratch counts what it removes', async () => {
      expect(await sweepScratch(io(), { directory: 'spill/deep' })).to.equal(0);
      const region = await open({ capacityBytes: 16 * KIB, directory: 'spill/deep' });
      expect((await io().stat('spill/deep')).isDirectory).to.equal(true);
      expect(await io().readdir('spill/deep')).to.deep.equal([]);
      const fd = await io().open('spill/deep/scratch-zz-9.tmp', { write: true, create: true });
      await io().close(fd);
      expect(await sweepScratch(io(), { directory: 'spill/deep' })).to.equal(1);
      expect(await io().readdir('spill/deep')).to.deep.equal([]);
      await region.close();
    });

    test('several anonymous regions opened at once stay independent', async () => {
      // Their sweeps may remove each other's names inside the create-to-unlink window: harmless.
      const opened = await Promise.all(Array.from({ length: 6 }, () => open({ capacityBytes: 32 * KIB })));
      const slots = await Promise.all(opened.map((region, i) => region.write(patternBytes(100 + i, 7000))));
      for (const [i, region] of opened.entries()) {
        expect(Buffer.from(await region.read(slots[i]!)).equals(Buffer.from(patternBytes(100 + i, 7000)))).to.equal(true);
      }
      expect(await listOrEmpty(io(), SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
      for (const region of opened) await region.close();
    });

    test('a named region is preallocated to its capacity and removed on close', async () => {
      const region = await open({ path: 'spill.bin', capacityBytes: 96 * KIB });
      expect(region.path).to.equal('spill.bin');
      expect(region.capacityBytes).to.equal(96 * KIB);
      expect((await io().stat('spill.bin')).sizeBytes).to.equal(96 * KIB);
      await region.write(patternBytes(2, 3000));
      await region.close();
      expect(await rejectionCode(io().stat('spill.bin'))).to.equal('ENOENT');
    });

    test('removes stale scratch files left by a crash, and nothing else', async () => {
      await io().mkdir(SCRATCH_DIRECTORY_DEFAULT);
      for (const name of ['scratch-abc-1.tmp', 'keep-me.txt']) {
        const fd = await io().open(`${SCRATCH_DIRECTORY_DEFAULT}/${name}`, { write: true, create: true });
        await io().write(fd, new Uint8Array([1, 2, 3]), 0);
        await io().close(fd);
      }
      const region = await open({ capacityBytes: 8 * KIB });
      expect(await io().readdir(SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal(['keep-me.txt']);
      await region.close();
    });

    test('free makes a slot unreadable and its space reusable', async () => {
      const region = await open({ capacityBytes: 64 * KIB });
      const a = await region.write(patternBytes(1, 10_000));
      const b = await region.write(patternBytes(2, 10_000));
      const usedBefore = region.usedBytes;
      region.free(a);
      expect(region.stats.frees).to.equal(1);
      expect(region.slotCount).to.equal(1);
      expect(region.usedBytes).to.be.below(usedBefore);
      expect(region.has(a)).to.equal(false);
      expect(await rejectionCode(region.read(a))).to.equal('ERR_INVALID_SLOT');
      expect(thrownCode(() => region.free(a))).to.equal('ERR_INVALID_SLOT');
      expect(thrownCode(() => region.lengthOf(a))).to.equal('ERR_INVALID_SLOT');
      const c = await region.write(patternBytes(3, 10_000));
      expect(c).to.not.equal(a);
      expect(region.usedBytes).to.equal(usedBefore);
      expect(Buffer.from(await region.read(b)).equals(Buffer.from(patternBytes(2, 10_000)))).to.equal(true);
      expect(Buffer.from(await region.read(c)).equals(Buffer.from(patternBytes(3, 10_000)))).to.equal(true);
    });

    test('readInto fills the caller buffer and refuses one that is too short', async () => {
      const region = await open({ capacityBytes: 64 * KIB });
      const slot = await region.write(patternBytes(9, 5000));
      const target = new Uint8Array(6000).fill(0xee);
      const view = await region.readInto(slot, target);
      expect(view.buffer).to.equal(target.buffer);
      expect(view.byteLength).to.equal(5000);
      expect(Buffer.from(view).equals(Buffer.from(patternBytes(9, 5000)))).to.equal(true);
      expect(target[5000]).to.equal(0xee);
      expect(await rejectionCode(region.readInto(slot, new Uint8Array(4999)))).to.equal('ERR_INVALID_ARGUMENT');
      expect(await rejectionCode(region.readInto(slot, [] as unknown as Uint8Array))).to.equal('ERR_INVALID_ARGUMENT');
      const empty = await region.write(new Uint8Array(0));
      expect((await region.readInto(empty, new Uint8Array(0))).byteLength).to.equal(0);
      region.free(slot);
      expect(await rejectionCode(region.readInto(slot, target))).to.equal('ERR_INVALID_SLOT');
    });

    test('readInto refuses a missing buffer (undefined) with ERR_INVALID_ARGUMENT', async () => {
      const region = await open({ capacityBytes: 16 * KIB });
      const slot = await region.write(patternBytes(1, 100));
      const empty = await region.write(new Uint8Array(0));
      for (const target of [slot, empty]) {
        for (const missing of [undefined, null]) {
          expect(await rejectionCode(region.readInto(target, missing as unknown as Uint8Array)), String(missing)).to.equal('ERR_INVALID_ARGUMENT');
        }
      }
      expect(region.stats).to.include({ reads: 0, readErrors: 0 });
    });

    test('readInto: a buffer detached or shrunk right after the call is ERR_DETACHED_BUFFER, not a read error or corruption', async () => {
      for (const checksums of [true, false]) {
        const region = await open({ capacityBytes: 64 * KIB, checksums });
        const slot = await region.write(patternBytes(3, 5000));
        for (const [how, make] of TAKE_AWAY) {
          const { buffer, meddle } = make(5000);
          // At once: UringIo answers a cached read at the call, so the bytes may be in already.
          const pending = region.readInto(slot, buffer);
          meddle();
          expect(await rejectionCode(pending), `${how}, checksums: ${checksums}`).to.equal('ERR_DETACHED_BUFFER');
        }
        expect(region.stats, `checksums: ${checksums}`).to.include({ reads: 0, readErrors: 0, checksumMismatches: 0 });
        expect(Buffer.from(await region.read(slot)).equals(Buffer.from(patternBytes(3, 5000)))).to.equal(true);
      }
    });

    test('readInto with checksums: a buffer written, or shrunk and grown back, right after the call still gets the value, never EIO', async () => {
      const region = await open({ capacityBytes: 64 * KIB });
      const slot = await region.write(patternBytes(4, 5000));
      for (const [how, make] of LEAVE_IN_PLACE) {
        const { buffer, meddle } = make(5000);
        const pending = region.readInto(slot, buffer);
        meddle();
        const view = await pending;
        expect(Buffer.from(view).equals(Buffer.from(patternBytes(4, 5000))), how).to.equal(true);
      }
      expect(region.stats).to.include({ reads: LEAVE_IN_PLACE.length, readErrors: 0, checksumMismatches: 0 });
    });

    test('readInto: a buffer taken away while the read is held in flight is ERR_DETACHED_BUFFER; one left in place gets the value', async () => {
      for (const checksums of [true, false]) {
        const gated = withGatedReads(io());
        const options: ScratchOptions = { capacityBytes: 64 * KIB, checksums };
        const region = await openScratch(gated.io, suite.direct === undefined ? options : { ...options, direct: suite.direct });
        regions.push(region);
        const slot = await region.write(patternBytes(5, 5000));
        const held = [...TAKE_AWAY, ...LEAVE_IN_PLACE].map(([how, make]) => {
          const { buffer, meddle } = make(5000);
          const pending = region.readInto(slot, buffer);
          meddle();
          return { how, outcome: pending.then((view) => Buffer.from(view).equals(Buffer.from(patternBytes(5, 5000))), errorCode) };
        });
        gated.open();
        const outcomes = await Promise.all(held.map(async ({ how, outcome }) => [how, await outcome] as const));
        expect(outcomes, `checksums: ${checksums}`).to.deep.equal([
          ...TAKE_AWAY.map(([how]) => [how, 'ERR_DETACHED_BUFFER']),
          ...LEAVE_IN_PLACE.map(([how]) => [how, true]),
        ]);
        expect(region.stats, `checksums: ${checksums}`).to.include({ reads: LEAVE_IN_PLACE.length, readErrors: 0, checksumMismatches: 0 });
      }
    });

    test('write and readInto use a buffer\'s real memory, whatever its subclass or own properties say', async () => {
      const region = await open({ capacityBytes: 64 * KIB });
      class Liar extends Uint8Array {
        override get byteLength(): number { return 1 << 20; }
        override get length(): number { return 1 << 20; }
        override get buffer(): ArrayBuffer { return new ArrayBuffer(1 << 20); }
      }
      class Sly extends Uint8Array {}
      for (const method of ['subarray', 'slice']) Object.defineProperty(Sly.prototype, method, { value: () => new Uint8Array(1 << 20) });
      Object.defineProperty(Sly.prototype, 'set', { value: () => { throw new Error('set must not be called on a caller buffer'); } });
      for (const make of [(n: number) => new Liar(n), (n: number) => new Sly(n)]) {
        const source = make(3000);
        const expected = patternBytes(4, 3000);
        for (let i = 0; i < 3000; i++) source[i] = expected[i] as number;
        const slot = await region.write(source);
        expect(region.lengthOf(slot)).to.equal(3000);
        const target = make(4000);
        const view = await region.readInto(slot, target);
        expect(view.byteLength).to.equal(3000);
        expect(Buffer.from(view).equals(Buffer.from(expected))).to.equal(true);
        // Indexed access reads the caller's memory itself (no getter can intercept it).
        for (let i = 0; i < 3000; i++) expect(target[i]).to.equal(expected[i]);
        region.free(slot);
      }
    });

    test('rejects unknown slots and malformed arguments with their codes', async () => {
      const region = await open({ capacityBytes: 16 * KIB });
      const slot = await region.write(patternBytes(1, 10));
      expect(await rejectionCode(region.read(slot + 1000))).to.equal('ERR_INVALID_SLOT');
      expect(await rejectionCode(region.read(-1))).to.equal('ERR_INVALID_SLOT');
      expect(await rejectionCode(region.read(1.5))).to.equal('ERR_INVALID_SLOT');
      expect(await rejectionCode(region.read('1' as unknown as number))).to.equal('ERR_INVALID_ARGUMENT');
      expect(thrownCode(() => region.free(slot + 1))).to.equal('ERR_INVALID_SLOT');
      expect(await rejectionCode(region.write('text' as unknown as Uint8Array))).to.equal('ERR_INVALID_ARGUMENT');
      expect(region.slotCount).to.equal(1);
    });

    test('rejects malformed options before creating anything', async () => {
      const bad: unknown[] = [
        {}, { capacityBytes: 0 }, { capacityBytes: -1 }, { capacityBytes: 1.5 }, { capacityBytes: 4096, bogus: 1 },
        { capacityBytes: 8192, maxCapacityBytes: 4096 }, { capacityBytes: 4096, direct: 'yes' },
        { capacityBytes: 4096, alignmentBytes: 3000 }, { capacityBytes: 4096, slotCountMax: 0 },
      ];
      for (const options of bad) {
        expect(await rejectionCode(openScratch(io(), options as ScratchOptions)), JSON.stringify(options)).to.equal('ERR_INVALID_ARGUMENT');
      }
      expect(await rejectionCode(openScratch(io(), { capacityBytes: 2 ** 50 }))).to.equal('ERR_LIMIT_EXCEEDED');
      expect(await rejectionCode(openScratch(io(), { capacityBytes: 4096, path: '../escape' }))).to.equal('ERR_PATH_ESCAPE');
      expect(await listOrEmpty(io(), SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
    });

    test('grows by doubling up to the maximum, then refuses without harming stored slots', async () => {
      const region = await open({ capacityBytes: 8 * KIB, maxCapacityBytes: 64 * KIB });
      const stored = new Map<number, number>();
      const capacities: number[] = [region.capacityBytes];
      let seed = 0;
      let refusal = '';
      for (let i = 0; i < 64 && refusal === ''; i += 1) {
        seed += 1;
        try {
          stored.set(await region.write(patternBytes(seed, 3000)), seed);
        } catch (err) {
          refusal = (err as { code: string }).code;
        }
        if (capacities[capacities.length - 1] !== region.capacityBytes) capacities.push(region.capacityBytes);
      }
      expect(refusal).to.equal('ERR_LIMIT_EXCEEDED');
      expect(capacities).to.deep.equal([8 * KIB, 16 * KIB, 32 * KIB, 64 * KIB]);
      expect(region.stats.growths).to.equal(3);
      expect(region.usedBytes).to.be.at.most(64 * KIB);
      for (const [slot, s] of stored) expect(Buffer.from(await region.read(slot)).equals(Buffer.from(patternBytes(s, 3000)))).to.equal(true);
      // Freeing makes room again without growth.
      const first = stored.keys().next().value!;
      region.free(first);
      const again = await region.write(patternBytes(999, 3000));
      expect(Buffer.from(await region.read(again)).equals(Buffer.from(patternBytes(999, 3000)))).to.equal(true);
      expect(region.capacityBytes).to.equal(64 * KIB);
      // A value larger than the maximum is refused outright.
      expect(await rejectionCode(region.write(new Uint8Array(65 * KIB)))).to.equal('ERR_LIMIT_EXCEEDED');
    });

    test('never lets a write touch another slot, across random writes and frees', async () => {
      const region = await open({ capacityBytes: 64 * KIB, maxCapacityBytes: 1024 * KIB });
      const rng = new TestRng(7);
      const live = new Map<number, { seed: number; lengthBytes: number }>();
      for (let step = 0; step < 300; step += 1) {
        if (live.size > 0 && rng.below(100) < 40) {
          const keys = [...live.keys()];
          const slot = keys[rng.below(keys.length)]!;
          region.free(slot);
          live.delete(slot);
        } else {
          const lengthBytes = rng.below(100) < 80 ? 1 + rng.below(5000) : 1 + rng.below(40_000);
          const slot = await region.write(patternBytes(step + 1, lengthBytes));
          live.set(slot, { seed: step + 1, lengthBytes });
        }
        if (step % 50 === 49) {
          for (const [slot, { seed, lengthBytes }] of live) {
            expect(Buffer.from(await region.read(slot)).equals(Buffer.from(patternBytes(seed, lengthBytes))), `slot ${slot} at step ${step}`).to.equal(true);
          }
        }
      }
      expect(region.slotCount).to.equal(live.size);
      expect(region.storedBytes).to.equal([...live.values()].reduce((sum, v) => sum + v.lengthBytes, 0));
    });

    test('handles many concurrent writes, growth included, and concurrent reads', async () => {
      const region = await open({ capacityBytes: 16 * KIB, maxCapacityBytes: 4096 * KIB });
      const lengths = Array.from({ length: 64 }, (_, i) => 100 + ((i * 7919) % 20_000));
      const slots = await Promise.all(lengths.map((lengthBytes, i) => region.write(patternBytes(i, lengthBytes))));
      expect(new Set(slots).size).to.equal(slots.length);
      expect(region.capacityBytes).to.be.above(16 * KIB);
      const values = await Promise.all(slots.map((slot) => region.read(slot)));
      for (const [i, value] of values.entries()) expect(Buffer.from(value).equals(Buffer.from(patternBytes(i, lengths[i]!)))).to.equal(true);
    });

    test('a read in flight while its slot is freed still returns its bytes', async () => {
      const gated = withGatedReads(io());
      const region = await openScratch(gated.io, suite.direct === undefined ? { capacityBytes: 64 * KIB } : { capacityBytes: 64 * KIB, direct: suite.direct });
      regions.push(region);
      const slot = await region.write(patternBytes(1, 8000));
      const pending = region.read(slot);
      region.free(slot);
      // Same size: would land on the freed extent (and overwrite it under the held read) if the
      // extent were released before the read finished.
      const other = await region.write(patternBytes(2, 8000));
      gated.open();
      expect(Buffer.from(await pending).equals(Buffer.from(patternBytes(1, 8000)))).to.equal(true);
      expect(Buffer.from(await region.read(other)).equals(Buffer.from(patternBytes(2, 8000)))).to.equal(true);
      expect(await rejectionCode(region.read(slot))).to.equal('ERR_INVALID_SLOT');
    });

    test('copies the data at write time (the caller may reuse its buffer once write returns)', async () => {
      const region = await open({ capacityBytes: 64 * KIB });
      const data = patternBytes(5, 6000);
      const pending = region.write(data);
      data.fill(0);
      const slot = await pending;
      expect(Buffer.from(await region.read(slot)).equals(Buffer.from(patternBytes(5, 6000)))).to.equal(true);
    });

    test('detects bytes changed behind its back (checksums) and can be told not to', async () => {
      const corrupt = async (path: string): Promise<void> => {
        const fd = await io().open(path, { read: true, write: true });
        await io().write(fd, new Uint8Array([0xde, 0xad]), 10);
        await io().close(fd);
      };
      const checked = await open({ path: 'checked.bin', capacityBytes: 16 * KIB });
      const a = await checked.write(patternBytes(1, 1000));
      await corrupt('checked.bin');
      expect(await rejectionCode(checked.read(a))).to.equal('EIO');
      expect(checked.has(a)).to.equal(true);
      expect(checked.stats).to.include({ checksumMismatches: 1, readErrors: 0, reads: 0 });

      const unchecked = await open({ path: 'unchecked.bin', capacityBytes: 16 * KIB, checksums: false });
      const b = await unchecked.write(patternBytes(1, 1000));
      await corrupt('unchecked.bin');
      const got = await unchecked.read(b);
      expect(got[10]).to.equal(0xde);
      expect(got.byteLength).to.equal(1000);
    });

    test('enforces slotCountMax and operationsInFlightMax', async () => {
      const region = await open({ capacityBytes: 64 * KIB, slotCountMax: 3, operationsInFlightMax: 2 });
      const slots = [await region.write(patternBytes(1, 10)), await region.write(patternBytes(2, 10)), await region.write(patternBytes(3, 10))];
      expect(await rejectionCode(region.write(patternBytes(4, 10)))).to.equal('ERR_LIMIT_EXCEEDED');
      region.free(slots[0]!);
      await region.write(patternBytes(4, 10));
      const reads = [region.read(slots[1]!), region.read(slots[2]!), region.read(slots[2]!)];
      const outcomes = await Promise.allSettled(reads);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected']);
      expect((outcomes[2] as PromiseRejectedResult).reason.code).to.equal('ERR_LIMIT_EXCEEDED');
    });

    test('close waits for operations in flight, then everything is ERR_CLOSED', async () => {
      const region = await open({ capacityBytes: 64 * KIB, path: 'closing.bin' });
      const slot = await region.write(patternBytes(1, 1000));
      const writes = [region.write(patternBytes(2, 20_000)), region.write(patternBytes(3, 20_000))];
      const read = region.read(slot);
      const closed = region.close();
      expect(region.closed).to.equal(true);
      const outcomes = await Promise.allSettled([...writes, read]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled']);
      await closed;
      await region.close();
      expect(await rejectionCode(region.write(patternBytes(4, 10)))).to.equal('ERR_CLOSED');
      expect(await rejectionCode(region.read(slot))).to.equal('ERR_CLOSED');
      expect(thrownCode(() => region.free(slot))).to.equal('ERR_CLOSED');
      expect(thrownCode(() => region.lengthOf(slot))).to.equal('ERR_CLOSED');
      expect(region.has(slot)).to.equal(false);
      expect(await rejectionCode(io().stat('closing.bin'))).to.equal('ENOENT');
    });
  });
}
