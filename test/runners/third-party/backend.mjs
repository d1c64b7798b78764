// A third party's backend under test: faultline's FsIo over a memfs Volume (a new one per test).
// Shared by the three runner files beside it, which are what a user writes.
import { Volume } from 'memfs';
import { FsIo, FSIO_CUSTOM_FILE_SIZE_MAX_BYTES } from 'faultline';

export async function createBackend() {
  const volume = new Volume();
  volume.mkdirSync('/root');
  const io = new FsIo({ root: '/root', fs: volume, backendName: 'memfs' });
  return { io, dispose: () => io.shutdown() };
}

export const supports = {
  direct: false, tmpfile: false, symlinks: false, directoryFsync: true,
  // FsIo over a custom fs module (memfs) caps files below ext4's limit: memfs keeps a file in one Buffer.
  fileSizeMaxBytes: FSIO_CUSTOM_FILE_SIZE_MAX_BYTES,
  modelRuns: 10,
  reasons: {
    direct: 'memfs has no O_DIRECT', tmpfile: 'memfs has no O_TMPFILE', symlinks: 'not planted here',
    fileSizeMax: 'memfs holds a file in one Buffer: a write just under its limit would allocate it all',
  },
};

/** A workload for simulationTest: a synced record survives a power cut, on every seed. */
export async function syncedRecordSurvives({ node, sim }) {
  const disk = node('db');
  const fd = await disk.io.open('log', { write: true, create: true });
  const record = new Uint8Array([sim.randomInt(256), 1, 2, 3]);
  await disk.io.write(fd, record, 0);
  await disk.io.fsync(fd);
  await disk.io.close(fd);
  const dir = await disk.io.open('.', { directory: true });
  await disk.io.fsync(dir);
  disk.crash();
  const io = disk.restart();
  const back = new Uint8Array(4);
  const again = await io.open('log');
  await io.read(again, back, 0);
  if (back.join() !== record.join()) throw new Error(`lost the synced record: ${back.join()} != ${record.join()}`);
}

/** Deliberate failures (FAULTLINE_FIXTURE=fail): what a user sees when something is wrong. */
export function defineFailingCases(defineIoConformance, simulationTest, runner) {
  // The manifest claims O_DIRECT, which memfs does not have.
  defineIoConformance('wrong-manifest', createBackend, { ...supports, direct: true, modelRuns: 1 }, runner);
  simulationTest('fails at seed 3', { seeds: 5 }, async ({ seed, node }) => {
    const io = node('db').io;
    const fd = await io.open(`file-${seed}`, { write: true, create: true });
    await io.write(fd, new Uint8Array([seed]), 0);
    if (seed === 3) throw new Error('the invariant broke');
    await io.close(fd);
  }, runner);
}
