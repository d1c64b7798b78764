/**
 * Configuration that cannot go wrong silently: every options object of the package refuses an
 * unknown key with ERR_INVALID_ARGUMENT naming it, a fault rule that can never fire is refused when
 * it is set, and `sim.run` refuses a `main` that is not a function.
 */
import { expect } from 'chai';
import { Volume } from 'memfs';
import { Simulation, type FaultConfig, type FaultRule } from '../../src/backends/sim/index.js';
import { FsIo } from '../../src/backends/fs/index.js';
import { UringIo } from '../../src/backends/iouring/index.js';
import { openIo } from '../../src/backends/open-io.js';
import { createStorage } from '../../src/storage/storage.js';
import { openScratch } from '../../src/scratch/open.js';
import { StorageError } from '../../src/interfaces/errors.js';

function refused(fn: () => unknown, key: string): void {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  expect(caught, `expected a throw naming '${key}'`).to.be.instanceOf(StorageError);
  const err = caught as StorageError;
  expect(err.code).to.equal('ERR_INVALID_ARGUMENT');
  expect(err.message).to.contain(key);
}

async function refusedAsync(fn: () => Promise<unknown>, key: string): Promise<void> {
  let caught: unknown;
  try { await fn(); } catch (err) { caught = err; }
  expect(caught, `expected a rejection naming '${key}'`).to.be.instanceOf(StorageError);
  const err = caught as StorageError;
  expect(err.code).to.equal('ERR_INVALID_ARGUMENT');
  expect(err.message).to.contain(key);
}

function memfsIo(): FsIo {
  const volume = new Volume();
  volume.mkdirSync('/root', { recursive: true });
  return new FsIo({ root: '/root', fs: volume as never, backendName: 'memfs' });
}

describe('configuration: unknown keys are refused, naming the key', () => {
  it('new Simulation', () => {
    refused(() => new Simulation({ seed: 1, sead: 2 } as never), 'sead');
    expect(() => new Simulation({ seed: 1, profile: 'posix', sectorSizeBytes: 512 })).not.to.throw();
  });

  it('fault kinds and rule fields (at construction and when set)', () => {
    refused(() => new Simulation({ seed: 1, faults: { readEror: { rate: 1 } } as never }), 'readEror');
    refused(() => new Simulation({ seed: 1, faults: { readError: { rate: 1, paht: 'x' } } as never }), 'paht');
    const sim = new Simulation({ seed: 1 });
    refused(() => sim.faults.set('readError', { rate: 1, nodes: 'a' } as never), 'nodes');
    refused(() => sim.faults.set('nope' as never, { rate: 1 }), 'nope');
    refused(() => sim.faults.configure({ stall: { rate: 1, durationMs: 5, factr: 2 } } as never), 'factr');
    // A field of another kind is unknown for this one.
    refused(() => sim.faults.set('readError', { rate: 1, factor: 2 } as never), 'factor');
    expect(() => sim.faults.set('slowDisk', { rate: 1, factor: 2, durationMs: 5 })).not.to.throw();
  });

  it('latency config', () => {
    refused(() => new Simulation({ seed: 1, latency: { minMs: 1, tailMS: 2 } as never }), 'tailMS');
    refused(() => new Simulation({ seed: 1, latency: { operations: { fsinc: { minMs: 1, tailMs: 1 } } } as never }), 'fsinc');
    refused(() => new Simulation({ seed: 1, latency: { operations: { fsync: { minMs: 1, tail: 1 } } } as never }), 'tail');
  });

  it('crashStates options', () => {
    const node = new Simulation({ seed: 1 }).node('a');
    refused(() => node.crashStates({ limit: 4, limt: 3 } as never), 'limt');
  });

  it('FsIo, UringIo, openIo', async () => {
    refused(() => new FsIo({ root: 'never-opened', fdCountMx: 3 } as never), 'fdCountMx');
    refused(() => new UringIo({ root: 'never-opened', queueDeph: 3 } as never), 'queueDeph');
    refused(() => new UringIo({ root: 'never-opened', registeredBuffers: { count: 1, lengthBytes: 4096, size: 1 } } as never), 'size');
    await refusedAsync(() => openIo({ root: 'never-opened', backend: 'fs', quueDepth: 3 } as never), 'quueDepth');
  });

  it('createStorage, storage.open, writeAtomic, fsync, openScratch', async () => {
    const io = memfsIo();
    refused(() => createStorage(io, { direkt: true } as never), 'direkt');
    const storage = createStorage(io);
    await refusedAsync(() => storage.open('p', 'b', { version: [0, 1] } as never), 'version');
    await refusedAsync(() => storage.writeAtomic('p', 'b', new Uint8Array(1), { vers: [0, 1] } as never), 'vers');
    const fd = await io.open('f', { write: true, create: true });
    await refusedAsync(() => io.fsync(fd, { dataonly: true } as never), 'dataonly');
    await refusedAsync(() => openScratch(io, { capacityBytes: 4096, checksum: true } as never), 'checksum');
    await io.shutdown();
  });
});

