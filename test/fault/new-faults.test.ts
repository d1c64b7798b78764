/**
 * The faults added for issue 13, one by one: what each does, that it fires at its rate and only on
 * its target, that it is deterministic per seed and traced, and that adding a target to an existing
 * kind (the directory fsync of `fsyncError`) leaves that kind's other decisions unchanged.
 */
import { expect } from 'chai';
import { Simulation, type FaultRule } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { codeOf, faultCount, filled, readAll, writeAll } from './support.js';

const BLOCK = 4096;

async function syncDir(io: Io, path: string): Promise<void> {
  const fd = await io.open(path, { directory: true });
  try { await io.fsync(fd); } finally { await io.close(fd); }
}

/** A durable file at `path` holding `value`. */
async function durable(io: Io, path: string, value: number, lengthBytes = BLOCK): Promise<number> {
  const fd = await io.open(path, { read: true, write: true, create: true });
  await writeAll(io, fd, filled(lengthBytes, value), 0);
  await io.fsync(fd);
  await syncDir(io, '.');
  return fd;
}

function expectRate(fired: number, trials: number, rate: number): void {
  const mean = trials * rate;
  const sd = Math.sqrt(trials * rate * (1 - rate));
  expect(fired, `fired ${fired} of ${trials} at rate ${rate}`).to.be.within(mean - 5 * sd, mean + 5 * sd);
}

describe('sim faults: fsyncError errnos and directory fsync', function () {
  this.timeout(30_000);

  for (const errno of ['ENOSPC', 'EDQUOT'] as const) {
    it(`fsyncError { errno: '${errno}' }: fsync fails with ${errno}, the pages are dropped as with EIO, reads keep them`, async () => {
      const sim = new Simulation({ seed: 31 });
      const node = sim.node('a');
      await sim.run(async () => {
        const io = node.io;
        const fd = await durable(io, 'f', 1);
        await io.write(fd, filled(BLOCK, 2), 0);
        sim.faults.set('fsyncError', { rate: 1, errno });
        expect(await codeOf(io.fsync(fd))).to.equal(errno);
        sim.faults.set('fsyncError', undefined);
        expect(await readAll(io, fd, 0, BLOCK)).to.deep.equal(filled(BLOCK, 2));
        await io.fsync(fd);
        for (const state of node.crashStates({ limit: 16 })) expect(state.readFile('f')).to.deep.equal(filled(BLOCK, 1));
        const fault = sim.trace.filter('fault').find((e) => e.what === 'fsyncError');
        expect(fault?.detail).to.equal(errno);
      });
    });
  }

  it('an errno list: each injection picks one of them, deterministically per seed', async () => {
    const codes = async (seed: number): Promise<string[]> => {
      const sim = new Simulation({ seed });
      return sim.run(async () => {
        const io = sim.node('a').io;
        const fd = await durable(io, 'f', 1);
        sim.faults.set('fsyncError', { rate: 1, errno: ['EIO', 'ENOSPC', 'EDQUOT'] });
        const out: string[] = [];
        for (let i = 0; i < 60; i++) {
          await io.write(fd, filled(16, i), 0);
          out.push(await codeOf(io.fsync(fd)));
        }
        return out;
      });
    };
    const a = await codes(32);
    expect(new Set(a)).to.deep.equal(new Set(['EIO', 'ENOSPC', 'EDQUOT']));
    expect(await codes(32)).to.deep.equal(a);
    expect(await codes(33)).to.not.deep.equal(a);
  });

  it("fsyncError { rate: 1, path: '.' } fires on the directory fsync: EIO, and the new name is not made durable", async () => {
    const sim = new Simulation({ seed: 34 });
    const node = sim.node('a');
    await sim.run(async () => {
      const io = node.io;
      await syncDir(io, '.');
      const fd = await io.open('new', { write: true, create: true });
      await io.write(fd, filled(BLOCK, 5), 0);
      sim.faults.set('fsyncError', { rate: 1, path: '.' });
      await io.fsync(fd); // the file's own fsync is not targeted
      expect(await codeOf(syncDir(io, '.'))).to.equal('EIO');
      const states = node.crashStates({ limit: 16 });
      expect(states.some((s) => s.readFile('new') === undefined), 'the name can still be lost').to.equal(true);
      const faults = sim.trace.filter('fault').filter((e) => e.what === 'fsyncError');
      expect(faults).to.have.length(1);
      expect(faults[0]?.path).to.equal('.');
    });
  });

  it('directory fsyncs draw from their own stream: the file fsync decisions of a seed are unchanged by them', async () => {
    const fileFaults = async (withDirs: boolean): Promise<string> => {
      const sim = new Simulation({ seed: 35 });
      await sim.run(async () => {
        const io = sim.node('a').io;
        const fd = await durable(io, 'f', 1);
        sim.faults.set('fsyncError', { rate: 0.3, errno: ['EIO', 'ENOSPC', 'EDQUOT'] });
        for (let i = 0; i < 200; i++) {
          await io.write(fd, filled(16, i), 0);
          await io.fsync(fd).catch(() => undefined);
          if (withDirs) await syncDir(io, '.').catch(() => undefined);
        }
      });
      const faults = sim.trace.filter('fault').filter((e) => e.what === 'fsyncError');
      if (withDirs) expect(faults.some((e) => e.path === '.'), 'directory fsyncs are hit too').to.equal(true);
      return faults.filter((e) => e.path === 'f').map((e) => `${e.result}:${e.detail}`).join(',');
    };
    const without = await fileFaults(false);
    expect(without).to.not.equal('');
    expect(await fileFaults(true)).to.equal(without);
  });
});

