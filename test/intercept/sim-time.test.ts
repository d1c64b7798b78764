/**
 * Simulated time and seeded randomness in an intercepting run: timers, Date, performance.now,
 * hrtime on the simulation's clock; Math.random and crypto from the seed; everything restored.
 */
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { randomUUID as namedRandomUUID } from 'node:crypto';
import { setTimeout as sleepNamed } from 'node:timers/promises';
import { Simulation } from '../../src/backends/sim/index.js';
import { SIM_EPOCH_MS } from '../../src/intercept/sim-time.js';
import { currentRoute, runInRoute } from '../../src/intercept/fs-router.js';

interface Globals {
  setTimeout: unknown; clearTimeout: unknown; setInterval: unknown; clearInterval: unknown;
  setImmediate: unknown; clearImmediate: unknown; Date: unknown; performance: unknown; hrtime: unknown;
  mathRandom: unknown; randomBytes: unknown; randomInt: unknown; randomUUID: unknown; webGetRandomValues: PropertyDescriptor | undefined;
}

function globals(): Globals {
  return {
    setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval,
    setImmediate: globalThis.setImmediate, clearImmediate: globalThis.clearImmediate,
    Date: globalThis.Date, performance: globalThis.performance, hrtime: process.hrtime,
    mathRandom: Math.random, randomBytes: crypto.randomBytes, randomInt: crypto.randomInt, randomUUID: crypto.randomUUID,
    webGetRandomValues: Object.getOwnPropertyDescriptor(globalThis.crypto, 'getRandomValues'),
  };
}

