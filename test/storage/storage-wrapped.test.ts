/**
 * Storage's direct mode and its short-transfer retry loops, checked by running the whole Storage
 * conformance suite over FsIo wrapped in {@link WrappedIo}: once with emulated O_DIRECT (4096- and
 * 512-byte alignment: every misaligned transfer fails with EINVAL), once with random short reads
 * and writes, and once with both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsIo } from '../../src/backends/fs/index.js';
import type { BackendFactory } from '../conformance/harness.js';
import { defineStorageConformance } from '../conformance/storage-suite.js';
import { WrappedIo, type WrappedIoOptions } from './wrapped-io.js';

let seed = 1;

function wrappedFactory(options: Omit<WrappedIoOptions, 'seed'>): BackendFactory {
  return async () => {
    const root = await mkdtemp(join(tmpdir(), 'faultline-storage-wrapped-'));
    const inner = new FsIo({ root });
    const io = new WrappedIo(inner, { ...options, seed: seed++ });
    return {
      io,
      async dispose() {
        await inner.shutdown();
        await rm(root, { recursive: true, force: true });
      },
    };
  };
}

const base = { tmpfile: false, symlinks: false, directoryFsync: true, modelRuns: Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 60) } as const;

defineStorageConformance('fs+emulated-direct-4096', wrappedFactory({ directAlignmentBytes: 4096 }), {
  ...base, direct: true, storageOptions: { direct: true },
});
defineStorageConformance('fs+emulated-direct-512', wrappedFactory({ directAlignmentBytes: 512 }), {
  ...base, direct: true, storageOptions: { direct: true },
});
defineStorageConformance('fs+short-transfers', wrappedFactory({ shortTransferRate: 0.3 }), {
  ...base, direct: false,
});
defineStorageConformance('fs+emulated-direct-512+short-transfers', wrappedFactory({ directAlignmentBytes: 512, shortTransferRate: 0.3 }), {
  ...base, direct: true, storageOptions: { direct: true },
});
