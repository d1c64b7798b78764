/**
 * The faults of issue 13 on the operations that arrived alongside them: the synchronous twins of
 * SimIo (`io.sync`, what the simulated `node:fs` uses) draw every fault exactly as their
 * asynchronous twins do, and `namespaceError` also hits `link` and `symlink`.
 */
import { expect } from 'chai';
import { Simulation, type SimIo } from '../../src/backends/sim/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import { codeOf } from './support.js';

/** The code a synchronous call throws (undefined when it returns). */
function syncCode(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
}

/** Namespace operations, each created afresh, as one script run either way. */
type Step = 'create' | 'mkdir' | 'rename' | 'unlink' | 'rmdir' | 'link' | 'symlink';
const STEPS: readonly Step[] = ['create', 'mkdir', 'rename', 'unlink', 'rmdir', 'link', 'symlink'];

async function runScript(io: SimIo, sync: boolean, rounds: number): Promise<string[]> {
  const codes: string[] = [];
  const s = io.sync;
  for (let i = 0; i < rounds; i++) {
    for (const step of STEPS) {
      let code: string | undefined;
      const f = `f${i}`;
      switch (step) {
        case 'create':
          if (sync) code = syncCode(() => s.close(s.open(f, { write: true, create: true })));
          else code = await codeOf(io.open(f, { write: true, create: true }).then((fd) => io.close(fd)));
          break;
        case 'mkdir': code = sync ? syncCode(() => s.mkdir(`d${i}`)) : await codeOf(io.mkdir(`d${i}`)); break;
        case 'rename': code = sync ? syncCode(() => s.rename(f, `g${i}`)) : await codeOf(io.rename(f, `g${i}`)); break;
        case 'unlink': code = sync ? syncCode(() => s.unlink(`g${i}`)) : await codeOf(io.unlink(`g${i}`)); break;
        case 'rmdir': code = sync ? syncCode(() => s.rmdir(`d${i}`)) : await codeOf(io.rmdir(`d${i}`)); break;
        case 'link': code = sync ? syncCode(() => s.link('base', `l${i}`)) : await codeOf(io.link('base', `l${i}`)); break;
        case 'symlink': code = sync ? syncCode(() => s.symlink('base', `s${i}`)) : await codeOf(io.symlink('base', `s${i}`)); break;
      }
      codes.push(`${step}:${code ?? 'ok'}`);
    }
  }
  return codes;
}

