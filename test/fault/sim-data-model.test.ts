/**
 * The simulator's file contents against an independent model: seeded random writes (single
 * buffers and writev, small, page-aligned and larger than the pending-write arena's copy limit),
 * truncates, allocates, fsyncs and reads at offsets from 0 up to the 16 TiB file size limit,
 * including writes that straddle the chunk table's switch from its array to its Map. Every read
 * and every size is compared with the model as it happens; after a final fsync the one remaining
 * crash state is restarted into and compared again (that covers the durable image). A second test
 * runs a faulty, latency-reordered workload twice per seed and expects the same `sim.hash()`.
 *
 * The model keeps bytes in 1000-byte blocks on purpose: a size unrelated to the simulator's 4 KiB
 * chunk, so an alignment bug in the simulator cannot be mirrored by the model.
 *
 * Set FAULTLINE_SEED to replay one seed; FAULTLINE_SIM_MODEL_SEEDS to run more or fewer (default 150).
 */
import { expect } from 'chai';
import { Simulation, FAULTS_HEAVY, SIM_PROFILES, type SimProfile } from '../../src/backends/sim/index.js';
import { DENSE_INDEX_MAX } from '../../src/backends/sim/chunk-table.js';
import { CHUNK_BYTES } from '../../src/backends/sim/file-data.js';
import { FILE_SIZE_MAX_BYTES } from '../../src/interfaces/limits.js';
import type { Io } from '../../src/interfaces/io.js';
import { codeOf, readAll, seedsFor, withSeed } from './support.js';

const SEED_COUNT = Number(process.env['FAULTLINE_SIM_MODEL_SEEDS'] ?? 150);
const STEPS = 160;
// Every profile, writeback included (the data model is the same; only crashes differ).
const PROFILES: readonly SimProfile[] = SIM_PROFILES;
/** Where the chunk table stops using its array (a byte offset). */
const DENSE_LIMIT_BYTES = DENSE_INDEX_MAX * CHUNK_BYTES;
/** Regions the workload writes around: dense, far apart, either side of the array/Map switch, the 16 TiB end. */
const BASES_BYTES = [0, 4096 * 100, 4096 * 5000, DENSE_LIMIT_BYTES - 12_000, DENSE_LIMIT_BYTES, 2 ** 43, FILE_SIZE_MAX_BYTES - 20_000];
const BLOCK_BYTES = 1000;

/** A sparse file: size plus the bytes of the blocks ever written; everything else reads as zero. */
class FileModel {
  sizeBytes = 0;
  private readonly blocks = new Map<number, Uint8Array>();

  write(data: Uint8Array, offsetBytes: number): void {
    for (let done = 0; done < data.byteLength;) {
      const pos = offsetBytes + done;
      const index = Math.floor(pos / BLOCK_BYTES);
      const inner = pos - index * BLOCK_BYTES;
      const n = Math.min(BLOCK_BYTES - inner, data.byteLength - done);
      let block = this.blocks.get(index);
      if (block === undefined) { block = new Uint8Array(BLOCK_BYTES); this.blocks.set(index, block); }
      block.set(data.subarray(done, done + n), inner);
      done += n;
    }
    this.sizeBytes = Math.max(this.sizeBytes, offsetBytes + data.byteLength);
  }

  truncate(sizeBytes: number): void {
    for (const [index, block] of [...this.blocks]) {
      const start = index * BLOCK_BYTES;
      if (start >= sizeBytes) this.blocks.delete(index);
      else if (start + BLOCK_BYTES > sizeBytes) block.fill(0, sizeBytes - start);
    }
    this.sizeBytes = sizeBytes;
  }

  /** What a read of `lengthBytes` at `offsetBytes` returns. */
  read(offsetBytes: number, lengthBytes: number): Uint8Array {
    const count = Math.max(0, Math.min(lengthBytes, this.sizeBytes - offsetBytes));
    const out = new Uint8Array(count);
    for (let done = 0; done < count;) {
      const pos = offsetBytes + done;
      const index = Math.floor(pos / BLOCK_BYTES);
      const inner = pos - index * BLOCK_BYTES;
      const n = Math.min(BLOCK_BYTES - inner, count - done);
      const block = this.blocks.get(index);
      if (block !== undefined) out.set(block.subarray(inner, inner + n), done);
      done += n;
    }
    return out;
  }

