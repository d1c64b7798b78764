/**
 * The simulator's own machinery: run/deadlock/time limit, the clock, seeds and streams, the trace
 * and the hash, standalone mode, shutdown, and the kernel's writeback under the dirty limit.
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import { codeOf, filled, readAll } from './support.js';

describe('sim machinery', function () {
  this.timeout(30_000);

  it('run resolves with main\'s value and rejects with its error', async () => {
    const sim = new Simulation({ seed: 1 });
    expect(await sim.run(async () => 42)).to.equal(42);
    const boom = new Error('boom');
    const got = await sim.run(async () => { await sim.clock.sleep(1); throw boom; }).then(() => undefined, (err: unknown) => err);
    expect(got).to.equal(boom);
  });

  it('a deadlock rejects with ERR_DEADLOCK naming the nodes and what is in flight', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.node('a');
    let details: Record<string, unknown> = {};
    const code = await sim.run(() => new Promise<void>(() => undefined)).then(() => 'ok', (err: { code: string; details: Record<string, unknown> }) => {
      details = err.details;
      return err.code;
    });
    expect(code).to.equal('ERR_DEADLOCK');
    expect(JSON.stringify(details['pending'])).to.contain('"a"');
  });

  it('a run past timeLimitMs rejects with ERR_TIME_LIMIT', async () => {
    const sim = new Simulation({ seed: 1, timeLimitMs: 1000 });
    const code = await codeOf(sim.run(async () => { for (;;) await sim.clock.sleep(100); }));
    expect(code).to.equal('ERR_TIME_LIMIT');
  });

  it('a second concurrent run is refused', async () => {
    const sim = new Simulation({ seed: 1 });
    const first = sim.run(() => sim.clock.sleep(10));
    expect(await codeOf(sim.run(async () => 1))).to.equal('ERR_INVALID_ARGUMENT');
    await first;
  });

  it('the clock starts at 0, sleeps in simulated time (no real time passes), and orders wake-ups by time then submission', async () => {
    const sim = new Simulation({ seed: 1 });
    const order: string[] = [];
    const realStart = process.hrtime.bigint();
    await sim.run(async () => {
      expect(sim.clock.now()).to.equal(0);
      await Promise.all([
        sim.clock.sleep(50).then(() => order.push('50a')),
        sim.clock.sleep(10).then(() => order.push('10')),
        sim.clock.sleep(50).then(() => order.push('50b')),
        sim.clock.sleep(0).then(() => order.push('0')),
      ]);
      await sim.clock.sleep(3_600_000);
    });
    expect(order).to.deep.equal(['0', '10', '50a', '50b']);
    expect(sim.clock.now()).to.equal(3_600_050);
    expect(Number(process.hrtime.bigint() - realStart) / 1e9).to.be.lessThan(5);
    expect(await codeOf(sim.clock.sleep(-1))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(sim.clock.sleep(Number.NaN))).to.equal('ERR_INVALID_ARGUMENT');
    expect(sim.node('x').io.clock.now()).to.equal(sim.clock.now());
  });

  it('standalone mode: Io calls and sleeps complete without sim.run', async () => {
    const sim = new Simulation({ seed: 2, latency: true });
    const io = sim.node('a').io;
    const fd = await io.open('f', { read: true, write: true, create: true });
    expect(await io.write(fd, filled(100, 1), 0)).to.equal(100);
    await sim.clock.sleep(1000);
    expect(sim.clock.now()).to.be.at.least(1000);
    expect(await readAll(io, fd, 0, 100)).to.deep.equal(filled(100, 1));
  });

  it('seeds: numbers and strings; bad seeds and options are ERR_INVALID_ARGUMENT', () => {
    expect(new Simulation({ seed: 'abc' }).random()).to.equal(new Simulation({ seed: 'abc' }).random());
    expect(new Simulation({ seed: 1 }).random()).to.not.equal(new Simulation({ seed: 2 }).random());
    for (const options of [{ seed: 1.5 }, { seed: Number.NaN }, { seed: {} }, { seed: 1, profile: 'xfs' }, { seed: 1, sectorSizeBytes: 1000 }, { seed: 1, capacityBytes: -1 }]) {
      let code = '';
      try { new Simulation(options as never); } catch (err) { code = (err as { code: string }).code; }
      expect(code, JSON.stringify(options)).to.equal('ERR_INVALID_ARGUMENT');
    }
  });

  it('sim.random is its own stream: extra workload draws do not change fault decisions', async () => {
    const faultsWith = async (extraDraws: number): Promise<string> => {
      const sim = new Simulation({ seed: 3, faults: { readError: { rate: 0.2 } } });
      await sim.run(async () => {
        const io = sim.node('a').io;
        const fd = await io.open('f', { read: true, write: true, create: true });
        await io.write(fd, filled(4096, 1), 0);
        for (let i = 0; i < 200; i++) {
          for (let j = 0; j < extraDraws; j++) sim.random();
          await io.read(fd, new Uint8Array(4096), 0).catch(() => 0);
        }
      });
      return sim.trace.filter('fault').map((e) => e.index).join(',');
    };
    const base = await faultsWith(0);
    expect(base).to.not.equal('');
    expect(await faultsWith(3)).to.equal(base);
  });

  it('the hash covers the trace and the durable state: one more operation changes it', async () => {
    const hashAfter = async (extra: boolean): Promise<string> => {
      const sim = new Simulation({ seed: 4 });
      await sim.run(async () => {
        const io = sim.node('a').io;
        const fd = await io.open('f', { read: true, write: true, create: true });
        await io.write(fd, filled(10, 1), 0);
        if (extra) await io.stat(fd);
      });
      return sim.hash();
    };
    expect(await hashAfter(false)).to.equal(await hashAfter(false));
    expect(await hashAfter(true)).to.not.equal(await hashAfter(false));
    expect(await hashAfter(false)).to.match(/^[0-9a-f]{64}$/);
  });

  it('the trace records operations with results and errors, and formats lazily', async () => {
    const sim = new Simulation({ seed: 5, traceCapacity: 4 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      await io.open('missing').catch(() => undefined);
      const fd = await io.open('f', { write: true, create: true });
      await io.write(fd, filled(10, 1), 0);
      await io.stat('f');
      await io.mkdir('d');
    });
    expect(sim.trace.length).to.equal(5);
    const events = sim.trace.events();
    expect(events).to.have.length(4); // the ring keeps the last 4
    expect(events.map((e) => e.what)).to.deep.equal(['open', 'write', 'stat', 'mkdir']);
    expect(events[1]?.result).to.equal(10);
    const all = new Simulation({ seed: 5 });
    await all.run(() => all.node('a').io.open('missing').catch(() => undefined));
    expect(all.trace.events()[0]?.detail).to.equal('ENOENT');
    expect(all.trace.format()).to.contain('open path=missing').and.to.contain('!ENOENT');
  });

  it('shutdown lets operations in flight finish, then later calls are ERR_CLOSED', async () => {
    const sim = new Simulation({ seed: 6, latency: { minMs: 5, tailMs: 0 } });
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await io.open('f', { write: true, create: true });
      const write = io.write(fd, filled(10, 1), 0);
      await io.shutdown();
      expect(await write).to.equal(10);
      expect(await codeOf(io.stat('f'))).to.equal('ERR_CLOSED');
      expect(io.metrics.inFlight).to.equal(0);
    });
  });

  it('the simulated kernel writes back past dirtyBytesMax (traced), bounding unsynced data', async () => {
    const sim = new Simulation({ seed: 7, dirtyBytesMax: 64 * 1024, sectorSizeBytes: 4096 });
    const node = sim.node('a');
    await sim.run(async () => {
      const io = node.io;
      const fd = await io.open('f', { write: true, create: true });
      const dfd = await io.open('.', { directory: true });
      await io.fsync(dfd);
      for (let i = 0; i < 40; i++) await io.write(fd, filled(4096, i + 1), i * 4096);
    });
    expect(sim.trace.filter('writeback').length).to.be.greaterThan(0);
    // Whatever was written back is durable: every crash state keeps at least the first block.
    for (const state of node.crashStates({ limit: 32 })) {
      expect(state.readFile('f')?.subarray(0, 4096)).to.deep.equal(filled(4096, 1));
    }
  });

  it('metrics count operations, errors and bytes like every backend', async () => {
    const sim = new Simulation({ seed: 8 });
    const io = sim.node('a').io;
    await sim.run(async () => {
      const fd = await io.open('f', { read: true, write: true, create: true });
      await io.write(fd, filled(100, 1), 0);
      await io.read(fd, new Uint8Array(50), 0);
      await io.read(99, new Uint8Array(1), 0).catch(() => 0);
    });
    const m = io.metrics;
    expect(m.operations.read).to.equal(2);
    expect(m.errors.read).to.equal(1);
    expect(m.bytesWritten).to.equal(100);
    expect(m.bytesRead).to.equal(50);
    expect(m.inFlight).to.equal(0);
  });
});
