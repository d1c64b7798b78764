/**
 * Every fault kind, one by one: it fires at about its configured rate, only on its target
 * (node, path glob, operation), only once its trigger is reached, identically for a seed, and
 * each injection is a `fault` record in the trace. Then what each fault does to the data.
 */
import { expect } from 'chai';
import { Simulation, FAULT_KINDS, faultPreset, FAULTS_DEFAULT, FAULTS_HEAVY, FAULTS_NONE, type FaultKind, type FaultRule } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { bitDiff, codeOf, faultCount, filled, readAll, writeAll } from './support.js';

const FILE_BYTES = 64 * 1024;
const BLOCK = 4096;

type Driver = 'read' | 'write' | 'fsync' | 'stat' | 'unlink';

/** The operation that exercises each kind. */
const DRIVER: Record<FaultKind, Driver> = {
  readError: 'read', writeError: 'write', fsyncError: 'fsync', shortRead: 'read', shortWrite: 'write',
  latentSectorError: 'read', corruptRead: 'read', corruptAtRest: 'read', misdirectedWrite: 'write',
  stall: 'stat', slowDisk: 'stat', namespaceError: 'unlink', lostWrite: 'write', powerCut: 'stat', misdirectedRead: 'read',
};

/** Rule fields a kind needs in these generic tests (the unlink driver recreates the file with an open). */
const BASE_RULE: Partial<Record<FaultKind, Partial<FaultRule>>> = { namespaceError: { operation: 'unlink' } };

/** Kinds no preset turns on: a workload must be written for them (a restart, or versioned checksums). */
const NOT_IN_PRESETS: readonly FaultKind[] = ['lostWrite', 'powerCut', 'misdirectedRead'];

async function once(io: Io, op: Driver, fd: number, path: string, buffer: Uint8Array, offset: number): Promise<void> {
  if (op === 'read') await io.read(fd, buffer, offset);
  else if (op === 'write') await io.write(fd, buffer, offset);
  else if (op === 'fsync') { await io.write(fd, buffer, offset); await io.fsync(fd); }
  else if (op === 'unlink') {
    await io.unlink(path).catch(() => undefined);
    await io.close(await io.open(path, { write: true, create: true }));
  } else await io.stat(fd);
}

interface Target { readonly node: string; readonly path: string }

async function prepare(io: Io, path: string): Promise<number> {
  const slash = path.lastIndexOf('/');
  if (slash > 0) await io.mkdir(path.slice(0, slash)).catch(() => undefined);
  const fd = await io.open(path, { read: true, write: true, create: true });
  const content = new Uint8Array(FILE_BYTES);
  for (let i = 0; i < content.length; i++) content[i] = (i * 31 + 7) & 0xff;
  await writeAll(io, fd, content, 0);
  await io.fsync(fd);
  // Make the name durable too (the parent, and the root when the parent is new).
  for (const dir of slash > 0 ? [path.slice(0, slash), '.'] : ['.']) {
    const dfd = await io.open(dir, { directory: true });
    await io.fsync(dfd);
    await io.close(dfd);
  }
  return fd;
}

/**
 * Sets `rule` for `kind` after preparing a file per target, then drives `count` operations
 * round-robin over the targets. Errors are expected (they are the faults) and ignored.
 */