describe('sim faults through the synchronous twins', function () {
  this.timeout(30_000);

  it('namespaceError: each sync namespace operation (link and symlink included) fails with the errno and changes nothing', () => {
    const sim = new Simulation({ seed: 61 });
    const io = sim.node('a').io;
    const s = io.sync;
    s.close(s.open('base', { write: true, create: true }));
    s.mkdir('d');
    s.close(s.open('x', { write: true, create: true }));
    const before = s.readdir('.');
    sim.faults.set('namespaceError', { rate: 1, errno: 'EDQUOT' });
    expect(syncCode(() => s.open('new', { write: true, create: true }))).to.equal('EDQUOT');
    expect(syncCode(() => s.mkdir('e'))).to.equal('EDQUOT');
    expect(syncCode(() => s.rename('x', 'y'))).to.equal('EDQUOT');
    expect(syncCode(() => s.link('base', 'hard'))).to.equal('EDQUOT');
    expect(syncCode(() => s.symlink('base', 'soft'))).to.equal('EDQUOT');
    // unlink and rmdir need no space: an EDQUOT-only rule cannot hit them.
    s.unlink('x');
    sim.faults.set('namespaceError', { rate: 1 });
    expect(syncCode(() => s.rmdir('d'))).to.equal('EIO');
    expect(syncCode(() => s.unlink('base'))).to.equal('EIO');
    expect(s.readdir('.')).to.deep.equal(before.filter((name) => name !== 'x'));
    const details = sim.trace.filter('fault').filter((e) => e.what === 'namespaceError').map((e) => e.detail);
    expect(details).to.deep.equal(['EDQUOT', 'EDQUOT', 'EDQUOT', 'EDQUOT', 'EDQUOT', 'EIO', 'EIO']);
  });

  it('namespaceError hits async link and symlink too', async () => {
    const sim = new Simulation({ seed: 62 });
    await sim.run(async () => {
      const io = sim.node('a').io;
      await io.close(await io.open('base', { write: true, create: true }));
      sim.faults.set('namespaceError', { rate: 1, errno: 'ENOSPC', operation: ['link', 'symlink'] });
      expect(await codeOf(io.link('base', 'hard'))).to.equal('ENOSPC');
      expect(await codeOf(io.symlink('base', 'soft'))).to.equal('ENOSPC');
      await io.mkdir('still-works');
      expect(await io.readdir('.')).to.deep.equal(['base', 'still-works']);
    });
  });

  it('the same seed draws the same namespace faults whether the script runs sync or async', async () => {
    const run = async (sync: boolean): Promise<string[]> => {
      const sim = new Simulation({ seed: 63 });
      const io = sim.node('a').io;
      return sim.run(async () => {
        await io.close(await io.open('base', { write: true, create: true }));
        sim.faults.set('namespaceError', { rate: 0.2, errno: ['EIO', 'ENOSPC', 'EDQUOT'] });
        return runScript(io, sync, 60);
      });
    };
    const asyncCodes = await run(false);
    const syncCodes = await run(true);
    expect(syncCodes).to.deep.equal(asyncCodes);
    const failed = asyncCodes.filter((c) => !c.endsWith(':ok') && !c.endsWith(':ENOENT'));
    expect(failed.length, 'faults fired').to.be.greaterThan(20);
    for (const step of STEPS) expect(failed.some((c) => c.startsWith(`${step}:`)), `${step} faulted`).to.equal(true);
  });

  it('fsyncError errnos, on files and directories, through io.sync', () => {
    const sim = new Simulation({ seed: 64 });
    const s = sim.node('a').io.sync;
    const fd = s.open('f', { read: true, write: true, create: true });
    s.write(fd, new Uint8Array(4096).fill(1), 0);
    sim.faults.set('fsyncError', { rate: 1, errno: 'ENOSPC' });
    expect(syncCode(() => s.fsync(fd))).to.equal('ENOSPC');
    const dir = s.open('.', { directory: true });
    expect(syncCode(() => s.fsync(dir))).to.equal('ENOSPC');
    sim.faults.set('fsyncError', undefined);
    s.fsync(dir);
    s.close(dir);
    s.close(fd);
  });

  it('powerCut on a sync call: the call throws ERR_CRASHED and the node is down', () => {
    const sim = new Simulation({ seed: 65 });
    const node = sim.node('a');
    const s = node.io.sync;
    s.mkdir('d');
    sim.faults.set('powerCut', { rate: 1, operation: 'mkdir' });
    expect(syncCode(() => s.mkdir('e'))).to.equal('ERR_CRASHED');
    expect(node.crashed).to.equal(true);
    expect(sim.trace.filter('fault').map((e) => e.what)).to.deep.equal(['powerCut']);
  });

  it('sync read and write without fault rules (the direct path) leave the same trace, metrics and crash states as their async twins', async () => {
    const run = async (sync: boolean, latency: boolean, generalPath = false): Promise<unknown> => {
      const sim = new Simulation({ seed: 66, capacityBytes: 256 * 1024, dirtyBytesMax: 64 * 1024, latency, sectorSizeBytes: 512 });
      const node = sim.node('a');
      // Rules that never match this file: they keep the sync calls on the general path (an IoOp).
      if (generalPath) for (const kind of ['readError', 'writeError'] as const) sim.faults.set(kind, { rate: 1, path: 'elsewhere' });
      const io = node.io;
      const s = io.sync;
      const outcomes: string[] = [];
      const step = async (call: () => number, later: () => Promise<number>): Promise<void> => {
        if (sync) {
          try { outcomes.push(String(call())); } catch (err) { outcomes.push((err as StorageError).code); }
        } else {
          try { outcomes.push(String(await later())); } catch (err) { outcomes.push((err as StorageError).code); }
        }
      };
      await sim.run(async () => {
        const fd = await io.open('f', { read: true, write: true, create: true });
        const buffer = new Uint8Array(4096);
        for (let i = 0; i < 400; i++) {
          buffer.fill(i & 0xff);
          const offset = ((i * 7919) % 97) * (i % 3 === 0 ? 4096 : 1000);
          const length = i % 5 === 0 ? 333 : 4096;
          const view = buffer.subarray(0, length);
          if (i % 2 === 0) await step(() => s.write(fd, view, offset), () => io.write(fd, view, offset));
          else await step(() => s.read(fd, view, offset), () => io.read(fd, view, offset));
          outcomes.push(String(buffer[0]));
          if (i % 50 === 49) await io.fsync(fd);
        }
        // A closed fd and a bad buffer fail the same way on both paths.
        await step(() => s.read(fd + 100, buffer, 0), () => io.read(fd + 100, buffer, 0));
        await step(() => s.write(fd, 'x' as unknown as Uint8Array, 0), () => io.write(fd, 'x' as unknown as Uint8Array, 0));
      });
      const states = node.crashStates({ limit: 16 });
      return { outcomes, hash: sim.hash(), metrics: io.metrics, states: [...states].map((state) => state.digest) };
    };
    for (const latency of [false, true]) {
      const viaAsync = await run(false, latency) as { outcomes: string[]; hash: string };
      const viaSync = await run(true, latency) as { outcomes: string[]; hash: string };
      expect(viaAsync.outcomes, 'ENOSPC reached').to.include('ENOSPC');
      if (!latency) expect(viaSync).to.deep.equal(viaAsync);
      else {
        // With latency the async run spends simulated time, which the trace records: only the outcomes must agree.
        expect(viaSync.outcomes).to.deep.equal(viaAsync.outcomes);
      }
      // And the direct path against the general one, latency draws included (the fsyncs spend them).
      expect(viaSync).to.deep.equal(await run(true, latency, true));
    }
  });

  it('sync read and write take the caller\'s buffer without a snapshot, yet never run its getters, methods or species', () => {
    const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
    const intrinsic = (key: 'buffer' | 'byteOffset' | 'byteLength', view: Uint8Array): unknown =>
      Reflect.apply((Object.getOwnPropertyDescriptor(typedArrayPrototype, key) as PropertyDescriptor).get as () => unknown, view, []);
    /** The caller's memory as the engine sees it (no override consulted). */
    const plain = (view: Uint8Array): Uint8Array =>
      new Uint8Array(intrinsic('buffer', view) as ArrayBuffer, intrinsic('byteOffset', view) as number, intrinsic('byteLength', view) as number);
    const boom = (what: string) => (): never => { throw new Error(`${what} of a caller buffer was used`); };
    class Liar extends Uint8Array {
      override get byteLength(): number { return boom('byteLength')(); }
      override get byteOffset(): number { return boom('byteOffset')(); }
      override get length(): number { return boom('length')(); }
      override get buffer(): ArrayBuffer { return boom('buffer')(); }
    }
    class Sly extends Uint8Array {}
    Object.defineProperty(Sly, Symbol.species, { get: boom('species') });
    for (const name of ['subarray', 'slice', 'set', 'fill']) Object.defineProperty(Sly.prototype, name, { value: boom(name) });
    const shadowed = (n: number): Uint8Array => {
      const view = new Uint8Array(n);
      for (const key of ['byteLength', 'buffer', 'set', 'fill', 'subarray', 'slice']) Object.defineProperty(view, key, { get: boom(key) });
      return view;
    };
    const kinds: [string, (n: number) => Uint8Array][] = [
      ['lying getters', (n) => new Liar(n)], ['overridden methods and species', (n) => new Sly(n)], ['own shadowing properties', shadowed],
      // A view into the middle of a larger buffer: offsets must come from the intrinsics too.
      ['an inner view', (n) => new Liar(new ArrayBuffer(n + 64), 32, n)],
    ];
    // Whole aligned pages, a write across pages, one past the arena's copy limit (a private copy), a short read at the end.
    const shapes = [{ n: 4096, at: 8192 }, { n: 333, at: 4000 }, { n: 300 * 1024, at: 65536 }];
    for (const [name, make] of kinds) {
      const sim = new Simulation({ seed: 67 });
      const s = sim.node('a').io.sync;
      const fd = s.open('f', { read: true, write: true, create: true });
      for (const { n, at } of shapes) {
        const source = make(n);
        const bytes = plain(source);
        for (let i = 0; i < n; i++) bytes[i] = (i * 7 + n) & 0xff;
        expect(s.write(fd, source, at), `${name}: write of ${n}`).to.equal(n);
        expect(Array.from(plain(source).subarray(0, 8)), `${name}: source untouched`).to.deep.equal(Array.from(bytes.subarray(0, 8)));
        const target = make(n);
        expect(s.read(fd, target, at), `${name}: read of ${n}`).to.equal(n);
        expect(Buffer.compare(plain(target), bytes), `${name}: bytes of ${n}`).to.equal(0);
      }
      const size = s.stat(fd).sizeBytes;
      const tail = make(100);
      expect(s.read(fd, tail, size - 40), `${name}: short read`).to.equal(40);
      const expected = new Uint8Array(40);
      s.read(fd, expected, size - 40);
      expect(Buffer.compare(plain(tail).subarray(0, 40), expected)).to.equal(0);
    }
  });
});