describe('sim faults: namespaceError', function () {
  this.timeout(30_000);

  it('each namespace operation fails with the errno and changes nothing', async () => {
    const sim = new Simulation({ seed: 41 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      await durable(io, 'f', 1);
      await io.mkdir('d');
      const before = await io.readdir('.');
      sim.faults.set('namespaceError', { rate: 1, errno: 'ENOSPC' });
      expect(await codeOf(io.open('g', { write: true, create: true }))).to.equal('ENOSPC');
      expect(await codeOf(io.mkdir('e'))).to.equal('ENOSPC');
      expect(await codeOf(io.rename('f', 'h'))).to.equal('ENOSPC');
      sim.faults.set('namespaceError', { rate: 1, errno: ['EIO', 'ENOSPC'] });
      // unlink and rmdir need no space: only EIO hits them.
      expect(await codeOf(io.unlink('f'))).to.equal('EIO');
      expect(await codeOf(io.rmdir('d'))).to.equal('EIO');
      // Opening an existing file creates nothing: not a target.
      await io.close(await io.open('f', { read: true, create: true }));
      // Errors the operation has anyway come first (nothing to fault).
      expect(await codeOf(io.unlink('missing'))).to.equal('ENOENT');
      expect(await io.readdir('.')).to.deep.equal(before);
      expect(faultCount(sim, 'namespaceError')).to.equal(5);
      const details = sim.trace.filter('fault').filter((e) => e.what === 'namespaceError').map((e) => e.detail);
      expect(details).to.deep.equal(['ENOSPC', 'ENOSPC', 'ENOSPC', 'EIO', 'EIO']);
    });
  });

  it('a rule that can only give ENOSPC/EDQUOT to unlink/rmdir is refused (it can never fire)', () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => sim.faults.set('namespaceError', { rate: 1, operation: 'unlink', errno: 'ENOSPC' })).to.throw(/never fire/);
  });

  it('fires at its rate, only on its target path and node, deterministically', async () => {
    const run = async (seed: number): Promise<{ fired: number; paths: Set<string>; nodes: Set<string>; hash: string }> => {
      const sim = new Simulation({ seed });
      await sim.run(async () => {
        for (const name of ['a', 'b']) {
          await sim.node(name).io.mkdir('wal');
          await sim.node(name).io.mkdir('other');
        }
        sim.faults.set('namespaceError', { rate: 0.1, path: 'wal/**', node: 'a' });
        for (const name of ['a', 'b']) {
          const io = sim.node(name).io;
          for (let i = 0; i < 400; i++) {
            for (const dir of ['wal', 'other']) {
              const path = `${dir}/x${i}`;
              await io.open(path, { write: true, create: true }).then((fd) => io.close(fd), () => undefined);
            }
          }
        }
      });
      const faults = sim.trace.filter('fault').filter((e) => e.what === 'namespaceError');
      return { fired: faults.length, paths: new Set(faults.map((e) => (e.path ?? '').split('/')[0] as string)), nodes: new Set(faults.map((e) => e.node)), hash: sim.hash() };
    };
    const a = await run(42);
    expectRate(a.fired, 400, 0.1);
    expect(a.paths).to.deep.equal(new Set(['wal']));
    expect(a.nodes).to.deep.equal(new Set(['a']));
    expect((await run(42)).hash).to.equal(a.hash);
    expect((await run(43)).hash).to.not.equal(a.hash);
  });
});