async function drive(seed: number, kind: FaultKind, rule: FaultRule, count: number, targets: readonly Target[]): Promise<Simulation> {
  const sim = new Simulation({ seed });
  await sim.run(async () => {
    const fds: number[] = [];
    for (const t of targets) fds.push(await prepare(sim.node(t.node).io, t.path));
    sim.faults.set(kind, { ...BASE_RULE[kind], ...rule });
    const op = DRIVER[kind];
    const buffer = new Uint8Array(BLOCK);
    for (let i = 0; i < count; i++) {
      const which = i % targets.length;
      const t = targets[which] as Target;
      const node = sim.node(t.node);
      // powerCut: restart and go on (the file and its name were made durable by prepare); the
      // reopening itself may be cut too.
      for (let attempt = 0; node.crashed; attempt++) {
        expect(attempt).to.be.below(100);
        node.restart();
        try {
          for (let j = 0; j < targets.length; j++) {
            if ((targets[j] as Target).node === t.node) fds[j] = await node.io.open((targets[j] as Target).path, { read: true, write: true });
          }
        } catch {
          // cut again
        }
      }
      const io = node.io;
      const fd = fds[which] as number;
      const offset = sim.randomInt(FILE_BYTES / BLOCK) * BLOCK;
      try {
        await once(io, op, fd, t.path, buffer.fill(i & 0xff), offset);
      } catch {
        // injected
      }
    }
  });
  return sim;
}

/** Fired counts must be within 5 standard deviations of the binomial mean (p < 1e-6 to flake, and seeded). */
function expectRate(fired: number, trials: number, rate: number): void {
  const mean = trials * rate;
  const sd = Math.sqrt(trials * rate * (1 - rate));
  expect(fired, `fired ${fired} of ${trials} at rate ${rate}`).to.be.within(mean - 5 * sd, mean + 5 * sd);
}

