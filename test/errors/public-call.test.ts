/**
 * Errors name what the user called and the path it was about (the code and `details` are the
 * stable part; these check the message, which is what a person reads first).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openIo, type IoBackendName } from '../../src/backends/open-io.js';
import { UringIo } from '../../src/backends/iouring/index.js';
import { Simulation } from '../../src/backends/sim/index.js';
import { isStorageError, type StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import { createStorage } from '../../src/storage/index.js';
import { requireUring, uringSupport } from '../native/support.js';

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (err) {
    if (isStorageError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('errors name the public call and the path', function () {
  let base: string;
  before(async function () {
    base = await mkdtemp(join(tmpdir(), 'faultline-errors-'));
  });
  after(async function () {
    await rm(base, { recursive: true, force: true });
  });

  for (const backend of ['auto', 'iouring', 'fs'] as const satisfies readonly IoBackendName[]) {
    it(`openIo({ backend: '${backend}' }) on a missing root: ENOENT naming openIo and the root`, async function () {
      const root = join(base, 'nope');
      const err = await rejection(openIo({ backend, root }));
      expect(err.code).to.equal('ENOENT');
      expect(err.message).to.equal(`openIo({ root: '${root}' }): the root directory cannot be used: no such file or directory; create it first`);
      expect(err.details).to.deep.include({ operation: 'openIo', root, errno: 2 });
    });
  }

  it('openIo on a file: ENOTDIR naming openIo and the root', async function () {
    const file = join(base, 'file');
    await writeFile(file, 'x');
    const err = await rejection(openIo({ root: file }));
    expect(err.code).to.equal('ENOTDIR');
    expect(err.message).to.equal(`openIo({ root: '${file}' }): the root is not a directory`);
  });

  it('new UringIo on a missing root names the constructor and the root', function () {
    if (!uringSupport.supported && !requireUring) this.skip();
    const root = join(base, 'nope');
    let err: unknown;
    try {
      new UringIo({ root });
    } catch (caught) {
      err = caught;
    }
    expect(isStorageError(err, 'ENOENT')).to.equal(true);
    expect((err as StorageError).message).to.equal(`new UringIo({ root: '${root}' }): cannot open the root directory: no such file or directory`);
  });

  const ios: Record<string, () => Promise<Io>> = {
    fs: () => openIo({ backend: 'fs', root: base }),
    sim: async () => new Simulation({ seed: 1 }).node('n').io,
  };
  if (uringSupport.supported) ios['iouring'] = () => openIo({ backend: 'iouring', root: base });

  for (const [name, make] of Object.entries(ios)) {
    it(`${name}: storage.scan('missing') and storage.open after io.shutdown() name the call, its arguments and the Io operation`, async function () {
      const io = await make();
      const storage = createStorage(io);
      const missing = await rejection(storage.scan('missing'));
      expect(missing.code).to.equal('ENOENT');
      expect(missing.message).to.equal("storage.scan('missing'): no such file or directory (io.readdir 'missing')");
      expect(missing.details).to.deep.include({ operation: 'readdir', path: 'missing' });
      const bytes = await rejection(storage.scanBytes('missing'));
      expect(bytes.message).to.match(/^storage\.scanBytes\('missing'\): /);
      await io.shutdown();
      const closed = await rejection(storage.open('wal', 'segment-0'));
      expect(closed.code).to.equal('ERR_CLOSED');
      expect(closed.message).to.match(/^storage\.open\('wal', 'segment-0'\): the Io (was|is) shut down \(io\.mkdir\)$/);
      const removed = await rejection(storage.remove('wal', new Uint8Array([0xab, 0xcd])));
      expect(removed.message).to.match(/^storage\.remove\('wal', 0xabcd\): /);
    });
  }

  it('argument errors keep their own message (already naming the call), and codes are unchanged', async function () {
    const io = await openIo({ backend: 'fs', root: base });
    const err = await rejection(createStorage(io).open('bad/partition', 'x'));
    expect(err.code).to.equal('ERR_INVALID_ARGUMENT');
    expect(err.message).to.match(/^storage\.open/);
    await io.shutdown();
  });
});
