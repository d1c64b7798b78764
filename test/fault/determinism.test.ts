/**
 * Determinism: a workload with heavy faults, latency (out-of-order completions), several nodes,
 * crashes and restarts, run twice per seed, gives the same `sim.hash()` both times; different seeds
 * give different runs. Set FAULTLINE_SEED to replay one seed; FAULTLINE_DETERMINISM_SEEDS to run more.
 */
import { expect } from 'chai';
import { Simulation, FAULTS_HEAVY } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { createStorage } from '../../src/storage/index.js';
import { readBatch, writeBatch, type BatchEntry } from '../../src/batch/index.js';
import { seedsFor, withSeed } from './support.js';

const SEED_COUNT = Number(process.env['FAULTLINE_DETERMINISM_SEEDS'] ?? 120);

async function ioWorkload(sim: Simulation, name: string, steps: number): Promise<void> {
  const node = sim.node(name);
  let io: Io = node.io;
  const fds: number[] = [];
  for (let step = 0; step < steps; step++) {
    const r = sim.random();
    try {
      if (r < 0.04) {
        node.crash();
        io = node.restart();
        fds.length = 0;
      } else if (r < 0.15 || fds.length === 0) {
        const path = `f${sim.randomInt(4)}`;
        fds.push(await io.open(path, { read: true, write: true, create: true }));
      } else if (r < 0.45) {
        const fd = fds[sim.randomInt(fds.length)] as number;
        const data = new Uint8Array(1 + sim.randomInt(9000)).fill(step & 0xff);
        await io.write(fd, data, sim.randomInt(4) * 4096);
      } else if (r < 0.65) {
        const fd = fds[sim.randomInt(fds.length)] as number;
        await io.read(fd, new Uint8Array(8192), sim.randomInt(3) * 4096);
      } else if (r < 0.75) {
        await io.fsync(fds[sim.randomInt(fds.length)] as number);
      } else if (r < 0.82) {
        const dfd = await io.open('.', { directory: true });
        await io.fsync(dfd);
        await io.close(dfd);
      } else if (r < 0.88) {
        await io.rename(`f${sim.randomInt(4)}`, `f${sim.randomInt(4)}`);
      } else if (r < 0.92) {
        await io.unlink(`f${sim.randomInt(4)}`);
      } else {
        await sim.clock.sleep(sim.random() * 5);
      }
    } catch {
      // Injected faults and crashes are part of the workload.
    }
  }
}

async function storageWorkload(sim: Simulation, name: string, steps: number): Promise<void> {
  const node = sim.node(name);
  for (let round = 0; round < 3; round++) {
    const storage = createStorage(node.io);
    try {
      const { blob } = await storage.open('p', `b${sim.randomInt(3)}`);
      for (let step = 0; step < steps; step++) {
        if (sim.random() < 0.5) await blob.writeAt(sim.randomInt(8) * 512, new Uint8Array(700).fill(step));
        else await blob.sync();
      }
    } catch {
      // faults
    }
    node.crash();
    node.restart();
  }
}

async function runOnce(seed: number | string): Promise<string> {
  const sim = new Simulation({ seed, faults: FAULTS_HEAVY, latency: true, sectorSizeBytes: 512, timeLimitMs: 1e7 });
  await sim.run(async () => {
    // Two nodes interleave in simulated time; their completions share one queue.
    await Promise.all([ioWorkload(sim, 'a', 60), ioWorkload(sim, 'b', 40), storageWorkload(sim, 'c', 8)]);
  });
  return sim.hash();
}

describe('sim determinism', function () {
  this.timeout(120_000);

  it(`the same seed gives the same hash, over ${SEED_COUNT} seeds with faults, latency and crashes`, async () => {
    const hashes = new Set<string>();
    const seeds = seedsFor(SEED_COUNT);
    for (const seed of seeds) {
      await withSeed(import.meta.url, seed, 'the same seed gives the same hash', async () => {
        const first = await runOnce(seed);
        const second = await runOnce(seed);
        expect(second).to.equal(first);
        hashes.add(first);
      });
    }
    // Different seeds, different schedules.
    expect(hashes.size).to.equal(seeds.length);
  });

  it('string and numeric seeds are distinct and both deterministic', async () => {
    expect(await runOnce('7')).to.equal(await runOnce('7'));
    expect(await runOnce('7')).to.not.equal(await runOnce(7));
  });
});

/**
 * `steps` steps on one simulated node under heavy faults, latency and crashes (a step starts with
 * one 5% of the time): each opens `path` when needed, then records what `step` returns, or the
 * code of what it threw. Two ways of doing the same I/O must give the same outcomes and hash.
 */