describe('sim faults: rate, target, trigger, determinism, trace', function () {
  this.timeout(60_000);
  const RATE = 0.05;
  const TRIALS = 2000;

  for (const kind of FAULT_KINDS) {
    describe(kind, () => {
      it(`fires at about its rate (${RATE} over ${TRIALS} operations) and every injection is traced`, async () => {
        const sim = await drive(11, kind, { rate: RATE }, TRIALS, [{ node: 'a', path: 'data/f' }]);
        const events = sim.trace.filter('fault').filter((e) => e.what === kind);
        expectRate(events.length, TRIALS, RATE);
        expect(sim.node('a').faultCounts()[kind]).to.equal(events.length);
        for (const e of events) {
          expect(e.node).to.equal('a');
          expect(e.path).to.equal('data/f');
        }
      });

      it('fires only on its target node and path glob', async () => {
        const targets: Target[] = [
          { node: 'a', path: 'data/f' }, { node: 'b', path: 'data/f' }, { node: 'a', path: 'other/g' },
        ];
        const sim = await drive(12, kind, { rate: 0.2, node: 'a', path: 'data/**' }, 900, targets);
        const events = sim.trace.filter('fault').filter((e) => e.what === kind);
        expect(events.length).to.be.greaterThan(20);
        expect(sim.node('b').faultCounts()[kind]).to.equal(0);
        for (const e of events) {
          expect(e.node).to.equal('a');
          expect(e.path).to.equal('data/f');
        }
      });

      it('waits for its trigger (after N operations, from a simulated time)', async () => {
        const sim = await drive(13, kind, { rate: 0.5, afterOperations: 1000 }, 300, [{ node: 'a', path: 'f' }]);
        // prepare() issues a few operations; 300 more (600 for write+fsync) stay below the trigger.
        expect(faultCount(sim, kind)).to.equal(0);
        const later = await drive(13, kind, { rate: 0.5, afterOperations: 100 }, 300, [{ node: 'a', path: 'f' }]);
        expect(faultCount(later, kind)).to.be.greaterThan(0);
        const timed = await drive(13, kind, { rate: 0.5, atMs: 1e9 }, 200, [{ node: 'a', path: 'f' }]);
        expect(faultCount(timed, kind)).to.equal(0);
      });

      it('makes the same decisions for the same seed, different ones for another seed', async () => {
        const signature = (sim: Simulation): string => sim.trace.filter('fault').map((e) => `${e.index}:${e.offsetBytes}:${e.result}`).join(',');
        const a = await drive(14, kind, { rate: 0.1 }, 600, [{ node: 'a', path: 'f' }]);
        const b = await drive(14, kind, { rate: 0.1 }, 600, [{ node: 'a', path: 'f' }]);
        const c = await drive(15, kind, { rate: 0.1 }, 600, [{ node: 'a', path: 'f' }]);
        expect(signature(a)).to.not.equal('');
        expect(signature(a)).to.equal(signature(b));
        expect(a.hash()).to.equal(b.hash());
        expect(signature(a)).to.not.equal(signature(c));
      });

      it('is silent when disabled and fires again when re-enabled', async () => {
        const sim = new Simulation({ seed: 16 });
        await sim.run(async () => {
          const io = sim.node('a').io;
          const fd = await prepare(io, 'f');
          sim.faults.set(kind, { ...BASE_RULE[kind], rate: 1 });
          sim.faults.disable(kind);
          const buffer = new Uint8Array(BLOCK);
          const step = async (): Promise<void> => {
            try {
              await once(io, DRIVER[kind], fd, 'f', buffer, 0);
            } catch { /* injected */ }
          };
          for (let i = 0; i < 20; i++) await step();
          expect(faultCount(sim, kind)).to.equal(0);
          sim.faults.enable(kind);
          for (let i = 0; i < 5; i++) await step();
          expect(faultCount(sim, kind)).to.be.greaterThan(0);
        });
      });
    });
  }

  it("targets operation kinds: a stall restricted to fsync only stalls fsyncs", async () => {
    const sim = new Simulation({ seed: 17 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await prepare(io, 'f');
      sim.faults.set('stall', { rate: 0.3, operation: 'fsync', durationMs: 5 });
      for (let i = 0; i < 200; i++) {
        await io.stat(fd);
        await io.write(fd, filled(16, i), 0);
        await io.fsync(fd);
      }
    });
    const stalls = sim.trace.filter('fault').filter((e) => e.what === 'stall');
    expect(stalls.length).to.be.greaterThan(20);
    for (const e of stalls) expect(e.detail).to.equal('fsync');
  });

  it('one kind switched on does not change the decisions of another (separate streams)', async () => {
    const firedAt = async (extra: boolean): Promise<string> => {
      const sim = new Simulation({ seed: 18 });
      await sim.run(async () => {
        const io = sim.node('a').io;
        const fd = await prepare(io, 'f');
        sim.faults.set('readError', { rate: 0.1 });
        if (extra) sim.faults.set('corruptRead', { rate: 0.3 });
        const buffer = new Uint8Array(BLOCK);
        for (let i = 0; i < 500; i++) await io.read(fd, buffer, (i % 16) * BLOCK).catch(() => 0);
      });
      return sim.trace.filter('fault').filter((e) => e.what === 'readError').map((e) => e.offsetBytes).join(',');
    };
    expect(await firedAt(true)).to.equal(await firedAt(false));
  });

  it('presets: none is empty, default and heavy configure every kind, heavy at higher rates', () => {
    expect(Object.keys(FAULTS_NONE)).to.have.length(0);
    expect(faultPreset('none')).to.equal(FAULTS_NONE);
    for (const kind of FAULT_KINDS) {
      if (NOT_IN_PRESETS.includes(kind)) {
        expect(FAULTS_DEFAULT[kind], kind).to.equal(undefined);
        expect(FAULTS_HEAVY[kind], kind).to.equal(undefined);
        continue;
      }
      const d = FAULTS_DEFAULT[kind];
      const h = FAULTS_HEAVY[kind];
      expect(d, kind).to.not.equal(undefined);
      expect(h, kind).to.not.equal(undefined);
      expect((h as FaultRule).rate).to.be.greaterThan((d as FaultRule).rate);
    }
    expect(faultPreset('heavy')).to.equal(FAULTS_HEAVY);
    let code = '';
    try { faultPreset('bogus' as 'none'); } catch (err) { code = (err as { code: string }).code; }
    expect(code).to.equal('ERR_INVALID_ARGUMENT');
  });

  it('rejects malformed rules with ERR_INVALID_ARGUMENT', () => {
    const sim = new Simulation({ seed: 1 });
    for (const bad of [{ rate: 2 }, { rate: -1 }, { rate: Number.NaN }, { rate: 0.1, afterOperations: -3 }, { rate: 0.1, operation: 'nope' }]) {
      let code = '';
      try { sim.faults.set('readError', bad as FaultRule); } catch (err) { code = (err as { code: string }).code; }
      expect(code, JSON.stringify(bad)).to.equal('ERR_INVALID_ARGUMENT');
    }
    let code = '';
    try { new Simulation({ seed: 1, faults: { bogus: { rate: 1 } } as never }); } catch (err) { code = (err as { code: string }).code; }
    expect(code).to.equal('ERR_INVALID_ARGUMENT');
  });
});

