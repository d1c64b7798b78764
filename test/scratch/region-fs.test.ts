import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Volume } from 'memfs';
import { FsIo } from '../../src/backends/fs/index.js';
import type { FsLike } from '../../src/backends/fs/index.js';
import { describeScratchRegion } from './region-suite.js';
import { strictDirectIo } from './strict-direct-io.js';
import { listOrEmpty, probeDirect, rejectionCode } from './support.js';
import { openScratch } from '../../src/scratch/open.js';
import { SCRATCH_DIRECTORY_DEFAULT } from '../../src/scratch/scratch-file.js';

// node:fs offers O_DIRECT and O_TMPFILE on Linux (with the native aligned allocator); the region
// uses them by default there, and buffered I/O with `direct: false` or where they are missing.
const fsFactory = async () => {
  const root = mkdtempSync(join(tmpdir(), 'faultline-scratch-'));
  const io = new FsIo({ root });
  const directWorks = await probeDirect(io);
  return {
    io,
    directWorks,
    async dispose() {
      await io.shutdown();
      rmSync(root, { recursive: true, force: true });
    },
  };
};
describeScratchRegion('FsIo (node:fs, temp dir)', fsFactory, { expectDirect: 'auto' });
describeScratchRegion('FsIo (node:fs, temp dir, direct: false)', fsFactory, { direct: false, expectDirect: false });

describeScratchRegion('FsIo (memfs)', async () => {
  const volume = Volume.fromJSON({ '/root/.keep': '' });
  const io = new FsIo({ root: '/root', fs: volume as unknown as FsLike });
  return { io, dispose: () => io.shutdown() };
}, { expectDirect: false });

// Direct I/O rules enforced strictly (4096-byte offsets, lengths and buffers) over node:fs, so the
// region's padding and bounce buffers are checked on every transfer even where O_DIRECT itself is
// unavailable; the second variant also cuts transfers short at misaligned counts.
for (const shortEvery of [0, 3]) {
  describeScratchRegion(`FsIo behind a strict direct-I/O check${shortEvery === 0 ? '' : ', short transfers'}`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'faultline-scratch-'));
    const inner = new FsIo({ root });
    return {
      io: strictDirectIo(inner, { shortEvery }),
      async dispose() {
        await inner.shutdown();
        rmSync(root, { recursive: true, force: true });
      },
    };
  }, { expectDirect: true });
}

describe('scratch region where the file system refuses O_DIRECT', () => {
  let root: string;
  let inner: FsIo;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'faultline-scratch-'));
    inner = new FsIo({ root });
  });
  afterEach(async () => {
    await inner.shutdown();
    rmSync(root, { recursive: true, force: true });
  });

  it('falls back to buffered I/O by default and says so', async () => {
    for (const [path, hideTmpfile] of [[undefined, false], [undefined, true], ['named.bin', false]] as const) {
      const io = strictDirectIo(inner, { refuseDirect: true, hideTmpfile });
      const region = await openScratch(io, { capacityBytes: 64 * 1024, ...(path === undefined ? {} : { path }) });
      expect(region.direct).to.equal(false);
      expect(region.alignmentBytes).to.equal(512);
      const slot = await region.write(new Uint8Array([4, 5, 6]));
      expect([...await region.read(slot)]).to.deep.equal([4, 5, 6]);
      await region.close();
      expect(await listOrEmpty(io, SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
    }
  });

  it('returns EINVAL when direct: true was asked explicitly, leaving nothing behind', async () => {
    for (const hideTmpfile of [false, true]) {
      const io = strictDirectIo(inner, { refuseDirect: true, hideTmpfile });
      expect(await rejectionCode(openScratch(io, { capacityBytes: 64 * 1024, direct: true }))).to.equal('EINVAL');
      expect(await rejectionCode(openScratch(io, { capacityBytes: 64 * 1024, direct: true, path: 'x.bin' }))).to.equal('EINVAL');
      expect(await listOrEmpty(io, SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
      expect(await rejectionCode(io.stat('x.bin'))).to.equal('ENOENT');
    }
  });
});

describe('scratch region on an Io without direct I/O', () => {
  it('refuses direct: true with ERR_UNSUPPORTED and creates nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'faultline-scratch-'));
    const io = new FsIo({ root, direct: false });
    try {
      expect(io.features.direct).to.equal(false);
      expect(await rejectionCode(openScratch(io, { capacityBytes: 4096, direct: true }))).to.equal('ERR_UNSUPPORTED');
      expect(await rejectionCode(openScratch(io, { capacityBytes: 4096, direct: true, path: 'x.bin' }))).to.equal('ERR_UNSUPPORTED');
      expect(await io.readdir('.')).to.deep.equal([]);
      // The default on such an Io is buffered I/O.
      const region = await openScratch(io, { capacityBytes: 4096 });
      expect(region.direct).to.equal(false);
      await region.close();
    } finally {
      await io.shutdown();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
