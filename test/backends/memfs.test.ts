/** The Io conformance suite on FsIo over a memfs Volume (a new Volume per test). */
import { Volume } from 'memfs';
import { FsIo, FSIO_CUSTOM_FILE_SIZE_MAX_BYTES } from '../../src/backends/fs/index.js';
import { defineIoConformance, type BackendInstance } from '../conformance/index.js';

async function createMemfsBackend(): Promise<BackendInstance> {
  const volume = new Volume();
  volume.mkdirSync('/root');
  volume.mkdirSync('/outside');
  volume.writeFileSync('/outside/outside.txt', 'secret');
  const io = new FsIo({ root: '/root', fs: volume, backendName: 'memfs' });
  return {
    io,
    outsideDirectory: '/outside',
    makeSymlink: async (target, linkPath) => { volume.symlinkSync(target, `/root/${linkPath}`); },
    dispose: () => io.shutdown(),
  };
}

defineIoConformance('memfs', createMemfsBackend, {
  direct: false,
  tmpfile: false,
  symlinks: true,
  directoryFsync: true,
  fileSizeMaxBytes: FSIO_CUSTOM_FILE_SIZE_MAX_BYTES,
  modelRuns: Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 200),
  reasons: {
    fileSizeMax: 'memfs holds a file in one Buffer: a write just under its 2 GiB limit would allocate it all',
    direct: 'memfs has no O_DIRECT (no page cache to bypass)',
    tmpfile: 'memfs has no O_TMPFILE',
  },
});
import { defineStorageConformance } from '../conformance/index.js';
defineStorageConformance('memfs', createMemfsBackend, { direct: false, tmpfile: false, symlinks: false, directoryFsync: true, modelRuns: Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 200) });