describe('configuration: rules that can never fire are refused when set', () => {
  const cases: [string, keyof FaultConfig, FaultRule, string][] = [
    ['an operation the kind cannot hit', 'readError', { rate: 1, operation: 'write' }, 'write'],
    ['an unknown operation', 'stall', { rate: 1, operation: 'fsinc' as never }, 'operation'],
    ['an empty operation list', 'stall', { rate: 1, operation: [] }, 'operation'],
    ['an absolute path glob', 'writeError', { rate: 1, path: '/data/*' }, 'path'],
    ['a path glob with ..', 'writeError', { rate: 1, path: '../x' }, 'path'],
    ['a path glob with a trailing /', 'writeError', { rate: 1, path: 'wal/' }, 'path'],
    ['a path glob with an empty component', 'writeError', { rate: 1, path: 'wal//x' }, 'path'],
    ['a path glob ending in /.', 'writeError', { rate: 1, path: ['wal/x', 'x/.'] }, 'path'],
    ['the root for a kind that only hits files', 'readError', { rate: 1, path: '.' }, "'.'"],
    ['the root for namespace faults (no namespace operation succeeds on it)', 'namespaceError', { rate: 1, path: '.' }, "'.'"],
    ['an unknown errno', 'fsyncError', { rate: 1, errno: 'EPERM' as never }, 'errno'],
    ['an unknown lostWrite mode', 'lostWrite', { rate: 1, mode: 'late' as never }, 'mode'],
    ['an empty time window', 'readError', { rate: 1, atMs: 10, untilMs: 10 }, 'untilMs'],
    ['an empty node name', 'readError', { rate: 1, node: '' }, 'node'],
  ];
  for (const [what, kind, rule, mention] of cases) {
    it(what, () => {
      const sim = new Simulation({ seed: 1 });
      refused(() => sim.faults.set(kind, rule), mention);
      refused(() => new Simulation({ seed: 1, faults: { [kind]: rule } }), mention);
    });
  }

  it('rules that can fire are accepted', () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => sim.faults.set('stall', { rate: 0.5, path: '.', operation: ['readdir', 'fsync'] })).not.to.throw();
    expect(() => sim.faults.set('readError', { rate: 0.5, path: ['wal/**', '*.log'], atMs: 0, untilMs: 5 })).not.to.throw();
    expect(() => sim.faults.set('fsyncError', { rate: 1, path: '.', errno: ['EIO', 'EDQUOT'] })).not.to.throw();
    expect(() => sim.faults.set('powerCut', { rate: 0.1, path: '.', afterOperations: 5 })).not.to.throw();
    // picomatch matches './x' against 'x', and '**' against nothing more: both can fire.
    expect(() => sim.faults.set('writeError', { rate: 0.1, path: ['./x', '**', 'wal/**'] })).not.to.throw();
  });
});

describe('configuration: sim.run', () => {
  it('a main that is not a function is ERR_INVALID_ARGUMENT', async () => {
    const sim = new Simulation({ seed: 1 });
    await refusedAsync(() => sim.run(42 as never), 'main');
    expect(await sim.run(() => 7)).to.equal(7);
  });
});
