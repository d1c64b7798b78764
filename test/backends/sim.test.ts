/**
 * The Io and Storage conformance suites on SimIo, with faults off: under each crash profile
 * (they must not change what a running program sees), with 512-byte sectors, and with latency on
 * (completions out of submission order). The conformance tests await Io calls directly, outside
 * `sim.run`: SimIo's scheduler then pumps itself.
 */
import { Simulation, type SimulationOptions, type SimProfile } from '../../src/backends/sim/index.js';
import { expect } from 'chai';
import { defineIoConformance, defineStorageConformance, expectCode, type BackendInstance, type ConformanceSupports } from '../conformance/index.js';

const modelRuns = Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 100);
let seedCounter = 0;

function simBackend(options: Omit<SimulationOptions, 'seed'>): () => Promise<BackendInstance> {
  return async () => {
    const sim = new Simulation({ seed: `conformance-${seedCounter++}`, ...options });
    const io = sim.node('n').io;
    return {
      io,
      dispose: () => io.shutdown(),
      makeSymlink: (target: string, linkPath: string) => io.symlink(target, linkPath),
      // The simulated disk's root is the Io's root: the only way out is `..` above it, which the
      // Io contract refuses (ERR_PATH_ESCAPE) wherever a link leads there.
      outsideDirectory: '/..',
      // Absolute link targets name places on the simulated disk, whose root is `/`.
      rootDirectory: '/',
    };
  };
}

const supports: ConformanceSupports = {
  direct: true,
  tmpfile: true,
  symlinks: true,
  directoryFsync: true,
  modelRuns,
};

const variants: { label: string; options: Omit<SimulationOptions, 'seed'>; full: boolean }[] = [
  { label: 'sim posix', options: { profile: 'posix' as SimProfile }, full: true },
  { label: 'sim ext4-ordered', options: { profile: 'ext4-ordered' as SimProfile }, full: false },
  { label: 'sim writeback', options: { profile: 'writeback' as SimProfile }, full: false },
  { label: 'sim none', options: { profile: 'none' as SimProfile }, full: false },
  { label: 'sim posix 512-byte sectors', options: { profile: 'posix' as SimProfile, sectorSizeBytes: 512 }, full: false },
  { label: 'sim posix with latency', options: { profile: 'posix' as SimProfile, latency: true }, full: true },
];

for (const v of variants) {
  // Model runs are the slow part: the full count on the two main variants, fewer on the others.
  const s: ConformanceSupports = { ...supports, modelRuns: v.full ? modelRuns : Math.max(10, Math.floor(modelRuns / 5)) };
  defineIoConformance(v.label, simBackend(v.options), s);
  defineStorageConformance(v.label, simBackend(v.options), s);
}

describe('SimIo: argument getters that call back into the simulation', function () {
  it('a getter that cuts the node\'s power while the call reads its arguments: the call is ERR_CRASHED and changes nothing on the disk', async function () {
    const sim = new Simulation({ seed: 'reentrant-crash' });
    const node = sim.node('n');
    const io = node.io;
    const fd = await io.open('f', { read: true, write: true, create: true });
    await io.fsync(fd);
    const dir = await io.open('.', { directory: true });
    await io.fsync(dir);
    const crashing = (): true => { node.crash(); return true; };
    await expectCode(() => io.open('g', { write: true, get create() { return crashing(); } }), 'ERR_CRASHED');
    const restarted = node.restart();
    await expectCode(() => restarted.stat('g'), 'ENOENT');
    const fd2 = await restarted.open('f', { read: true, write: true });
    const list: Uint8Array[] = [];
    Object.defineProperty(list, 0, { enumerable: true, get: () => { node.crash(); return new Uint8Array([1, 2, 3]); } });
    await expectCode(() => restarted.writev(fd2, list, 0), 'ERR_CRASHED');
    const again = node.restart();
    expect((await again.stat('f')).sizeBytes).to.equal(0);
    await again.shutdown();
  });

  it('statFull and setAttributes: an options or change getter that closes the fd is EBADF, one that shuts the Io down ERR_CLOSED; nothing changes', async function () {
    const sim = new Simulation({ seed: 'reentrant-attributes' });
    const io = sim.node('n').io;
    const fd = await io.open('f', { read: true, write: true, create: true });
    const before = await io.statFull('f');
    await expectCode(() => io.setAttributes(fd, { get mode() { void io.close(fd); return 0o600; } }), 'EBADF');
    expect((await io.statFull('f')).mode).to.equal(before.mode);
    const fd2 = await io.open('f', { read: true });
    await expectCode(() => io.statFull(fd2, { get follow() { void io.close(fd2); return true; } }), 'EBADF');
    const fd3 = await io.open('f', { read: true });
    let shutdown: Promise<void> | undefined;
    await expectCode(() => io.setAttributes(fd3, { mode: 0o600 }, { get follow() { shutdown = io.shutdown(); return true; } }), 'ERR_CLOSED');
    await shutdown;
    const other = new Simulation({ seed: 'reentrant-attributes-2' }).node('n').io;
    let otherShutdown: Promise<void> | undefined;
    await expectCode(() => other.statFull('.', { get follow() { otherShutdown = other.shutdown(); return true; } }), 'ERR_CLOSED');
    await otherShutdown;
  });
});
