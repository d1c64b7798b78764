/**
 * Soak: a long mix of every operation (writeDurable included) with 32 loops in flight, checking data and that resident
 * memory stays flat (no per-operation leak in the addon or the slot table) and that every fd and
 * slot is returned. FAULTLINE_SOAK_OPS sets the count (default 100,000; `npm run soak` runs
 * 1,000,000).
 */
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { UringIo } from '../../src/backends/iouring/index.js';
import { describeUring, makeRoots } from './support.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const OPS = Number(process.env['FAULTLINE_SOAK_OPS'] ?? 100_000);
const LOOPS = 32;
const FILES = 8;
const BLOCK = 4096;
const FILE_BLOCKS = 256;
const RSS_GROWTH_MAX_BYTES = 48 * 1024 * 1024;
/**
 * Growth of the live JS heap, and of external (ArrayBuffer) memory, after a full collection: a leak
 * of more than about 5 bytes per operation fails it at 1,000,000 operations (`npm run soak`), of
 * about 50 at the default 100,000.
 */
const HEAP_USED_GROWTH_MAX_BYTES = 4 * 1024 * 1024;

function fill(buffer: Uint8Array, file: number, block: number): void {
  const seed = (file * 7919 + block * 104729) >>> 0;
  for (let i = 0; i < buffer.length; i += 64) buffer[i] = (seed + i) & 0xff;
}

function matches(buffer: Uint8Array, file: number, block: number): boolean {
  const seed = (file * 7919 + block * 104729) >>> 0;
  for (let i = 0; i < buffer.length; i += 64) if (buffer[i] !== ((seed + i) & 0xff)) return false;
  return true;
}