describe('sim faults: effects', function () {
  this.timeout(30_000);

  async function withFile<T>(seed: number, body: (sim: Simulation, io: Io, fd: number) => Promise<T>, options: { sectorSizeBytes?: number; capacityBytes?: number } = {}): Promise<T> {
    const sim = new Simulation({ seed, ...options });
    return sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await prepare(io, 'f');
      return body(sim, io, fd);
    });
  }

  it('readError: the read rejects with EIO and fills nothing; the next read succeeds', async () => {
    await withFile(21, async (sim, io, fd) => {
      sim.faults.set('readError', { rate: 1 });
      const buffer = filled(BLOCK, 0xee);
      expect(await codeOf(io.read(fd, buffer, 0))).to.equal('EIO');
      expect(buffer.every((b) => b === 0xee)).to.equal(true);
      sim.faults.set('readError', undefined);
      expect(await io.read(fd, buffer, 0)).to.equal(BLOCK);
    });
  });

  it('writeError: the write rejects with EIO and changes nothing', async () => {
    await withFile(22, async (sim, io, fd) => {
      const before = await readAll(io, fd, 0, BLOCK);
      sim.faults.set('writeError', { rate: 1 });
      expect(await codeOf(io.write(fd, filled(BLOCK, 1), 0))).to.equal('EIO');
      sim.faults.set('writeError', undefined);
      expect(await readAll(io, fd, 0, BLOCK)).to.deep.equal(before);
    });
  });

  it('shortRead/shortWrite: fewer bytes than asked (at least one), the rest untouched', async () => {
    await withFile(23, async (sim, io, fd) => {
      sim.faults.set('shortWrite', { rate: 1 });
      const n = await io.write(fd, filled(BLOCK, 9), 0);
      expect(n).to.be.within(1, BLOCK - 1);
      sim.faults.set('shortWrite', undefined);
      const after = await readAll(io, fd, 0, BLOCK);
      expect(after.subarray(0, n).every((b) => b === 9)).to.equal(true);
      expect(after[n]).to.equal((n * 31 + 7) & 0xff);
      sim.faults.set('shortRead', { rate: 1 });
      const got = await io.read(fd, new Uint8Array(BLOCK), 0);
      expect(got).to.be.within(1, BLOCK - 1);
    });
  });

  it('short transfers on a direct fd stay sector-aligned', async () => {
    await withFile(24, async (sim, io) => {
      const fd = await io.open('d', { read: true, write: true, create: true, direct: true });
      const buffer = io.allocAligned(8 * BLOCK).fill(3);
      sim.faults.set('shortWrite', { rate: 1 });
      for (let i = 0; i < 20; i++) {
        const n = await io.write(fd, buffer, 0);
        expect(n % BLOCK).to.equal(0);
        expect(n).to.be.within(BLOCK, 7 * BLOCK);
      }
    });
  });

  it('latentSectorError: the sector reads EIO until rewritten, other sectors read fine', async () => {
    await withFile(25, async (sim, io, fd) => {
      sim.faults.set('latentSectorError', { rate: 1 });
      await io.read(fd, new Uint8Array(BLOCK), 2 * BLOCK).catch(() => 0);
      sim.faults.set('latentSectorError', undefined);
      const e = sim.trace.filter('fault').find((x) => x.what === 'latentSectorError');
      expect(e?.offsetBytes).to.equal(2 * BLOCK);
      for (let i = 0; i < 3; i++) expect(await codeOf(io.read(fd, new Uint8Array(BLOCK), 2 * BLOCK))).to.equal('EIO');
      expect(await io.read(fd, new Uint8Array(BLOCK), 3 * BLOCK)).to.equal(BLOCK);
      await writeAll(io, fd, filled(BLOCK, 5), 2 * BLOCK);
      expect(await readAll(io, fd, 2 * BLOCK, BLOCK)).to.deep.equal(filled(BLOCK, 5));
    });
  });

  it('corruptRead: one bit flipped in the returned data, a retry reads correctly', async () => {
    await withFile(26, async (sim, io, fd) => {
      const good = await readAll(io, fd, 0, BLOCK);
      sim.faults.set('corruptRead', { rate: 1 });
      const bad = new Uint8Array(BLOCK);
      expect(await io.read(fd, bad, 0)).to.equal(BLOCK);
      expect(bitDiff(good, bad)).to.equal(1);
      sim.faults.set('corruptRead', undefined);
      expect(await readAll(io, fd, 0, BLOCK)).to.deep.equal(good);
    });
  });

  it('corruptAtRest: every read returns the same flipped bit until the sector is rewritten, even after a restart', async () => {
    const sim = new Simulation({ seed: 27 });
    await sim.run(async () => {
      const node = sim.node('a');
      const fd = await prepare(node.io, 'f');
      const good = await readAll(node.io, fd, 0, BLOCK);
      sim.faults.set('corruptAtRest', { rate: 1 });
      const first = await readAll(node.io, fd, 0, BLOCK);
      sim.faults.set('corruptAtRest', undefined);
      expect(bitDiff(good, first)).to.equal(1);
      for (let i = 0; i < 3; i++) expect(await readAll(node.io, fd, 0, BLOCK)).to.deep.equal(first);
      node.crash();
      const io = node.restart();
      const fd2 = await io.open('f', { read: true, write: true });
      expect(await readAll(io, fd2, 0, BLOCK)).to.deep.equal(first);
      await writeAll(io, fd2, good, 0);
      expect(await readAll(io, fd2, 0, BLOCK)).to.deep.equal(good);
    });
  });

  it('misdirectedWrite: the intended sector keeps its bytes, another sector of the file gets them', async () => {
    await withFile(28, async (sim, io, fd) => {
      const before = await readAll(io, fd, 0, FILE_BYTES);
      sim.faults.set('misdirectedWrite', { rate: 1 });
      expect(await io.write(fd, filled(BLOCK, 0xab), 4 * BLOCK)).to.equal(BLOCK);
      sim.faults.set('misdirectedWrite', undefined);
      const e = sim.trace.filter('fault').find((x) => x.what === 'misdirectedWrite');
      expect(e).to.not.equal(undefined);
      const landed = (e as { result: number }).result;
      expect(landed).to.not.equal(4 * BLOCK);
      expect(landed % BLOCK).to.equal(0);
      const size = (await io.stat(fd)).sizeBytes;
      const after = await readAll(io, fd, 0, size);
      expect(after.subarray(4 * BLOCK, 5 * BLOCK)).to.deep.equal(before.subarray(4 * BLOCK, 5 * BLOCK));
      expect(after.subarray(landed, landed + BLOCK)).to.deep.equal(filled(BLOCK, 0xab));
    });
  });

  it('fsyncError (fsyncgate): EIO, reads still return the data, a retried fsync succeeds and saves nothing', async () => {
    const sim = new Simulation({ seed: 29 });
    await sim.run(async () => {
      const node = sim.node('a');
      const io = node.io;
      const fd = await prepare(io, 'f');
      const old = await readAll(io, fd, 0, BLOCK);
      await writeAll(io, fd, filled(BLOCK, 0x77), 0);
      sim.faults.set('fsyncError', { rate: 1 });
      expect(await codeOf(io.fsync(fd))).to.equal('EIO');
      sim.faults.set('fsyncError', undefined);
      expect(await readAll(io, fd, 0, BLOCK)).to.deep.equal(filled(BLOCK, 0x77));
      await io.fsync(fd);
      for (const state of node.crashStates({ limit: 16 })) {
        expect(state.readFile('f')?.subarray(0, BLOCK)).to.deep.equal(old);
      }
    });
  });

  it('ENOSPC past capacityBytes; allocate counts; unlink of a closed file frees', async () => {
    const sim = new Simulation({ seed: 30, capacityBytes: 100_000 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await io.open('a', { read: true, write: true, create: true });
      await writeAll(io, fd, filled(60_000, 1), 0);
      const fd2 = await io.open('b', { write: true, create: true });
      expect(await codeOf(io.write(fd2, filled(50_000, 2), 0))).to.equal('ENOSPC');
      expect(await codeOf(io.allocate(fd2, 0, 50_000))).to.equal('ENOSPC');
      await io.allocate(fd2, 0, 30_000);
      expect(await codeOf(io.write(fd2, filled(20_000, 2), 30_000))).to.equal('ENOSPC');
      await writeAll(io, fd2, filled(30_000, 2), 0); // inside the allocation: never ENOSPC
      await io.close(fd);
      await io.unlink('a');
      await writeAll(io, fd2, filled(20_000, 2), 30_000);
    });
  });

  it('latency: completions come back out of submission order, fsync is slower, time advances', async () => {
    const sim = new Simulation({ seed: 31, latency: true });
    const order: number[] = [];
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await prepare(io, 'f');
      await Promise.all(Array.from({ length: 64 }, (_, i) => io.read(fd, new Uint8Array(BLOCK), (i % 16) * BLOCK).then(() => { order.push(i); })));
      const t0 = sim.clock.now();
      for (let i = 0; i < 50; i++) await io.read(fd, new Uint8Array(BLOCK), 0);
      const readMs = (sim.clock.now() - t0) / 50;
      const t1 = sim.clock.now();
      for (let i = 0; i < 50; i++) { await io.write(fd, filled(8, i), 0); await io.fsync(fd); }
      const fsyncMs = (sim.clock.now() - t1) / 50;
      expect(readMs).to.be.greaterThan(0);
      expect(fsyncMs).to.be.greaterThan(3 * readMs);
    });
    expect(order).to.have.length(64);
    expect(order).to.not.deep.equal([...order].sort((a, b) => a - b));
  });

  it('stall: nothing completes until the stall ends', async () => {
    const sim = new Simulation({ seed: 32 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await prepare(io, 'f');
      sim.faults.set('stall', { rate: 1, durationMs: 250 });
      const t0 = sim.clock.now();
      await io.stat(fd);
      sim.faults.set('stall', undefined);
      expect(sim.clock.now() - t0).to.be.at.least(250);
      const t1 = sim.clock.now();
      await io.stat(fd);
      expect(sim.clock.now()).to.equal(t1);
    });
  });

  it('slowDisk: latencies are multiplied while the disk limps', async () => {
    const sim = new Simulation({ seed: 33, latency: { minMs: 1, tailMs: 0 } });
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await prepare(io, 'f');
      let t = sim.clock.now();
      await io.stat(fd);
      expect(sim.clock.now() - t).to.be.closeTo(1, 1e-9);
      sim.faults.set('slowDisk', { rate: 1, durationMs: 1000, factor: 8 });
      await io.stat(fd);
      sim.faults.set('slowDisk', undefined);
      t = sim.clock.now();
      await io.stat(fd);
      expect(sim.clock.now() - t).to.be.closeTo(8, 1e-9);
    });
  });
});
