import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UringIo } from '../../src/backends/iouring/index.js';
import { describeScratchRegion } from './region-suite.js';
import { listOrEmpty, probeDirect, rejectionCode } from './support.js';
import { openScratch } from '../../src/scratch/open.js';
import { SCRATCH_DIRECTORY_DEFAULT } from '../../src/scratch/scratch-file.js';

// io_uring may be unavailable (seccomp, sysctl, old kernel). CI sets FAULTLINE_REQUIRE_IOURING=1,
// where these tests must fail rather than skip.
const support = UringIo.isSupported();
const required = process.env['FAULTLINE_REQUIRE_IOURING'] === '1';

if (!support.supported && !required) {
  describe('scratch region on UringIo', () => {
    it('needs io_uring', function () {
      console.log(`      (skipped: io_uring is unavailable: ${support.reason ?? 'unknown reason'})`);
      this.skip();
    });
  });
} else {
  // With FAULTLINE_REQUIRE_IOURING=1 and no io_uring, the factory's constructor throws: the tests fail.
  let warned = false;
  const factory = async () => {
    // The OS temp directory: O_DIRECT needs a disk file system (tmpfs refuses it, and the
    // default-direct variant would then fall back to buffered I/O and fail its expectation).
    const root = mkdtempSync(join(tmpdir(), 'faultline-scratch-uring-'));
    const io = new UringIo({ root });
    const directWorks = await probeDirect(io);
    if (!directWorks && !warned) {
      warned = true;
      console.log('      (note: the temp directory refuses O_DIRECT; direct variants run buffered)');
    }
    return {
      io,
      directWorks,
      async dispose() {
        await io.shutdown();
        rmSync(root, { recursive: true, force: true });
      },
    };
  };
  describeScratchRegion('UringIo (direct by default)', factory, { expectDirect: true });
  describeScratchRegion('UringIo (direct: false)', factory, { direct: false, expectDirect: false });
}

describe('scratch region on UringIo over tmpfs (no O_DIRECT)', () => {
  const shm = '/dev/shm';
  let root: string | undefined;
  let io: UringIo | undefined;

  before(function () {
    if (!support.supported) {
      if (required) throw new Error(`io_uring is required but unavailable: ${support.reason ?? 'unknown reason'}`);
      console.log(`      (skipped: io_uring is unavailable: ${support.reason ?? 'unknown reason'})`);
      this.skip();
    }
    try {
      root = mkdtempSync(join(shm, 'faultline-scratch-'));
    } catch {
      console.log('      (skipped: no writable tmpfs to try)');
      this.skip();
    }
  });

  after(async () => {
    await io?.shutdown();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('falls back to buffered I/O by default, and refuses an explicit direct: true', async function () {
    io = new UringIo({ root: root! });
    if (await probeDirect(io)) {
      console.log('      (skipped: this tmpfs accepts O_DIRECT)');
      this.skip();
    }
    const region = await openScratch(io, { capacityBytes: 64 * 1024 });
    expect(region.direct).to.equal(false);
    const slot = await region.write(new Uint8Array([1, 2, 3]));
    expect([...await region.read(slot)]).to.deep.equal([1, 2, 3]);
    await region.close();
    expect(await rejectionCode(openScratch(io, { capacityBytes: 64 * 1024, direct: true }))).to.equal('EINVAL');
    expect(await listOrEmpty(io, SCRATCH_DIRECTORY_DEFAULT)).to.deep.equal([]);
  });
});