  /** Byte ranges worth comparing in full: every written block, plus a probe into each gap. */
  ranges(): [offsetBytes: number, lengthBytes: number][] {
    const indexes = [...this.blocks.keys()].sort((a, b) => a - b);
    const out: [number, number][] = [];
    for (const index of indexes) {
      const start = index * BLOCK_BYTES;
      if (start < this.sizeBytes) out.push([start, BLOCK_BYTES]);
      // A hole right after: must read as zeros (stale bytes of dropped chunks would show here).
      if (!this.blocks.has(index + 1)) out.push([start + BLOCK_BYTES, 3 * CHUNK_BYTES]);
    }
    out.push([Math.max(0, this.sizeBytes - 5000), 10_000]);
    // Reads may start at the limit, not past it.
    return out.filter(([offsetBytes]) => offsetBytes <= FILE_SIZE_MAX_BYTES);
  }
}

function firstDifference(actual: Uint8Array, expected: Uint8Array): string | undefined {
  if (actual.byteLength !== expected.byteLength) return `length ${actual.byteLength}, expected ${expected.byteLength}`;
  if (Buffer.compare(actual, expected) === 0) return undefined;
  let i = 0;
  while (actual[i] === expected[i]) i++;
  return `byte ${i}: ${actual[i]}, expected ${expected[i]}`;
}

async function expectSameAsModel(io: Io, fd: number, model: FileModel, when: string): Promise<void> {
  const st = await io.stat(fd);
  expect(st.sizeBytes, `${when}: size`).to.equal(model.sizeBytes);
  for (const [offsetBytes, lengthBytes] of model.ranges()) {
    const diff = firstDifference(await readAll(io, fd, offsetBytes, lengthBytes), model.read(offsetBytes, lengthBytes));
    expect(diff, `${when}: read of ${lengthBytes} at ${offsetBytes}`).to.equal(undefined);
  }
}

/** Fills a buffer with a pattern that differs per seed, step and position (never all zero). */
function pattern(lengthBytes: number, seed: number, step: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i++) out[i] = ((seed * 31 + step * 7 + i) % 251) + 1;
  return out;
}