async function faultySteps(seed: number, path: string, steps: number,
  step: (sim: Simulation, io: Io, fd: number, index: number) => Promise<string>): Promise<{ hash: string; outcomes: string[] }> {
  const sim = new Simulation({ seed, faults: FAULTS_HEAVY, latency: true, sectorSizeBytes: 512, timeLimitMs: 1e7 });
  const node = sim.node('a');
  let io: Io = node.io;
  const outcomes: string[] = [];
  let fd: number | undefined;
  for (let index = 0; index < steps; index++) {
    try {
      if (sim.random() < 0.05) {
        node.crash();
        io = node.restart();
        fd = undefined;
      }
      fd ??= await io.open(path, { read: true, write: true, create: true });
      outcomes.push(await step(sim, io, fd, index));
    } catch (err) {
      outcomes.push(`err ${(err as { code?: string }).code}`);
    }
  }
  return { hash: await sim.hash(), outcomes };
}

/** Runs `run` both ways on several seeds: same outcomes, same hash, and some faults drawn. */
async function expectSameEitherWay(seeds: readonly number[], run: (seed: number, alternative: boolean) => Promise<{ hash: string; outcomes: string[] }>): Promise<void> {
  let failures = 0;
  for (const seed of seeds) {
    const plain = await run(seed, false);
    const alternative = await run(seed, true);
    expect(alternative.outcomes, `seed ${seed}`).to.deep.equal(plain.outcomes);
    expect(alternative.hash, `seed ${seed}`).to.equal(plain.hash);
    failures += plain.outcomes.filter((o) => o.startsWith('err')).length;
  }
  expect(failures, 'faults were drawn').to.be.greaterThan(0);
}

describe('sim: writeDurable is exactly a write and a sync', function () {
  /** Appends; `linked` picks writeDurable or the two calls. */
  const appends = (seed: number, linked: boolean): Promise<{ hash: string; outcomes: string[] }> => faultySteps(seed, 'log', 80, async (sim, io, fd, step) => {
    const data = new Uint8Array(1 + sim.randomInt(3000)).fill(step & 0xff);
    const offsetBytes = sim.randomInt(8) * 1024;
    const dataOnly = sim.random() < 0.5;
    if (linked) return `ok ${await io.writeDurable(fd, data, offsetBytes, { dataOnly })}`;
    const n = await io.write(fd, data, offsetBytes);
    if (n === data.byteLength) await io.fsync(fd, { dataOnly });
    return `ok ${n}`;
  });

  it('the same seed gives the same outcomes and the same hash (fault draws and trace) either way', async () => {
    await expectSameEitherWay([1, 2, 3, 4, 5, 6, 7, 8], appends);
  });
});

describe('sim: readBatch/writeBatch are exactly their reads and writes issued at once', function () {
  /** Batches of 1-6 writes or reads, then sometimes an fsync; `batched` picks the helpers or separate calls. */
  const batches = (seed: number, batched: boolean): Promise<{ hash: string; outcomes: string[] }> => faultySteps(seed, 'data', 60, async (sim, io, fd, step) => {
    const write = sim.random() < 0.6;
    const entries: BatchEntry[] = Array.from({ length: 1 + sim.randomInt(6) }, () => ({
      fd,
      buffer: new Uint8Array(1 + sim.randomInt(2000)).fill(step & 0xff),
      offsetBytes: sim.randomInt(16) * 512,
    }));
    // Both in the batch's form: each count (null where it failed) and the first failure's code.
    let outcome: string;
    if (batched) {
      try {
        outcome = `ok ${(await (write ? writeBatch(io, entries) : readBatch(io, entries))).join(',')}`;
      } catch (err) {
        const e = err as { code?: string; details?: { results?: unknown[] } };
        outcome = `err ${e.code} ${(e.details?.results ?? []).join(',')}`;
      }
    } else {
      const settled = await Promise.allSettled(entries.map((e) => (write ? io.write(e.fd, e.buffer, e.offsetBytes) : io.read(e.fd, e.buffer, e.offsetBytes))));
      const first = settled.find((s) => s.status === 'rejected');
      const results = settled.map((s) => (s.status === 'fulfilled' ? s.value : null)).join(',');
      outcome = first === undefined ? `ok ${results}` : `err ${(first.reason as { code?: string }).code} ${results}`;
    }
    if (sim.random() < 0.2) await io.fsync(fd);
    return outcome;
  });

  it('the same seed gives the same per-entry outcomes and the same hash (fault draws and trace) either way', async () => {
    await expectSameEitherWay([1, 2, 3, 4, 5, 6], batches);
  });
});
