/**
 * Sparse files far from offset 0: data at 40 GiB (chunk numbers in the chunk table's array, which
 * is then mostly holes), past 64 GiB (the table's Map) and either side of the switch between the
 * two. Every crash state of a handful of pending page writes is checked against the writes it
 * kept (size and bytes, holes read as zeros), and materialising those states must cost about what
 * it costs for the same writes near offset 0: a crash state shares the file's chunk table, and a
 * copy that walked the array's length instead of its chunks would take seconds per state here.
 *
 * Set FAULTLINE_SEED to replay one seed (the seed of the crash-state sample and of the values).
 */
import { expect } from 'chai';
import { Simulation, type CrashState } from '../../src/backends/sim/index.js';
import { DENSE_INDEX_MAX } from '../../src/backends/sim/chunk-table.js';
import type { Io } from '../../src/interfaces/io.js';
import { readAll, seedsFor, withSeed } from './support.js';

const PAGE_BYTES = 4096;
const GIB = 2 ** 30;
const PAGE_WRITES = 6;
const PAGE_STRIDE = 1000;
/** The small unaligned write near offset 0 that every layout also has. */
const HEAD_OFFSET_BYTES = 5;
const HEAD_BYTES = 100;
/** Generous: sparse layouts measured within ~5x of the dense one; the broken copy was ~250x slower. */
const SLOWDOWN_MAX = 15;
const SLACK_MS = 1000;
const COST_PAGE_WRITES = 2;

interface PageWrite { readonly offsetBytes: number; readonly lengthBytes: number; readonly value: number }

function layout(basePage: number, seed: number, pageWrites = PAGE_WRITES): PageWrite[] {
  const writes: PageWrite[] = [];
  for (let i = 0; i < pageWrites; i++) {
    writes.push({ offsetBytes: PAGE_BYTES * (basePage + i * PAGE_STRIDE), lengthBytes: PAGE_BYTES, value: ((seed * 17 + i) % 200) + 1 });
  }
  writes.push({ offsetBytes: HEAD_OFFSET_BYTES, lengthBytes: HEAD_BYTES, value: 250 });
  return writes;
}

async function openDurable(io: Io): Promise<number> {
  const fd = await io.open('f', { read: true, write: true, create: true });
  const dfd = await io.open('.', { directory: true, read: true });
  await io.fsync(dfd);
  return fd;
}

/** Which writes a restarted state kept, checking every byte of them and holes around them. */
async function keptMask(io: Io, writes: readonly PageWrite[]): Promise<number> {
  const fd = await io.open('f', { read: true });
  const sizeBytes = (await io.stat(fd)).sizeBytes;
  let mask = 0;
  let endBytes = 0;
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i] as PageWrite;
    const bytes = await readAll(io, fd, w.offsetBytes, w.lengthBytes);
    const kept = bytes.byteLength === w.lengthBytes && bytes.every((b) => b === w.value);
    if (kept) {
      mask |= 1 << i;
      endBytes = Math.max(endBytes, w.offsetBytes + w.lengthBytes);
    } else {
      expect(bytes.every((b) => b === 0), `write ${i} is either whole or absent`).to.equal(true);
    }
    // The page before and after each write is a hole.
    for (const hole of [w.offsetBytes - PAGE_BYTES, w.offsetBytes + PAGE_BYTES]) {
      if (hole < HEAD_OFFSET_BYTES + HEAD_BYTES) continue;
      expect((await readAll(io, fd, hole, PAGE_BYTES)).every((b) => b === 0), `hole at ${hole}`).to.equal(true);
    }
  }
  expect(sizeBytes, 'size is the end of the last kept write').to.equal(endBytes);
  await io.close(fd);
  return mask;
}

/** Pending writes of `layout`, then every crash state checked; returns the time the states took. */
async function checkAllStates(seed: number | string, basePage: number, pageWrites = PAGE_WRITES): Promise<number> {
  const seedNumber = typeof seed === 'number' ? seed : 1;
  const writes = layout(basePage, seedNumber, pageWrites);
  const sim = new Simulation({ seed, profile: 'posix' });
  const node = sim.node('n');
  let elapsedMs = 0;
  await sim.run(async () => {
    const io = node.io;
    const fd = await openDurable(io);
    for (const w of writes) expect(await io.write(fd, new Uint8Array(w.lengthBytes).fill(w.value), w.offsetBytes)).to.equal(w.lengthBytes);
    const startMs = performance.now();
    const states = node.crashStates({ limit: 256, exploreMax: 512 });
    // Each write is one sector: kept or lost on its own, so 2^writes distinct states.
    expect(states.complete).to.equal(true);
    expect(states.length).to.equal(2 ** writes.length);
    const masks = new Set<number>();
    for (const state of states) masks.add(await keptMask((state as CrashState).restart(), writes));
    elapsedMs = performance.now() - startMs;
    expect(masks.size, 'every subset of the writes is reached once').to.equal(2 ** writes.length);
  });
  return elapsedMs;
}