async function runModel(seedValue: number | string): Promise<void> {
  const seed = typeof seedValue === 'number' ? seedValue : 1;
  const profile = PROFILES[Math.abs(seed) % PROFILES.length] as SimProfile;
  // A small dirty limit forces kernel writebacks (commits interleaved with pinned pending writes).
  const sim = new Simulation({ seed: seedValue, profile, dirtyBytesMax: 1 << 17 });
  const node = sim.node('n');
  const io = node.io;
  const model = new FileModel();
  await sim.run(async () => {
    const fd = await io.open('f', { read: true, write: true, create: true });
    const dfd = await io.open('.', { directory: true, read: true });
    await io.fsync(dfd);
    for (let step = 0; step < STEPS; step++) {
      const r = sim.randomInt(20);
      const base = BASES_BYTES[sim.randomInt(BASES_BYTES.length)] as number;
      const near = (spanBytes: number, lengthBytes: number): number => Math.min(base + sim.randomInt(spanBytes), FILE_SIZE_MAX_BYTES - lengthBytes);
      if (r < 9) {
        // Shapes: page-aligned whole pages (pinned), small unaligned, and rarely past the arena's copy limit.
        const shape = sim.randomInt(10);
        const lengthBytes = shape < 4 ? CHUNK_BYTES : shape < 9 ? 1 + sim.randomInt(9000) : 300_000 + sim.randomInt(5000);
        const offsetBytes = shape < 4 ? Math.floor(near(24_000, lengthBytes) / CHUNK_BYTES) * CHUNK_BYTES : near(20_000, lengthBytes);
        const data = pattern(lengthBytes, seed, step);
        model.write(data, offsetBytes);
        if (sim.randomInt(4) === 0) {
          const cut = sim.randomInt(lengthBytes + 1);
          expect(await io.writev(fd, [data.subarray(0, cut), data.subarray(cut)], offsetBytes)).to.equal(lengthBytes);
        } else {
          expect(await io.write(fd, data, offsetBytes)).to.equal(lengthBytes);
        }
        // The caller reusing its buffer must change nothing, pending or cached.
        data.fill(0xee);
      } else if (r < 11) {
        const sizeBytes = Math.max(0, near(20_000, 0) - 10_000);
        await io.truncate(fd, sizeBytes);
        model.truncate(sizeBytes);
      } else if (r < 12) {
        const offsetBytes = near(20_000, 10_000);
        const lengthBytes = 1 + sim.randomInt(10_000);
        await io.allocate(fd, offsetBytes, lengthBytes);
        if (offsetBytes + lengthBytes > model.sizeBytes) model.truncate(offsetBytes + lengthBytes);
      } else if (r < 14) {
        await io.fsync(fd);
      } else {
        const lengthBytes = 1 + sim.randomInt(9000);
        const offsetBytes = near(20_000, 1);
        const buffer = new Uint8Array(lengthBytes).fill(0xee);
        const count = await io.read(fd, buffer, offsetBytes);
        const diff = firstDifference(buffer.subarray(0, count), model.read(offsetBytes, lengthBytes));
        expect(diff, `step ${step}: read of ${lengthBytes} at ${offsetBytes}`).to.equal(undefined);
      }
      expect((await io.stat(fd)).sizeBytes, `step ${step}: size`).to.equal(model.sizeBytes);
    }
    await expectSameAsModel(io, fd, model, 'page cache');
    await io.fsync(fd);
    // Nothing is pending: exactly one crash state, and it holds everything.
    const states = node.crashStates({ limit: 4 });
    expect(states.complete).to.equal(true);
    expect(states.length).to.equal(1);
    const restarted = (states[0] as (typeof states)[0]).restart();
    const fd2 = await restarted.open('f', { read: true });
    await expectSameAsModel(restarted, fd2, model, 'durable image after restart');
  });
}

async function faultyRun(seed: number | string): Promise<string> {
  const sim = new Simulation({ seed, faults: FAULTS_HEAVY, latency: true });
  const node = sim.node('a');
  await sim.run(async () => {
    let io: Io = node.io;
    const fd = await io.open('x', { read: true, write: true, create: true });
    for (let i = 0; i < 300; i++) {
      try {
        const aligned = i % 3 === 0;
        await io.write(fd, new Uint8Array(aligned ? CHUNK_BYTES : 100 + i).fill(i), aligned ? CHUNK_BYTES * (i % 17) : i * 777);
        if (i % 40 === 0) await io.fsync(fd);
        await io.read(fd, new Uint8Array(3000), i * 300);
      } catch {
        // Injected faults are part of the workload.
      }
    }
    node.crash();
    io = node.restart();
    await io.stat('x').catch(() => undefined);
  });
  return sim.hash();
}