describe('intercept: simulated time and randomness', () => {
  it('setTimeout, setInterval, timers/promises, Date, performance.now and hrtime run on the simulated clock', async () => {
    const sim = new Simulation({ seed: 1, intercept: true });
    const realStart = performance.now();
    const seen = await sim.run(async () => {
      const t0 = Date.now();
      const p0 = performance.now();
      const h0 = process.hrtime.bigint();
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const afterTimeout = sim.clock.now();
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const id = setInterval(() => {
          ticks++;
          if (ticks === 3) { clearInterval(id); resolve(); }
        }, 1_000);
      });
      await sleepNamed(250);
      const cancelled = setTimeout(() => { throw new Error('cleared timer fired'); }, 10);
      clearTimeout(cancelled);
      await new Promise((resolve) => setImmediate(resolve));
      return {
        t0, p0, h0, afterTimeout, ticks, now: sim.clock.now(), date: Date.now(), dateObject: new Date().getTime(),
        perf: performance.now(), hr: process.hrtime.bigint(),
      };
    });
    expect(performance.now() - realStart).to.be.below(5_000);
    expect(seen.t0).to.equal(SIM_EPOCH_MS);
    expect(seen.afterTimeout).to.equal(5_000);
    expect(seen.ticks).to.equal(3);
    expect(seen.now).to.equal(8_250);
    expect(seen.date).to.equal(SIM_EPOCH_MS + 8_250);
    expect(seen.dateObject).to.equal(SIM_EPOCH_MS + 8_250);
    expect(seen.perf - seen.p0).to.equal(8_250);
    expect(seen.hr - seen.h0).to.equal(8_250_000_000n);
  });

  it('Date.now() follows simulated I/O latency, not only timers', async () => {
    const sim = new Simulation({ seed: 2, intercept: true, latency: true });
    const [before, after, clock] = await sim.run(async () => {
      const io = sim.node('a').io;
      const start = Date.now();
      const fd = await io.open('f', { write: true, create: true });
      for (let i = 0; i < 50; i++) await io.write(fd, new Uint8Array(4096), i * 4096);
      await io.fsync(fd);
      return [start, Date.now(), sim.clock.now()];
    });
    expect(after).to.be.above(before);
    expect(after).to.equal(SIM_EPOCH_MS + Math.floor(clock));
  });

  it('performance.now() and hrtime have sub-millisecond resolution from the simulated clock', async () => {
    const sim = new Simulation({ seed: 2, intercept: true, latency: true });
    const realHooks = await import('node:perf_hooks');
    const before = { hooksNow: Object.getOwnPropertyDescriptor(realHooks.performance, 'now'), hrtime: process.hrtime, bigint: process.hrtime.bigint };
    const { readings, start } = await sim.run(async () => {
      const io = sim.node('a').io;
      const perfHooks = await import('node:perf_hooks');
      const origin = { perf: performance.now(), hooks: perfHooks.performance.now(), hr: process.hrtime(), big: process.hrtime.bigint(), clock: sim.clock.now() };
      const fd = await io.open('f', { write: true, create: true });
      const out: { clock: number; perf: number; hooks: number; hr: [number, number]; big: bigint; diff: [number, number] }[] = [];
      for (let i = 0; i < 30; i++) {
        await io.write(fd, new Uint8Array(4096), i * 4096);
        out.push({
          clock: sim.clock.now(), perf: performance.now(), hooks: perfHooks.performance.now(), hr: process.hrtime(),
          big: process.hrtime.bigint(), diff: process.hrtime(origin.hr),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
      out.push({ clock: sim.clock.now(), perf: performance.now(), hooks: perfHooks.performance.now(), hr: process.hrtime(), big: process.hrtime.bigint(), diff: process.hrtime(origin.hr) });
      return { readings: out, start: origin };
    });
    // Device latencies are fractional: the readings must show the fractions, not whole milliseconds.
    expect(readings.filter((r) => !Number.isInteger(r.perf)).length, 'fractional readings').to.be.greaterThan(20);
    let previous = start.perf;
    for (const r of readings) {
      const elapsedMs = r.clock - start.clock;
      expect(r.perf - start.perf).to.be.closeTo(elapsedMs, 1e-6);
      expect(r.hooks).to.equal(r.perf);
      expect(Number(r.big - start.big) / 1e6).to.be.closeTo(elapsedMs, 1e-6);
      expect(r.hr[0] * 1e3 + r.hr[1] / 1e6).to.be.closeTo(r.perf, 1e-6);
      expect(r.diff[0] * 1e3 + r.diff[1] / 1e6).to.be.closeTo(elapsedMs, 1e-6);
      expect(r.diff[1]).to.be.within(0, 999_999_999);
      expect(r.perf).to.be.at.least(previous);
      previous = r.perf;
    }
    // Restored when the run ends: the real clocks again.
    expect(Object.getOwnPropertyDescriptor(realHooks.performance, 'now')).to.deep.equal(before.hooksNow);
    expect(process.hrtime).to.equal(before.hrtime);
    expect(process.hrtime.bigint).to.equal(before.bigint);
    const realNs = process.hrtime.bigint();
    expect(Number(realNs - start.big)).to.not.be.closeTo(0, 1e6);
  });

  it('timers set at fractional simulated instants (device latency) fire on time', async () => {
    const sim = new Simulation({ seed: 11, intercept: true, latency: true });
    const times = await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await io.open('f', { write: true, create: true });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const before = sim.clock.now();
        await io.write(fd, new Uint8Array(100), i * 100);
        await new Promise((resolve) => setTimeout(resolve, 1_000 + i));
        out.push(sim.clock.now() - before);
      }
      return out;
    });
    for (const [i, elapsed] of times.entries()) expect(elapsed).to.be.within(1_000 + i - 1, 1_000 + i + 50);
  });

  it('timer callbacks keep the async context they were set in', async () => {
    const sim = new Simulation({ seed: 3, intercept: true });
    const routes = ['a', 'b'].map((label) => ({ label, fs: () => ({}) }));
    const seen = await sim.run(() => Promise.all(routes.map((route, i) => runInRoute(route, () =>
      new Promise((resolve) => setTimeout(() => resolve(currentRoute()?.label), 10 * (2 - i)))))));
    expect(seen).to.deep.equal(['a', 'b']);
  });

  it('Math.random and crypto draw from the seed, in a stream of their own', async () => {
    const draw = async (seed: number, extraDraws: number): Promise<{ values: unknown[]; workload: number; faults: string }> => {
      const sim = new Simulation({ seed, intercept: true, faults: 'heavy' });
      const values = await sim.run(async () => {
        const out: unknown[] = [Math.random(), crypto.randomBytes(7).toString('hex'), crypto.randomInt(10, 1000), crypto.randomUUID(),
          namedRandomUUID(), Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(5))).toString('hex'),
          Buffer.from(crypto.getRandomValues(new Uint8Array(3))).toString('hex'), crypto.randomFillSync(Buffer.alloc(4)).toString('hex')];
        for (let i = 0; i < extraDraws; i++) Math.random();
        const io = sim.node('a').io;
        for (let i = 0; i < 30; i++) {
          try {
            const fd = await io.open(`f${i}`, { write: true, create: true });
            await io.write(fd, new Uint8Array(512), 0);
            await io.fsync(fd);
            await io.close(fd);
          } catch { /* injected faults */ }
        }
        return out;
      });
      return { values, workload: sim.random(), faults: sim.trace.filter('fault').map((e) => `${e.what}@${e.index}`).join(',') };
    };
    const a = await draw(7, 0);
    const again = await draw(7, 0);
    const other = await draw(8, 0);
    const moreDraws = await draw(7, 1000);
    expect(again.values).to.deep.equal(a.values);
    expect(other.values).to.not.deep.equal(a.values);
    expect(a.values[3]).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.values[2]).to.be.within(10, 999);
    // Drawing more random numbers shifts neither a fault decision nor the workload's sim.random().
    expect(a.faults).to.not.equal('');
    expect(moreDraws.faults).to.equal(a.faults);
    expect(moreDraws.workload).to.equal(a.workload);
  });

  it('restores every global when the run ends, even when it throws', async () => {
    const before = globals();
    const sim = new Simulation({ seed: 4, intercept: true });
    let caught: unknown;
    try {
      await sim.run(async () => {
        expect(globalThis.setTimeout).to.not.equal(before.setTimeout);
        expect(Math.random).to.not.equal(before.mathRandom);
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw new Error('boom');
      });
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).message).to.equal('boom');
    expect(globals()).to.deep.equal(before);
    const fine = new Simulation({ seed: 5, intercept: true });
    await fine.run(async () => { await new Promise((resolve) => setTimeout(resolve, 1)); });
    expect(globals()).to.deep.equal(before);
  });

  it('ERR_DEADLOCK: a real timer without interception; with it, a true deadlock says nothing simulated is pending', async () => {
    const plain = new Simulation({ seed: 6 });
    let err: unknown;
    try {
      await plain.run(() => new Promise((resolve) => setTimeout(resolve, 10)));
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'ERR_DEADLOCK');
    expect((err as Error).message).to.include('timers are not simulated');
    const intercepting = new Simulation({ seed: 6, intercept: true });
    await intercepting.run(() => new Promise((resolve) => setTimeout(resolve, 10)));
    expect(intercepting.clock.now()).to.equal(10);
    err = undefined;
    const stuck = new Simulation({ seed: 6, intercept: true });
    try {
      await stuck.run(() => new Promise(() => undefined));
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'ERR_DEADLOCK');
    expect((err as Error).message).to.include('no simulated timer is pending');
    expect((err as { details: { pending: { simulatedTimers: number } } }).details.pending.simulatedTimers).to.equal(0);
  });

  it('a second run while one is active is refused without disturbing the first', async () => {
    const sim = new Simulation({ seed: 12, intercept: true });
    const fakeSetTimeout = await sim.run(async () => {
      const during = globalThis.setTimeout;
      let err: unknown;
      try {
        await sim.run(async () => undefined);
      } catch (e) {
        err = e;
      }
      expect(err).to.have.property('code', 'ERR_INVALID_ARGUMENT');
      expect(globalThis.setTimeout).to.equal(during);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sim.clock.now()).to.equal(100);
      return during;
    });
    expect(globalThis.setTimeout).to.not.equal(fakeSetTimeout);
  });

  it('two intercepting simulations at once: the second is ERR_INVALID_STATE until the first is closed', () => {
    const first = new Simulation({ seed: 9, intercept: true });
    try {
      expect(() => new Simulation({ seed: 10, intercept: true })).to.throw().with.property('code', 'ERR_INVALID_STATE');
    } finally {
      first.close();
    }
    const second = new Simulation({ seed: 10, intercept: true });
    second.close();
    second.close();
  });
});
