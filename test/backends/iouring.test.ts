/**
 * The Io and Storage conformance suites on UringIo: buffered, with O_DIRECT storage
 * (`storageOptions.direct`), and through `openIo({ backend: 'auto' })`.
 */
import { rm } from 'node:fs/promises';
import { openIo } from '../../src/backends/open-io.js';
import { defineIoConformance, type BackendInstance, type ConformanceSupports } from '../conformance/index.js';
import { defineStorageConformance } from '../conformance/storage-suite.js';
import { createUringBackend, describeUring, makeRoots } from '../native/support.js';

const modelRuns = Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 100);
const supports: ConformanceSupports = {
  direct: true,
  tmpfile: true,
  symlinks: true,
  directoryFsync: true,
  modelRuns,
};

async function autoBackend(): Promise<BackendInstance> {
  const { base, root } = await makeRoots('faultline-auto-');
  const io = await openIo({ backend: 'auto', root });
  return {
    io,
    dispose: async () => {
      await io.shutdown();
      await rm(base, { recursive: true, force: true });
    },
  };
}

describeUring('UringIo conformance', function () {
  defineIoConformance('iouring', () => createUringBackend(), supports);
  defineIoConformance('iouring (queueDepth 2)', () => createUringBackend({ queueDepth: 2 }), { ...supports, modelRuns: Math.ceil(modelRuns / 4) });
  defineIoConformance('iouring (sqpoll, registered buffers)', () => createUringBackend({ sqpoll: true, registeredBuffers: { count: 2, lengthBytes: 4096 } }),
    { ...supports, modelRuns: Math.ceil(modelRuns / 4) });
  // Writes done by pwrite at the call must answer as the ring does, code for code.
  defineIoConformance('iouring (inlineWrites)', () => createUringBackend({ inlineWrites: true }), { ...supports, modelRuns: Math.ceil(modelRuns / 4) });
  // And with writes that arrive together sent to the ring instead: the same answers either way.
  defineIoConformance('iouring (inlineWrites, coalesceWrites)', () => createUringBackend({ inlineWrites: true, coalesceWrites: true }),
    { ...supports, modelRuns: Math.ceil(modelRuns / 4) });
  // Both read policies, whichever this host's default is: reads coalesced into the ring and reads
  // answered at the call must give the same answers.
  defineIoConformance('iouring (coalesceReads)', () => createUringBackend({ coalesceReads: true }), { ...supports, modelRuns: Math.ceil(modelRuns / 4) });
  defineIoConformance('iouring (coalesceReads: false)', () => createUringBackend({ coalesceReads: false }), { ...supports, modelRuns: Math.ceil(modelRuns / 4) });
  defineStorageConformance('iouring', () => createUringBackend(), supports);
  defineStorageConformance('iouring', () => createUringBackend(), { ...supports, storageOptions: { direct: true } });
  defineStorageConformance('iouring (inlineWrites)', () => createUringBackend({ inlineWrites: true }), supports);
  // The event loop waiting in io_uring_enter instead of epoll: the same answers, code for code.
  defineIoConformance('iouring (waitInRing)', () => createUringBackend({ waitInRing: true }), { ...supports, modelRuns: Math.ceil(modelRuns / 4) });
  defineStorageConformance('iouring (waitInRing)', () => createUringBackend({ waitInRing: true }), { ...supports, storageOptions: { direct: true } });
  defineIoConformance('openIo auto', autoBackend, { ...supports, symlinks: false, reasons: { ...supports.reasons, symlinks: 'the auto factory plants no symlinks' } });
});
