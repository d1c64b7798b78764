/**
 * The scratch region under the simulator's faults and crashes: I/O errors reach the caller and
 * harm no other slot, corruption is reported rather than returned, space runs out at open rather
 * than later, and a crash leaves nothing behind.
 */
import { expect } from 'chai';
import { Simulation, type FaultConfig } from '../../src/backends/sim/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import { openScratch } from '../../src/scratch/open.js';
import type { ScratchRegion } from '../../src/scratch/region.js';
import { SCRATCH_DIRECTORY_DEFAULT, SCRATCH_FILE_PATTERN, sweepScratch } from '../../src/scratch/scratch-file.js';
import { listOrEmpty, patternBytes, rejectionCode, TestRng } from './support.js';

const KIB = 1024;
/** Seeds of the corruption campaign: 12 by default; set FAULTLINE_SCRATCH_SEEDS for a longer one. */
const CAMPAIGN_SEEDS = Math.max(1, Number.parseInt(process.env['FAULTLINE_SCRATCH_SEEDS'] ?? '12', 10) || 12);

/** The Io with `features.tmpfile` hidden, so the region takes the create-then-unlink path. */
function withoutTmpfile(io: Io): Io {
  const features = { ...io.features, tmpfile: false };
  return new Proxy(io, {
    get(target, property, receiver) {
      if (property === 'features') return features;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function codeOf(err: unknown): string {
  if (err instanceof StorageError) return err.code;
  throw err;
}

interface Live {
  readonly seed: number;
  readonly lengthBytes: number;
}

async function expectIntact(region: ScratchRegion, live: ReadonlyMap<number, Live>): Promise<void> {
  for (const [slot, { seed, lengthBytes }] of live) {
    const got = await region.read(slot);
    expect(Buffer.from(got).equals(Buffer.from(patternBytes(seed, lengthBytes))), `slot ${slot}`).to.equal(true);
  }
}

describe('scratch region under simulated faults', function () {
  this.timeout(120_000);

  for (const direct of [true, false]) {
    it(`EIO on writes and reads reaches the caller and harms no other slot (direct: ${direct})`, async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const sim = new Simulation({ seed, latency: true });
        const node = sim.node('n');
        await sim.run(async () => {
          const region = await openScratch(node.io, { capacityBytes: 256 * KIB, maxCapacityBytes: 1024 * KIB, direct });
          const rng = new TestRng(seed);
          const live = new Map<number, Live>();
          for (let i = 0; i < 20; i += 1) {
            const lengthBytes = 1 + rng.below(9000);
            live.set(await region.write(patternBytes(i, lengthBytes)), { seed: i, lengthBytes });
          }
          sim.faults.set('writeError', { rate: 0.3 });
          sim.faults.set('readError', { rate: 0.3 });
          let writeErrors = 0;
          let readErrors = 0;
          for (let i = 20; i < 220; i += 1) {
            if (rng.below(3) === 0 && live.size > 0) {
              const slots = [...live.keys()];
              const slot = slots[rng.below(slots.length)]!;
              const expected = live.get(slot)!;
              try {
                const got = await region.read(slot);
                expect(Buffer.from(got).equals(Buffer.from(patternBytes(expected.seed, expected.lengthBytes)))).to.equal(true);
              } catch (err) {
                expect(codeOf(err)).to.equal('EIO');
                readErrors += 1;
                // A failed read leaves the slot valid.
                expect(region.has(slot)).to.equal(true);
              }
              if (rng.below(2) === 0) {
                region.free(slot);
                live.delete(slot);
              }
              continue;
            }
            const before = { count: region.slotCount, used: region.usedBytes };
            const lengthBytes = 1 + rng.below(9000);
            try {
              live.set(await region.write(patternBytes(i, lengthBytes)), { seed: i, lengthBytes });
            } catch (err) {
              const code = codeOf(err);
              expect(['EIO', 'ERR_LIMIT_EXCEEDED']).to.include(code);
              if (code === 'EIO') writeErrors += 1;
              // A failed write creates no slot and gives its space back.
              expect(region.slotCount).to.equal(before.count);
              expect(region.usedBytes).to.equal(before.used);
            }
          }
          expect(writeErrors, 'write faults were injected').to.be.above(0);
          expect(readErrors, 'read faults were injected').to.be.above(0);
          expect(region.stats.writeErrors).to.equal(writeErrors);
          expect(region.stats.readErrors).to.equal(readErrors);
          sim.faults.disable();
          expect(region.slotCount).to.equal(live.size);
          await expectIntact(region, live);
          await region.close();
        });
      }
    });
  }

  it('never returns wrong bytes under corruption, misdirected writes, bad sectors and short transfers', async () => {
    const faults: FaultConfig = {
      shortRead: { rate: 0.2 },
      shortWrite: { rate: 0.2 },
      corruptRead: { rate: 0.05 },
      corruptAtRest: { rate: 0.02 },
      misdirectedWrite: { rate: 0.05 },
      latentSectorError: { rate: 0.02 },
      readError: { rate: 0.02 },
      writeError: { rate: 0.02 },
    };
    let detected = 0;
    let served = 0;
    for (let seed = 1; seed <= CAMPAIGN_SEEDS; seed += 1) {
      const sim = new Simulation({ seed, latency: true });
      const node = sim.node('n');
      await sim.run(async () => {
        const region = await openScratch(node.io, { capacityBytes: 512 * KIB, direct: seed % 2 === 0 }).catch((err: unknown) => {
          throw new Error(`seed ${seed}: ${String(err)}`);
        });
        sim.faults.configure(faults);
        const rng = new TestRng(seed * 7);
        const live = new Map<number, Live>();
        for (let i = 0; i < 150; i += 1) {
          if (live.size > 0 && rng.below(2) === 0) {
            const slots = [...live.keys()];
            const slot = slots[rng.below(slots.length)]!;
            const expected = live.get(slot)!;
            try {
              const got = await region.read(slot);
              // Whatever the disk did, a value that comes back is the value that was written.
              expect(Buffer.from(got).equals(Buffer.from(patternBytes(expected.seed, expected.lengthBytes))), `seed ${seed} slot ${slot}`).to.equal(true);
              served += 1;
            } catch (err) {
              expect(codeOf(err)).to.equal('EIO');
              detected += 1;
            }
            if (rng.below(3) === 0) {
              region.free(slot);
              live.delete(slot);
            }
          } else {
            const lengthBytes = 1 + rng.below(12_000);
            try {
              live.set(await region.write(patternBytes(i, lengthBytes)), { seed: i, lengthBytes });
            } catch (err) {
              // EIO from the disk, or a full region (the schedule does not keep track of space).
              expect(['EIO', 'ERR_LIMIT_EXCEEDED']).to.include(codeOf(err));
            }
          }
        }
        sim.faults.disable();
        await region.close();
      });
    }
    expect(served).to.be.above(0);
    expect(detected, 'some damage was detected').to.be.above(0);
  });

  it('reports ENOSPC at open when the disk cannot hold the capacity, leaving nothing behind', async () => {
    const sim = new Simulation({ seed: 9, capacityBytes: 256 * KIB });
    const io = sim.node('n').io;
    await sim.run(async () => {
      for (const path of [undefined, 'spill.bin']) {
        const named = path === undefined ? {} : { path };
        expect(await rejectionCode(openScratch(io, { capacityBytes: 512 * KIB, ...named }))).to.equal('ENOSPC');
        expect(await listOrEmpty(io, SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
        expect(await rejectionCode(io.stat('spill.bin'))).to.equal('ENOENT');
        // The space of the failed attempt was given back: a region that fits opens.
        const region = await openScratch(io, { capacityBytes: 192 * KIB, ...named });
        await region.close();
      }
    });
  });

  it('once open, writes within the capacity never meet ENOSPC, even on a full disk; growth does', async () => {
    const sim = new Simulation({ seed: 10, capacityBytes: 512 * KIB });
    const io = sim.node('n').io;
    await sim.run(async () => {
      const region = await openScratch(io, { capacityBytes: 128 * KIB, maxCapacityBytes: 1024 * KIB });
      // Another file takes every byte left on the disk.
      const fd = await io.open('hog.bin', { write: true, create: true });
      let hogBytes = 0;
      const chunk = new Uint8Array(16 * KIB);
      for (;;) {
        try {
          await io.allocate(fd, hogBytes, chunk.byteLength);
          hogBytes += chunk.byteLength;
        } catch (err) {
          expect(codeOf(err)).to.equal('ENOSPC');
          break;
        }
        expect(hogBytes).to.be.at.most(512 * KIB);
      }
      const live = new Map<number, Live>();
      for (let i = 0; i < 32; i += 1) live.set(await region.write(patternBytes(i, 4 * KIB)), { seed: i, lengthBytes: 4 * KIB });
      expect(region.usedBytes).to.equal(128 * KIB);
      // Past the preallocation the region must grow, and the disk is full.
      expect(await rejectionCode(region.write(patternBytes(99, 4 * KIB)))).to.equal('ENOSPC');
      expect(region.capacityBytes).to.equal(128 * KIB);
      expect(region.stats).to.include({ growths: 0, growthErrors: 1, writeErrors: 0 });
      expect(region.slotCount).to.equal(32);
      await expectIntact(region, live);
      // Space freed elsewhere lets the growth through.
      await io.truncate(fd, 0);
      const grown = await region.write(patternBytes(100, 4 * KIB));
      expect(region.capacityBytes).to.equal(256 * KIB);
      live.set(grown, { seed: 100, lengthBytes: 4 * KIB });
      await expectIntact(region, live);
      await io.close(fd);
      await region.close();
    });
  });

  for (const tmpfile of [true, false]) {
    it(`a crash leaves no scratch file behind on restart (${tmpfile ? 'O_TMPFILE' : 'create then unlink'})`, async () => {
      for (let seed = 1; seed <= 16; seed += 1) {
        const sim = new Simulation({ seed, latency: true, profile: 'posix' });
        const node = sim.node('n');
        const wrap = (io: Io): Io => (tmpfile ? io : withoutTmpfile(io));
        // Crash at a different moment each seed: during the open, or after it among the writes.
        const crashAtMs = (seed - 1) * 0.05;
        await sim.run(async () => {
          const io = wrap(node.io);
          const work = (async () => {
            const region = await openScratch(io, { capacityBytes: 64 * KIB });
            for (let i = 0; ; i += 1) await region.write(patternBytes(i, 3000));
          })();
          const outcome = work.then(() => 'finished', (err: unknown) => codeOf(err));
          await node.io.clock.sleep(crashAtMs);
          node.crash();
          // Every path ends with the node gone (or, past capacity, ERR_LIMIT_EXCEEDED first).
          expect(['ERR_CRASHED', 'ERR_LIMIT_EXCEEDED']).to.include(await outcome);
        });
        const io = wrap(node.restart());
        await sim.run(async () => {
          const names = await listOrEmpty(io, SCRATCH_DIRECTORY_DEFAULT);
          // With O_TMPFILE no name ever exists; otherwise only a crash inside the create-to-unlink
          // window can leave one, and it is a name the sweep recognises.
          if (tmpfile) expect(names, `seed ${seed}`).to.deep.equal([]);
          for (const name of names) expect(name).to.match(SCRATCH_FILE_PATTERN);
          await sweepScratch(io);
          expect(await listOrEmpty(io, SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
          // Nothing durable remains anywhere else either (the root holds only the scratch directory).
          expect((await io.readdir('.')).filter((name) => name !== SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
        });
      }
    });
  }

  for (const tmpfile of [true, false]) {
    it(`every crash state reachable during an anonymous open holds only sweepable names (${tmpfile ? 'O_TMPFILE' : 'create then unlink'})`, async () => {
      const sim = new Simulation({ seed: 77, latency: true, profile: 'posix' });
      const node = sim.node('n');
      let opened = false;
      let checkedStates = 0;
      const check = (): void => {
        for (const state of node.crashStates({ limit: 64 })) {
          checkedStates += 1;
          for (const [path, kind] of state.entries()) {
            if (kind === 'dir') {
              expect(path).to.equal(SCRATCH_DIRECTORY_DEFAULT);
              continue;
            }
            // Once the open resolved, no state has any name left; before, only the sweep's pattern.
            expect(opened, `${path} survives a crash after the open`).to.equal(false);
            expect(path.startsWith(`${SCRATCH_DIRECTORY_DEFAULT}/`)).to.equal(true);
            expect(path.slice(SCRATCH_DIRECTORY_DEFAULT.length + 1)).to.match(SCRATCH_FILE_PATTERN);
          }
        }
      };
      // Explore the crash states after every operation the region makes.
      const base = tmpfile ? node.io : withoutTmpfile(node.io);
      const io = new Proxy(base, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          const fn = (value as (...args: unknown[]) => unknown).bind(target);
          if (property === 'allocAligned') return fn;
          return async (...args: unknown[]): Promise<unknown> => {
            const result = await fn(...args);
            check();
            return result;
          };
        },
      });
      await sim.run(async () => {
        const region = await openScratch(io, { capacityBytes: 16 * KIB });
        opened = true;
        check();
        await region.write(patternBytes(1, 5000));
        await region.close();
      });
      expect(checkedStates).to.be.above(10);
    });
  }

  it('a crash after the open completed leaves no name at all, even before any sweep', async () => {
    for (let seed = 1; seed <= 8; seed += 1) {
      const sim = new Simulation({ seed, latency: true, profile: 'posix' });
      const node = sim.node('n');
      await sim.run(async () => {
        const region = await openScratch(withoutTmpfile(node.io), { capacityBytes: 64 * KIB });
        await region.write(patternBytes(1, 5000));
        node.crash();
      });
      const io = node.restart();
      await sim.run(async () => {
        expect(await listOrEmpty(io, SCRATCH_DIRECTORY_DEFAULT), `seed ${seed}`).to.deep.equal([]);
      });
    }
  });

  it('close after a crash: an anonymous region resolves, a named one reports its leftover file', async () => {
    const sim = new Simulation({ seed: 3, latency: true });
    const node = sim.node('n');
    await sim.run(async () => {
      const anonymous = await openScratch(node.io, { capacityBytes: 16 * KIB });
      const named = await openScratch(node.io, { capacityBytes: 16 * KIB, path: 'named.bin' });
      const slot = await anonymous.write(patternBytes(1, 100));
      node.crash();
      expect(await rejectionCode(anonymous.read(slot))).to.equal('ERR_CRASHED');
      await anonymous.close();
      expect(await rejectionCode(named.close())).to.equal('ERR_CRASHED');
      expect(await rejectionCode(anonymous.write(patternBytes(2, 100)))).to.equal('ERR_CLOSED');
    });
  });

  it('is deterministic: the same seed gives the same trace and disk', async () => {
    const runOnce = async (): Promise<string> => {
      const sim = new Simulation({ seed: 42, latency: true, faults: { writeError: { rate: 0.1 }, shortWrite: { rate: 0.2 } } });
      const node = sim.node('n');
      await sim.run(async () => {
        const region = await openScratch(node.io, { capacityBytes: 64 * KIB, maxCapacityBytes: 256 * KIB });
        const settled = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => region.write(patternBytes(i, 100 + i * 97))));
        expect(settled.some((s) => s.status === 'fulfilled')).to.equal(true);
        await region.close();
      });
      return sim.hash();
    };
    expect(await runOnce()).to.equal(await runOnce());
  });
});