describe('sim faults: powerCut', function () {
  this.timeout(30_000);

  it('crashes the node as the targeted operation would take effect: it rejects ERR_CRASHED, the trace shows the cut then the crash', async () => {
    const sim = new Simulation({ seed: 51 });
    const node = sim.node('a');
    await sim.run(async () => {
      const io = node.io;
      const fd = await durable(io, 'log', 1);
      sim.faults.set('powerCut', { rate: 1, path: 'log', operation: 'fsync' });
      await io.write(fd, filled(BLOCK, 2), 0);
      expect(await codeOf(io.fsync(fd))).to.equal('ERR_CRASHED');
      expect(node.crashed).to.equal(true);
    });
    const tail = sim.trace.events().slice(-2);
    expect(tail.map((e) => `${e.type}:${e.what}`)).to.deep.equal(['fault:powerCut', 'crash:crash']);
    // The fsync never happened: the write may or may not have reached the disk.
    const io = node.restart();
    const content = await sim.run(async () => readAll(io, await io.open('log', { read: true }), 0, BLOCK));
    expect([filled(BLOCK, 1), filled(BLOCK, 2)].some((v) => Buffer.from(v).equals(Buffer.from(content)))).to.equal(true);
  });

  it('afterOperations: the cut comes at the first targeted operation after the trigger, counted per incarnation', async () => {
    const sim = new Simulation({ seed: 52 });
    const node = sim.node('a');
    const survived: number[] = [];
    await sim.run(async () => {
      for (let round = 0; round < 3; round++) {
        const io = round === 0 ? node.io : node.restart();
        if (round === 0) sim.faults.set('powerCut', { rate: 1, afterOperations: 10 });
        let done = 0;
        while (!node.crashed && done < 100) {
          await io.stat('.').then(() => done++, () => undefined);
        }
        survived.push(done);
      }
    });
    expect(survived).to.deep.equal([10, 10, 10]);
    expect(faultCount(sim, 'powerCut')).to.equal(3);
    expect(sim.node('a').restarts).to.equal(2);
  });

  it('fires at its rate per targeted operation, only on its node', async () => {
    const sim = new Simulation({ seed: 53 });
    let trials = 0;
    await sim.run(async () => {
      sim.faults.set('powerCut', { rate: 0.02, node: 'a', operation: 'stat' });
      for (let i = 0; i < 3000; i++) {
        for (const name of ['a', 'b']) {
          const node = sim.node(name);
          if (node.crashed) node.restart();
          if (name === 'a') trials++;
          await node.io.stat('.').catch(() => undefined);
        }
      }
    });
    expectRate(faultCount(sim, 'powerCut'), trials, 0.02);
    expect(sim.node('b').restarts).to.equal(0);
    expect(sim.node('a').restarts).to.equal(faultCount(sim, 'powerCut') - (sim.node('a').crashed ? 1 : 0));
  });
});