describeUring('UringIo soak', function () {
  this.timeout(Math.max(120_000, OPS / 20));

  // The default ring, and writes done at the call (a path with no bounce memory of its own, but its
  // own bookkeeping: the writes settled after a poll, the fds it may write on).
  // A write is done at the call only while no request waits for a slot: the inline mode gets a ring
  // deeper than the loops; with coalesceWrites, the writes the loops issue together take the ring.
  // Both read policies whatever this host's default (coalesceReads follows the cost of a system call):
  // reads answered at the call and reads coalesced into the ring's bounce memory.
  const modes = [
    { label: '', options: {} },
    { label: ' (inlineWrites)', options: { inlineWrites: true, queueDepth: 2 * LOOPS } },
    { label: ' (inlineWrites, coalesceWrites)', options: { inlineWrites: true, coalesceWrites: true, queueDepth: 2 * LOOPS } },
    { label: ' (coalesceReads)', options: { coalesceReads: true } },
    { label: ' (coalesceReads: false)', options: { coalesceReads: false } },
    { label: ' (waitInRing)', options: { waitInRing: true } },
  ];
  for (const mode of modes) {
  it(`${OPS.toLocaleString('en-US')} mixed operations${mode.label}: data intact, RSS flat, nothing left open`, async function () {
    const { base, root } = await makeRoots('faultline-soak-');
    const io = new UringIo({ root, queueDepth: 16, ...mode.options });
    try {
      const fds: number[] = [];
      // Which block holds which generation: a block is only checked once written in this run.
      const written: Uint8Array[] = [];
      for (let f = 0; f < FILES; f += 1) {
        fds.push(await io.open(`f${f}`, { write: true, create: true, read: true, truncate: true }));
        written.push(new Uint8Array(FILE_BLOCKS));
      }
      // Blocks being written right now must not be read-checked by another loop.
      const busy = new Set<number>();
      let issued = 0;
      let mismatches = 0;
      let warm: NodeJS.MemoryUsage | undefined;
      let seed = 12345;
      const random = (n: number): number => {
        seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
        return (seed >>> 0) % n;
      };

      async function loop(id: number): Promise<void> {
        const buffer = new Uint8Array(BLOCK);
        const halves = [new Uint8Array(BLOCK / 2), new Uint8Array(BLOCK / 2)];
        while (issued < OPS) {
          const n = issued;
          issued += 1;
          if (warm === undefined && n >= OPS / 5) {
            gc();
            warm = process.memoryUsage();
          }
          const f = random(FILES);
          const block = random(FILE_BLOCKS);
          const key = f * FILE_BLOCKS + block;
          const fd = fds[f] as number;
          const kind = n % 16;
          if (n % 509 === 0) {
            // Name operations on a private file.
            const name = `tmp-${id}`;
            const tfd = await io.open(name, { write: true, create: true, truncate: true });
            await io.write(tfd, buffer, 0);
            const st = await io.stat(name);
            if (st.sizeBytes !== BLOCK) mismatches += 1;
            await io.close(tfd);
            await io.rename(name, `${name}-moved`);
            await io.unlink(`${name}-moved`);
            issued += 5;
          } else if (n % 257 === 0) {
            await io.readdir('.');
          } else if (n % 61 === 0) {
            await io.fsync(fd, { dataOnly: n % 2 === 0 });
          } else if (busy.has(key)) {
            await io.stat(fd);
          } else if (n % 127 === 0) {
            // A synced write: the linked pair, or with inlineWrites the write at the call and the fsync alone.
            busy.add(key);
            fill(buffer, f, block);
            const done = await io.writeDurable(fd, buffer, block * BLOCK, { dataOnly: n % 2 === 0 });
            if (done !== BLOCK) mismatches += 1;
            (written[f] as Uint8Array)[block] = 1;
            busy.delete(key);
          } else if (kind < 6) {
            busy.add(key);
            fill(buffer, f, block);
            const done = await io.write(fd, buffer, block * BLOCK);
            if (done !== BLOCK) mismatches += 1;
            (written[f] as Uint8Array)[block] = 1;
            busy.delete(key);
          } else if (kind < 8) {
            busy.add(key);
            fill(buffer, f, block);
            halves[0]?.set(buffer.subarray(0, BLOCK / 2));
            halves[1]?.set(buffer.subarray(BLOCK / 2));
            const done = await io.writev(fd, halves, block * BLOCK);
            if (done !== BLOCK) mismatches += 1;
            (written[f] as Uint8Array)[block] = 1;
            busy.delete(key);
          } else if (kind < 15) {
            busy.add(key);
            const done = await io.read(fd, buffer, block * BLOCK);
            if ((written[f] as Uint8Array)[block] === 1 && (done !== BLOCK || !matches(buffer, f, block))) mismatches += 1;
            busy.delete(key);
          } else {
            await io.readv(fd, halves, block * BLOCK);
          }
        }
      }

      await Promise.all(Array.from({ length: LOOPS }, (_, id) => loop(id)));
      gc();
      const end = process.memoryUsage();
      const start = warm ?? end;
      const bounceEndBytes = io.ringInfo.bounceBytes;
      // RSS alone cannot tell a leak from an allocator or heap that kept pages: the breakdown says
      // where growth sits, and what a full collection leaves live (JS heap, buffers) has a tight bound.
      const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
      console.log(`    after warm-up / at the end, MiB: RSS ${mib(start.rss)} / ${mib(end.rss)}, JS heap used ${mib(start.heapUsed)} / ${mib(end.heapUsed)}, `
        + `JS heap reserved ${mib(start.heapTotal)} / ${mib(end.heapTotal)}, external ${mib(start.external)} / ${mib(end.external)}, `
        + `addon bounce buffers kept at the end ${mib(bounceEndBytes)}`);
      expect(mismatches).to.equal(0);
      expect(io.metrics.inFlight).to.equal(0);
      expect(io.ringInfo.inKernel).to.equal(0);
      expect(io.ringInfo.ownedFds).to.equal(FILES);
      expect(end.rss - start.rss, `RSS grew from ${start.rss} to ${end.rss}`).to.be.below(RSS_GROWTH_MAX_BYTES);
      expect(end.heapUsed - start.heapUsed, `JS heap used grew from ${start.heapUsed} to ${end.heapUsed}`).to.be.below(HEAP_USED_GROWTH_MAX_BYTES);
      expect(end.external - start.external, `external memory grew from ${start.external} to ${end.external}`).to.be.below(HEAP_USED_GROWTH_MAX_BYTES);
      for (const fd of fds) await io.close(fd);
      expect(io.ringInfo.ownedFds).to.equal(0);
      const metrics = io.metrics;
      const total = Object.values(metrics.operations).reduce((a, b) => a + b, 0);
      expect(total).to.be.at.least(OPS);
      expect(Object.values(metrics.errors).reduce((a, b) => a + b, 0)).to.equal(0);
      // With coalesceWrites the loops' writes mostly arrive together and take the ring; how many are
      // done at the call depends on how completions come back (0.3-5% of writes in CI's runs).
      if (mode.options.inlineWrites === true) {
        expect(io.ringInfo.inlineWrites, 'writes done at the call').to.be.above('coalesceWrites' in mode.options ? 0 : OPS / 10);
      }
    } finally {
      await io.shutdown();
      await rm(base, { recursive: true, force: true });
    }
  });
  }
});
