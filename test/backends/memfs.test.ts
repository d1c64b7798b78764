/** The Io conformance suite on FsIo over a memfs Volume (a new Volume per test). */
import { expect } from 'chai';
import { Volume } from 'memfs';
import { FsIo, FSIO_CUSTOM_FILE_SIZE_MAX_BYTES } from '../../src/backends/fs/index.js';
import { defineIoConformance, expectCode, type BackendInstance } from '../conformance/index.js';

async function createMemfsBackend(): Promise<BackendInstance> {
  const volume = new Volume();
  volume.mkdirSync('/root');
  volume.mkdirSync('/outside');
  volume.writeFileSync('/outside/outside.txt', 'secret');
  const io = new FsIo({ root: '/root', fs: volume, backendName: 'memfs' });
  return {
    io,
    outsideDirectory: '/outside',
    rootDirectory: '/root',
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


describe('FsIo over memfs: containment whatever the module does', function () {
  for (const emulateLinux of [true, false]) {
    it(`rename of a symlink to an outside file moves the link, never the file (emulateLinux: ${String(emulateLinux)})`, async function () {
      const volume = new Volume();
      volume.mkdirSync('/root');
      volume.mkdirSync('/outside');
      volume.writeFileSync('/outside/victim', 'secret');
      volume.symlinkSync('/outside/victim', '/root/out_file');
      volume.writeFileSync('/root/existing', 'inside');
      volume.symlinkSync('/outside/victim', '/root/out_file2');
      const io = new FsIo({ root: '/root', fs: volume, emulateLinux });
      try {
        // memfs's own renameSync would move /outside/victim to /root/stolen here.
        await io.rename('out_file', 'stolen');
        await io.rename('out_file2', 'existing');
        expect(volume.readdirSync('/outside')).to.deep.equal(['victim']);
        expect(volume.readFileSync('/outside/victim', 'utf8')).to.equal('secret');
        expect(volume.lstatSync('/root/stolen').isSymbolicLink()).to.equal(true);
        expect(volume.lstatSync('/root/existing').isSymbolicLink()).to.equal(true);
        expect((await io.readdir('.')).sort()).to.deep.equal(['existing', 'stolen']);
        await expectCode(() => io.stat('stolen'), 'ERR_PATH_ESCAPE');
      } finally {
        await io.shutdown();
      }
    });
  }

  it('a module without the sync calls needed to rename a link refuses with ERR_UNSUPPORTED instead of following it', async function () {
    const volume = new Volume();
    volume.mkdirSync('/root');
    volume.mkdirSync('/outside');
    volume.writeFileSync('/outside/victim', 'secret');
    volume.symlinkSync('/outside/victim', '/root/out_file');
    const limited = Object.create(volume, { symlinkSync: { value: undefined } }) as typeof volume;
    const io = new FsIo({ root: '/root', fs: limited });
    try {
      await expectCode(() => io.rename('out_file', 'stolen'), 'ERR_UNSUPPORTED');
      expect(volume.readdirSync('/outside')).to.deep.equal(['victim']);
    } finally {
      await io.shutdown();
    }
  });
});

describe('FsIo over memfs: sizes a Buffer cannot hold', function () {
  it('a write at 2^32 and a truncate to 2^44 are EFBIG (the kernel answer of a file system with a 2 GiB limit), not ERR_INTERNAL', async function () {
    const { io, dispose } = await createMemfsBackend();
    try {
      const fd = await io.open('f', { read: true, write: true, create: true });
      for (const [call, code] of [
        [() => io.write(fd, new Uint8Array(1), 2 ** 32), 'EFBIG'],
        [() => io.writev(fd, [new Uint8Array(1)], 2 ** 32), 'EFBIG'],
        [() => io.truncate(fd, 2 ** 44), 'EFBIG'],
        [() => io.truncate(fd, FSIO_CUSTOM_FILE_SIZE_MAX_BYTES + 1), 'EFBIG'],
        [() => io.allocate(fd, 2 ** 32, 1), 'EFBIG'],
      ] as const) {
        let caught: unknown;
        try { await call(); } catch (err) { caught = err; }
        expect((caught as { code?: string }).code).to.equal(code);
      }
      expect((await io.stat(fd)).sizeBytes).to.equal(0);
      await io.close(fd);
    } finally {
      await dispose();
    }
  });
});