describe('sim faults: lostWrite', function () {
  this.timeout(30_000);

  async function history(mode: 'lost' | 'phantom', extraSync: boolean): Promise<{ reads: Uint8Array; states: Uint8Array[]; restarted: Uint8Array; detail: string | undefined }> {
    const sim = new Simulation({ seed: 61 });
    const node = sim.node('a');
    const out = await sim.run(async () => {
      const io = node.io;
      const fd = await durable(io, 'f', 1);
      sim.faults.set('lostWrite', { rate: 1, mode, path: 'f' });
      expect(await io.write(fd, filled(BLOCK, 2), 0)).to.equal(BLOCK);
      sim.faults.set('lostWrite', undefined);
      await io.fsync(fd);
      if (extraSync) await io.fsync(fd);
      const reads = await readAll(io, fd, 0, BLOCK);
      const states = node.crashStates({ limit: 16 }).map((s) => s.readFile('f') as Uint8Array);
      return { reads, states };
    });
    const io = node.restart();
    const restarted = await sim.run(async () => readAll(io, await io.open('f', { read: true }), 0, BLOCK));
    const detail = sim.trace.filter('fault').find((e) => e.what === 'lostWrite')?.detail;
    return { ...out, restarted, detail };
  }

  it('lost: acknowledged and synced, read back from the cache, but on no crash state: after a restart the old bytes', async () => {
    const h = await history('lost', true);
    expect(h.detail).to.equal('lost');
    expect(h.reads).to.deep.equal(filled(BLOCK, 2));
    expect(h.states).to.deep.equal([filled(BLOCK, 1)]);
    expect(h.restarted).to.deep.equal(filled(BLOCK, 1));
  });

  it('phantom: the fsync after it succeeds without it (either outcome at a crash); the next fsync lands it', async () => {
    const once = await history('phantom', false);
    expect(once.detail).to.equal('phantom');
    expect(once.reads).to.deep.equal(filled(BLOCK, 2));
    expect(once.states.map((b) => b[0]).sort()).to.deep.equal([1, 2]);
    const twice = await history('phantom', true);
    expect(twice.states).to.deep.equal([filled(BLOCK, 2)]);
    expect(twice.restarted).to.deep.equal(filled(BLOCK, 2));
  });

  it('fires at its rate on writes of its target only; without a mode, both modes occur; deterministic', async () => {
    const run = async (seed: number): Promise<{ modes: string[]; paths: Set<string>; fired: number }> => {
      const sim = new Simulation({ seed });
      await sim.run(async () => {
        const io = sim.node('a').io;
        const f = await durable(io, 'f', 1, 16 * BLOCK);
        const g = await durable(io, 'g', 1, 16 * BLOCK);
        sim.faults.set('lostWrite', { rate: 0.05, path: 'f' } satisfies FaultRule);
        for (let i = 0; i < 1000; i++) {
          await io.write(f, filled(BLOCK, i & 0xff), (i % 16) * BLOCK);
          await io.write(g, filled(BLOCK, i & 0xff), (i % 16) * BLOCK);
          if (i % 50 === 0) { await io.fsync(f); await io.fsync(g); }
        }
      });
      const faults = sim.trace.filter('fault').filter((e) => e.what === 'lostWrite');
      return { modes: faults.map((e) => e.detail as string), paths: new Set(faults.map((e) => e.path as string)), fired: faults.length };
    };
    const a = await run(62);
    expectRate(a.fired, 1000, 0.05);
    expect(a.paths).to.deep.equal(new Set(['f']));
    expect(new Set(a.modes)).to.deep.equal(new Set(['lost', 'phantom']));
    expect((await run(62)).modes).to.deep.equal(a.modes);
  });
});

describe('sim faults: misdirectedRead', function () {
  this.timeout(30_000);

  it('the read returns the bytes of another place of the file (as the trace says); a retry reads correctly', async () => {
    const sim = new Simulation({ seed: 71 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      const fd = await io.open('f', { read: true, write: true, create: true });
      const content = new Uint8Array(32 * BLOCK);
      for (let i = 0; i < content.length; i++) content[i] = 1 + ((i >> 12) & 0x3f);
      await writeAll(io, fd, content, 0);
      sim.faults.set('misdirectedRead', { rate: 1 });
      const buffer = new Uint8Array(BLOCK);
      for (let i = 0; i < 20; i++) {
        const offset = (8 + (i % 8)) * BLOCK;
        expect(await io.read(fd, buffer, offset)).to.equal(BLOCK);
        const fault = sim.trace.filter('fault').filter((e) => e.what === 'misdirectedRead').at(-1);
        const target = (fault as { result: number }).result;
        expect(fault?.offsetBytes).to.equal(offset);
        expect(target).to.not.equal(offset);
        expect(Math.abs(target - offset) % BLOCK).to.equal(0);
        expect(buffer).to.deep.equal(content.subarray(target, target + BLOCK));
      }
      sim.faults.set('misdirectedRead', undefined);
      expect(await readAll(io, fd, 8 * BLOCK, BLOCK)).to.deep.equal(content.subarray(8 * BLOCK, 9 * BLOCK));
    });
  });
});