describe('sim data model', function () {
  this.timeout(60_000);

  const seeds = seedsFor(SEED_COUNT);

  it(`reads, sizes and the durable image match a model up to the 16 TiB limit (${seeds.length} seeds)`, async () => {
    for (const seed of seeds) {
      await withSeed(import.meta.url, seed, 'match a model up to the 16 TiB limit', () => runModel(seed));
    }
  });

  // Regression: under 'none' a shrinking truncate once changed only the page cache.
  it("profile 'none': a shrink then regrow never shows the cut bytes after a restart", async () => {
    const sim = new Simulation({ seed: 'none-truncate', profile: 'none' });
    const node = sim.node('n');
    await sim.run(async () => {
      const io = node.io;
      const fd = await io.open('f', { read: true, write: true, create: true });
      await io.write(fd, pattern(5000, 3, 3), 0);
      await io.truncate(fd, 100);
      await io.write(fd, Uint8Array.of(1), 2 * CHUNK_BYTES - 1);
      const expected = new Uint8Array(2 * CHUNK_BYTES);
      expected.set(pattern(100, 3, 3));
      expected[2 * CHUNK_BYTES - 1] = 1;
      expect(firstDifference(await readAll(io, fd, 0, 2 * CHUNK_BYTES), expected), 'page cache').to.equal(undefined);
      const restarted = node.restart();
      const fd2 = await restarted.open('f', { read: true });
      expect(firstDifference(await readAll(restarted, fd2, 0, 2 * CHUNK_BYTES), expected), 'after restart').to.equal(undefined);
    });
  });

  it('a write ending exactly at the file size limit works; one starting a byte later is short, at the limit EFBIG', async () => {
    const sim = new Simulation({ seed: 'limit' });
    const io = sim.node('n').io;
    await sim.run(async () => {
      const fd = await io.open('f', { read: true, write: true, create: true });
      const data = pattern(CHUNK_BYTES + 100, 5, 5);
      const at = FILE_SIZE_MAX_BYTES - data.byteLength;
      expect(await io.write(fd, data, at + 1)).to.equal(data.byteLength - 1);
      expect(await codeOf(io.write(fd, data.subarray(0, 1), FILE_SIZE_MAX_BYTES))).to.equal('EFBIG');
      expect(await io.write(fd, data, at)).to.equal(data.byteLength);
      expect((await io.stat(fd)).sizeBytes).to.equal(FILE_SIZE_MAX_BYTES);
      expect(Buffer.compare(await readAll(io, fd, at, data.byteLength), data)).to.equal(0);
      expect(await io.read(fd, new Uint8Array(10), FILE_SIZE_MAX_BYTES)).to.equal(0);
      expect(await codeOf(io.truncate(fd, FILE_SIZE_MAX_BYTES + 1))).to.equal('EFBIG');
      expect(await codeOf(io.truncate(fd, 2 ** 44 + 1))).to.equal('ERR_LIMIT_EXCEEDED');
      expect((await io.stat(fd)).sizeBytes).to.equal(FILE_SIZE_MAX_BYTES);
    });
  });

  it('the size limit through io.sync (the direct synchronous path): exactly at it works, a byte past is short, at it EFBIG', () => {
    const sim = new Simulation({ seed: 'limit-sync' });
    const s = sim.node('n').io.sync;
    const fd = s.open('f', { read: true, write: true, create: true });
    const data = pattern(CHUNK_BYTES + 100, 5, 5);
    const at = FILE_SIZE_MAX_BYTES - data.byteLength;
    expect(s.write(fd, data, at + 1)).to.equal(data.byteLength - 1);
    let code: string | undefined;
    try { s.write(fd, data.subarray(0, 1), FILE_SIZE_MAX_BYTES); } catch (err) { code = (err as { code?: string }).code; }
    expect(code).to.equal('EFBIG');
    expect(s.write(fd, data, at)).to.equal(data.byteLength);
    expect(s.stat(fd).sizeBytes).to.equal(FILE_SIZE_MAX_BYTES);
    const back = new Uint8Array(data.byteLength);
    expect(s.read(fd, back, at)).to.equal(data.byteLength);
    expect(Buffer.compare(back, data)).to.equal(0);
    expect(s.read(fd, new Uint8Array(10), FILE_SIZE_MAX_BYTES)).to.equal(0);
  });

  it('the same seed gives the same hash with faults, latency, pinned pages and a crash', async () => {
    const hashes = new Set<string>();
    const seeds = seedsFor(4, 7);
    for (const seed of seeds) {
      await withSeed(import.meta.url, seed, 'the same seed gives the same hash', async () => {
        const first = await faultyRun(seed);
        expect(await faultyRun(seed)).to.equal(first);
        hashes.add(first);
      });
    }
    expect(hashes.size).to.equal(seeds.length);
  });
});
