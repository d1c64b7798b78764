/**
 * Behaviours the simulator used to get wrong: a misdirected append changes the size as asked (only
 * the data lands elsewhere), and the fsyncgate loss is not healed at page granularity by a later
 * O_DIRECT write (there is no page cache to write the page back from).
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import { codeOf, filled, readAll } from './support.js';

describe('sim: misdirected appends change the size as asked', function () {
  this.timeout(30_000);

  it('appending sector 8 of 8 with misdirectedWrite at rate 1: size is 9 sectors, whatever the seed; the data is where the trace says', async () => {
    const sector = 4096;
    const landings = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const sim = new Simulation({ seed });
      await sim.run(async () => {
        const io = sim.node('a').io;
        const fd = await io.open('f', { read: true, write: true, create: true });
        const base = new Uint8Array(8 * sector);
        for (let i = 0; i < base.length; i++) base[i] = 1 + ((i >> 12) & 0x3f);
        expect(await io.write(fd, base, 0)).to.equal(base.length);
        sim.faults.set('misdirectedWrite', { rate: 1 });
        expect(await io.write(fd, filled(sector, 0xee), 8 * sector)).to.equal(sector);
        sim.faults.set('misdirectedWrite', undefined);
        const fault = sim.trace.filter('fault').find((e) => e.what === 'misdirectedWrite');
        expect(fault, `seed ${seed}`).to.not.equal(undefined);
        const target = (fault as { result: number }).result;
        expect(target).to.not.equal(8 * sector);
        expect((await io.stat(fd)).sizeBytes, `seed ${seed}`).to.equal(9 * sector);
        const after = await readAll(io, fd, 0, 9 * sector);
        // The intended sector reads zeros: nothing landed there and it is past the old end.
        expect(after.subarray(8 * sector)).to.deep.equal(new Uint8Array(sector));
        if (target < 8 * sector) {
          expect(after.subarray(target, target + sector)).to.deep.equal(filled(sector, 0xee));
          landings.add('inside');
        } else {
          // Landed past the end the file system set: invisible; the old sectors are untouched.
          expect(after.subarray(0, 8 * sector)).to.deep.equal(base);
          landings.add('past the end');
        }
      });
    }
    expect(landings.size, 'both kinds of landing over 12 seeds').to.equal(2);
  });

  it('a misdirected write inside the file leaves the size alone', async () => {
    const sim = new Simulation({ seed: 3 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await io.open('f', { read: true, write: true, create: true });
      await io.write(fd, filled(16 * 4096, 1), 0);
      sim.faults.set('misdirectedWrite', { rate: 1 });
      for (let i = 0; i < 8; i++) await io.write(fd, filled(4096, 2), 4 * 4096);
      expect((await io.stat(fd)).sizeBytes).to.equal(16 * 4096);
    });
  });
});

describe('sim: the fsyncgate loss and O_DIRECT', function () {
  this.timeout(30_000);

  async function history(direct: boolean): Promise<{ durable: Uint8Array; readBack: Uint8Array }> {
    const sim = new Simulation({ seed: 7, sectorSizeBytes: 512 });
    const node = sim.node('a');
    return sim.run(async () => {
      const io = node.io;
      const fd = await io.open('f', { read: true, write: true, create: true, direct });
      const buf = io.allocAligned(4096);
      buf.fill(1);
      await io.write(fd, buf, 0);
      await io.fsync(fd);
      const dfd = await io.open('.', { directory: true });
      await io.fsync(dfd);
      // Sector 0 is overwritten, and the fsync fails: the write is dropped from durability.
      const sector = io.allocAligned(512);
      sector.fill(2);
      await io.write(fd, sector, 0);
      sim.faults.set('fsyncError', { rate: 1 });
      expect(await codeOf(io.fsync(fd))).to.equal('EIO');
      sim.faults.set('fsyncError', undefined);
      // Sector 1 of the same 4 KiB page is written and synced successfully.
      sector.fill(3);
      await io.write(fd, sector, 512);
      await io.fsync(fd);
      const readBack = io.allocAligned(4096);
      await io.read(fd, readBack, 0);
      const states = node.crashStates({ limit: 8 });
      expect(states).to.have.length(1);
      return { durable: (states[0] as { readFile(p: string): Uint8Array | undefined }).readFile('f') as Uint8Array, readBack };
    });
  }

  it('buffered: the later write-back of the page saves the dropped sector too (the page cache still holds it)', async () => {
    const { durable } = await history(false);
    expect(durable.subarray(0, 512)).to.deep.equal(filled(512, 2));
    expect(durable.subarray(512, 1024)).to.deep.equal(filled(512, 3));
  });

  it('O_DIRECT: the dropped sector is not saved by a later direct write to the same page, and reads no longer show it', async () => {
    const { durable, readBack } = await history(true);
    expect(durable.subarray(0, 512)).to.deep.equal(filled(512, 1));
    expect(durable.subarray(512, 1024)).to.deep.equal(filled(512, 3));
    expect(durable.subarray(1024)).to.deep.equal(filled(3072, 1));
    expect(readBack).to.deep.equal(durable);
  });
});
