/**
 * The Storage conformance suite in direct mode (`createStorage(io, { direct: true })`) on the
 * simulator, whose O_DIRECT enforces sector alignment, with 4096- and 512-byte sectors and with
 * latency (completions out of submission order, which stresses the per-file write lock).
 */
import { Simulation, type SimulationOptions } from '../../src/backends/sim/index.js';
import type { BackendInstance } from '../conformance/harness.js';
import { defineStorageConformance } from '../conformance/storage-suite.js';

let seedCounter = 0;

function simBackend(options: Omit<SimulationOptions, 'seed'>): () => Promise<BackendInstance> {
  return async () => {
    const io = new Simulation({ seed: `storage-direct-${seedCounter++}`, ...options }).node('n').io;
    return { io, dispose: () => io.shutdown() };
  };
}

const supports = {
  direct: true, tmpfile: true, symlinks: false, directoryFsync: true, modelRuns: Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 60), storageOptions: { direct: true },
} as const;

defineStorageConformance('sim posix', simBackend({ profile: 'posix' }), supports);
defineStorageConformance('sim posix 512-byte sectors', simBackend({ profile: 'posix', sectorSizeBytes: 512 }), supports);
defineStorageConformance('sim posix with latency', simBackend({ profile: 'posix', latency: true }), supports);
