/**
 * Under `ext4-ordered` a crash keeps the durable state plus a prefix of the file's pending data
 * operations, each whole, and the next write may be torn at sector granularity (some of its
 * sectors landed). So the set of crash states must be exactly the set of file contents seen after
 * each operation since the last fsync plus those torn variants: every state one of them, and
 * (when the exploration is complete) every one of them a state. A workload of whole-page aligned
 * writes (whose pending bytes are the pinned page-cache chunk itself), unaligned writes and
 * truncates over a few pages checks that a later write never changes the bytes an earlier pending
 * write will leave, and that the caller reusing its buffer changes nothing.
 *
 * A second test restarts into crash states, overwrites the file there and checks the states did
 * not change: states share chunks with the disk they were taken from and with each other.
 *
 * Set FAULTLINE_SEED to replay one seed; FAULTLINE_SIM_PREFIX_SEEDS to run more or fewer (default 100).
 */
import { expect } from 'chai';
import { Simulation, type CrashState } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { readAll, seedsFor, withSeed } from './support.js';

const SEED_COUNT = Number(process.env['FAULTLINE_SIM_PREFIX_SEEDS'] ?? 100);
const STEPS = 40;
const PAGE_BYTES = 4096;
const STATES_MAX = 1000;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function seedNumber(seed: number | string): number {
  return typeof seed === 'number' ? seed : [...seed].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
}

/** Opens `f`, makes it and its name durable; returns its fd. */
async function durableEmptyFile(io: Io): Promise<number> {
  const fd = await io.open('f', { read: true, write: true, create: true });
  await io.fsync(fd);
  const dfd = await io.open('.', { directory: true, read: true });
  await io.fsync(dfd);
  return fd;
}

/** `model` with each proper non-empty subset of the sectors of a write landed (each sector whole). */
function tornVariants(model: Uint8Array, data: Uint8Array, offsetBytes: number): Uint8Array[] {
  const first = Math.floor(offsetBytes / PAGE_BYTES);
  const last = Math.floor((offsetBytes + data.byteLength - 1) / PAGE_BYTES);
  const sectors = last - first + 1;
  const out: Uint8Array[] = [];
  for (let mask = 1; mask < (1 << sectors) - 1; mask++) {
    let variant = model.slice();
    for (let s = 0; s < sectors; s++) {
      if (((mask >> s) & 1) === 0) continue;
      const from = Math.max(offsetBytes, (first + s) * PAGE_BYTES);
      const to = Math.min(offsetBytes + data.byteLength, (first + s + 1) * PAGE_BYTES);
      if (to > variant.length) {
        const grown = new Uint8Array(to);
        grown.set(variant);
        variant = grown;
      }
      variant.set(data.subarray(from - offsetBytes, to - offsetBytes), from);
    }
    out.push(variant);
  }
  return out;
}

function checkStates(states: readonly CrashState[] & { complete: boolean }, snapshots: readonly string[], when: string): number {
  const allowed = new Set(snapshots);
  for (const state of states) {
    const bytes = state.readFile('f');
    expect(bytes, `${when}: the file exists in every state`).to.not.equal(undefined);
    const text = hex(bytes as Uint8Array);
    expect(allowed.has(text), `${when}: state of ${(bytes as Uint8Array).byteLength} bytes is no prefix of the pending operations`).to.equal(true);
  }
  // Distinct states, distinct snapshots: with the whole space explored, each snapshot is reached.
  if (states.complete) expect(states.length, `${when}: distinct states vs distinct snapshots`).to.equal(allowed.size);
  return states.length;
}

