/**
 * The Io and Storage conformance suites on SimIo, with faults off: under each crash profile
 * (they must not change what a running program sees), with 512-byte sectors, and with latency on
 * (completions out of submission order). The conformance tests await Io calls directly, outside
 * `sim.run`: SimIo's scheduler then pumps itself.
 */
import { Simulation, type SimulationOptions, type SimProfile } from '../../src/backends/sim/index.js';
import { defineIoConformance, defineStorageConformance, type BackendInstance, type ConformanceSupports } from '../conformance/index.js';

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