const LAYOUTS: readonly [name: string, basePage: number][] = [
  ['near offset 0', 10],
  ['at 40 GiB (a mostly empty chunk array)', (40 * GIB) / PAGE_BYTES],
  ['across the array/Map switch at 64 GiB', DENSE_INDEX_MAX - 2 * PAGE_STRIDE - 1],
  ['at 1 TiB (the chunk Map)', (1024 * GIB) / PAGE_BYTES],
];

describe('sim sparse files', function () {
  // A broken (length-walking) chunk table copy makes the 7-write layouts below take minutes.
  this.timeout(20_000);

  it('crash states of a file at 40 GiB cost about what they cost near offset 0', async () => {
    // Few writes (8 states), so a regression fails here in seconds rather than by timeout below.
    const densePage = LAYOUTS[0]?.[1] as number;
    const sparsePage = LAYOUTS[1]?.[1] as number;
    const seed = seedsFor(1, 3)[0] as number | string;
    await checkAllStates(seed, densePage, COST_PAGE_WRITES); // warm-up: JIT and pools
    const denseMs = await checkAllStates(seed, densePage, COST_PAGE_WRITES);
    const sparseMs = await withSeed(import.meta.url, seed, 'crash states of a file at 40 GiB cost', () => checkAllStates(seed, sparsePage, COST_PAGE_WRITES));
    expect(sparseMs, `40 GiB: ${sparseMs.toFixed(0)} ms, near 0: ${denseMs.toFixed(0)} ms`).to.be.below(denseMs * SLOWDOWN_MAX + SLACK_MS);
  });

  for (const [name, basePage] of LAYOUTS) {
    it(`every crash state of page writes ${name} keeps whole writes, holes and the right size`, async () => {
      for (const seed of seedsFor(1, 3)) {
        await withSeed(import.meta.url, seed, `every crash state of page writes ${name}`, () => checkAllStates(seed, basePage));
      }
    });
  }

  it('sync, truncate into the sparse region and restart keep exactly the bytes below the cut', async () => {
    for (const seed of seedsFor(1, 3)) {
      await withSeed(import.meta.url, seed, 'sync, truncate into the sparse region', async () => {
        const seedNumber = typeof seed === 'number' ? seed : 1;
        const writes = layout((40 * GIB) / PAGE_BYTES, seedNumber);
        const sim = new Simulation({ seed, profile: 'posix' });
        const node = sim.node('n');
        await sim.run(async () => {
          const io = node.io;
          const fd = await openDurable(io);
          for (const w of writes) await io.write(fd, new Uint8Array(w.lengthBytes).fill(w.value), w.offsetBytes);
          await io.fsync(fd);
          // Cut inside the fourth page write: the first three stay whole, the fourth keeps 10 bytes.
          const cut = writes[3] as PageWrite;
          const sizeBytes = cut.offsetBytes + 10;
          await io.truncate(fd, sizeBytes);
          await io.fsync(fd);
          const restarted = node.restart();
          const fd2 = await restarted.open('f', { read: true, write: true });
          expect((await restarted.stat(fd2)).sizeBytes).to.equal(sizeBytes);
          // Regrow past every old write: what was cut reads as zeros, not as the old bytes.
          await restarted.truncate(fd2, (writes[PAGE_WRITES - 1] as PageWrite).offsetBytes + 2 * PAGE_BYTES);
          for (let i = 0; i < writes.length; i++) {
            const w = writes[i] as PageWrite;
            const bytes = await readAll(restarted, fd2, w.offsetBytes, w.lengthBytes);
            const expected = new Uint8Array(w.lengthBytes);
            if (w.offsetBytes + w.lengthBytes <= sizeBytes) expected.fill(w.value);
            else if (w.offsetBytes < sizeBytes) expected.fill(w.value, 0, sizeBytes - w.offsetBytes);
            expect(Buffer.compare(bytes, expected), `write ${i} after the cut and regrow`).to.equal(0);
          }
        });
      });
    }
  });
});