async function runPrefix(seedValue: number | string): Promise<number> {
  const seed = seedNumber(seedValue);
  const sim = new Simulation({ seed: seedValue, profile: 'ext4-ordered' });
  const node = sim.node('n');
  const io = node.io;
  let checked = 0;
  await sim.run(async () => {
    const fd = await durableEmptyFile(io);
    let model = new Uint8Array(0);
    // Contents after each pending operation, the durable contents first.
    let snapshots: string[] = [hex(model)];
    for (let step = 0; step < STEPS; step++) {
      const r = sim.randomInt(10);
      if (r < 6) {
        const aligned = sim.randomInt(2) === 0;
        const lengthBytes = aligned ? PAGE_BYTES : 1 + sim.randomInt(9000);
        const offsetBytes = aligned ? PAGE_BYTES * sim.randomInt(6) : sim.randomInt(25_000);
        const data = new Uint8Array(lengthBytes);
        for (let i = 0; i < lengthBytes; i++) data[i] = ((seed * 7 + step * 13 + i) % 251) + 1;
        for (const variant of tornVariants(model, data, offsetBytes)) snapshots.push(hex(variant));
        expect(await io.write(fd, data, offsetBytes)).to.equal(lengthBytes);
        if (offsetBytes + lengthBytes > model.length) {
          const grown = new Uint8Array(offsetBytes + lengthBytes);
          grown.set(model);
          model = grown;
        }
        model.set(data, offsetBytes);
        data.fill(0xab);
      } else if (r < 7) {
        const sizeBytes = sim.randomInt(25_000);
        await io.truncate(fd, sizeBytes);
        const cut = new Uint8Array(sizeBytes);
        cut.set(model.subarray(0, Math.min(sizeBytes, model.length)));
        model = cut;
      } else if (r < 8) {
        await io.fsync(fd);
        snapshots = [];
      } else {
        checked += checkStates(node.crashStates({ limit: STATES_MAX, exploreMax: STATES_MAX }), snapshots, `step ${step}`);
        continue;
      }
      snapshots.push(hex(model));
    }
    checked += checkStates(node.crashStates({ limit: STATES_MAX, exploreMax: STATES_MAX }), snapshots, 'end');
    // The page cache shows the newest snapshot.
    expect(hex(await readAll(io, fd, 0, model.length + 10))).to.equal(hex(model));
  });
  return checked;
}

describe('sim ext4-ordered crash prefixes', function () {
  this.timeout(60_000);

  const seeds = seedsFor(SEED_COUNT);

  it(`every crash state is the durable state plus a prefix of the pending operations (${seeds.length} seeds)`, async () => {
    let checked = 0;
    for (const seed of seeds) {
      checked += await withSeed(import.meta.url, seed, 'every crash state is the durable state plus a prefix', () => runPrefix(seed));
    }
    // The workload must actually reach crash states (a vacuous run would pass every check).
    expect(checked).to.be.greaterThan(seeds.length);
  });

  it('writing after restarting into a crash state changes neither that state nor the others', async () => {
    for (const seed of seedsFor(8, 100)) {
      await withSeed(import.meta.url, seed, 'writing after restarting into a crash state', async () => {
        const sim = new Simulation({ seed, profile: 'ext4-ordered' });
        const node = sim.node('n');
        await sim.run(async () => {
          const io = node.io;
          const fd = await durableEmptyFile(io);
          for (let page = 0; page < 4; page++) await io.write(fd, new Uint8Array(PAGE_BYTES).fill(page + 1), page * PAGE_BYTES);
          await io.fsync(fd);
          // Pending: page overwrites (pinned), an unaligned write across pages, a shrink.
          await io.write(fd, new Uint8Array(PAGE_BYTES).fill(0x51), 0);
          await io.write(fd, new Uint8Array(5000).fill(0x52), 3000);
          await io.write(fd, new Uint8Array(PAGE_BYTES).fill(0x53), 0);
          await io.truncate(fd, 6000);
          const states = node.crashStates({ limit: 100 });
          expect(states.complete).to.equal(true);
          // Five prefixes, and the two-sector write (3000..8000) torn either way.
          expect(states.length).to.equal(7);
          const before = states.map((s) => hex(s.readFile('f') as Uint8Array));
          for (let i = 0; i < states.length; i++) {
            const restarted = (states[i] as CrashState).restart();
            const fd2 = await restarted.open('f', { read: true, write: true });
            expect(hex(await readAll(restarted, fd2, 0, 20_000))).to.equal(before[i]);
            await restarted.write(fd2, new Uint8Array(PAGE_BYTES).fill(0xee), 0);
            await restarted.write(fd2, new Uint8Array(100).fill(0xef), 4000);
            await restarted.truncate(fd2, 50);
            await restarted.fsync(fd2);
          }
          expect(states.map((s) => hex(s.readFile('f') as Uint8Array))).to.deep.equal(before);
        });
      });
    }
  });
});
