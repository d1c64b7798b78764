/** The Io conformance suite on FsIo over node:fs, one fresh temporary directory per test. */
import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsIo, mapFsError } from '../../src/backends/fs/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import { defineIoConformance, expectCode, type BackendInstance } from '../conformance/index.js';

async function createFsBackend(): Promise<BackendInstance> {
  const base = await mkdtemp(join(tmpdir(), 'faultline-fs-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'outside.txt'), 'secret');
  const io = new FsIo({ root });
  return {
    io,
    outsideDirectory: outside,
    makeSymlink: (target, linkPath) => symlink(target, join(root, linkPath)),
    dispose: async () => {
      await io.shutdown();
      await rm(base, { recursive: true, force: true });
    },
  };
}

defineIoConformance('fs', createFsBackend, {
  direct: false,
  tmpfile: false,
  symlinks: process.platform !== 'win32',
  directoryFsync: process.platform !== 'win32',
  modelRuns: Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 200),
  reasons: {
    direct: 'FsIo has no O_DIRECT yet (node:fs cannot allocate aligned buffers)',
    tmpfile: 'FsIo has no O_TMPFILE (node:fs cannot open unnamed files)',
    symlinks: 'symlinks need privileges on Windows',
    directoryFsync: 'Windows cannot open directories as files',
  },
});

describe('FsIo specifics (node:fs)', function () {
  let base: string;
  beforeEach(async function () {
    base = await mkdtemp(join(tmpdir(), 'faultline-fs-'));
  });
  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  it('the constructor refuses a missing root (ENOENT), a file (ENOTDIR) and a bad root argument', async function () {
    await writeFile(join(base, 'file'), 'x');
    for (const [root, code] of [[join(base, 'nope'), 'ENOENT'], [join(base, 'file'), 'ENOTDIR'], ['', 'ERR_INVALID_ARGUMENT']] as const) {
      let caught: unknown;
      try {
        new FsIo({ root });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(StorageError);
      expect((caught as StorageError).code).to.equal(code);
    }
  });

  it('reports its features: backend fs, no direct, no tmpfile', async function () {
    const io = new FsIo({ root: base });
    expect(io.features).to.deep.include({ backend: 'fs', direct: false, tmpfile: false });
    await io.shutdown();
  });

  it('fdCountMax bounds the open fds with EMFILE; closing frees a slot', async function () {
    const io = new FsIo({ root: base, fdCountMax: 3 });
    const fds = [];
    for (let i = 0; i < 3; i++) fds.push(await io.open(`f${i}`, { write: true, create: true }));
    await expectCode(() => io.open('f3', { write: true, create: true }), 'EMFILE');
    await io.close(fds[0]!);
    const again = await io.open('f3', { write: true, create: true });
    expect(again, 'the lowest free number is reused').to.equal(fds[0]);
    await io.shutdown();
  });

  it('inFlightCountMax bounds concurrent operations with ERR_LIMIT_EXCEEDED', async function () {
    const io = new FsIo({ root: base, inFlightCountMax: 4 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => io.stat('.')));
    expect(results.filter((r) => r.status === 'fulfilled').length).to.equal(4);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect(((r as PromiseRejectedResult).reason as StorageError).code).to.equal('ERR_LIMIT_EXCEEDED');
    }
    expect((await io.stat('.')).isDirectory).to.equal(true);
    await io.shutdown();
  });

  it('shutdown closes the operating-system descriptors', async function () {
    if (process.platform !== 'linux') {
      console.log('      (skipped: counting open descriptors uses /proc/self/fd, Linux only)');
      this.skip();
    }
    const count = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
    const io = new FsIo({ root: base });
    const before = await count();
    for (let i = 0; i < 10; i++) await io.open(`f${i}`, { write: true, create: true });
    expect(await count()).to.equal(before + 10);
    await io.shutdown();
    expect(await count()).to.equal(before);
  });

  it('mapFsError keeps table errnos, translates aliases, turns unknown errnos into EIO and non-errnos into ERR_INTERNAL', function () {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ code: 'ENOSPC', errno: -28 }, 'ENOSPC'],
      [{ code: 'EWOULDBLOCK' }, 'EAGAIN'],
      [{ code: 'ENOTSUP' }, 'EOPNOTSUPP'],
      [{ code: 'ESTALE' }, 'EIO'],
      [{ code: 'ERR_INVALID_ARG_TYPE' }, 'ERR_INTERNAL'],
      [new TypeError('boom'), 'ERR_INTERNAL'],
      [null, 'ERR_INTERNAL'],
    ];
    for (const [raw, code] of cases) {
      const err = mapFsError(raw, 'read', { path: 'f' });
      expect(err.code).to.equal(code);
      expect(err.details.operation).to.equal('read');
      expect(err.details.path).to.equal('f');
    }
    expect(mapFsError({ code: 'ENOSPC', errno: -28 }, 'write').details.errno).to.equal(28);
    expect(mapFsError({ code: 'ESTALE' }, 'write').details['osCode']).to.equal('ESTALE');
  });
});

import { defineStorageConformance } from '../conformance/index.js';
defineStorageConformance('fs', createFsBackend, { direct: false, tmpfile: false, symlinks: false, directoryFsync: process.platform !== 'win32', modelRuns: Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 200) });
