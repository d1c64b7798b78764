/**
 * The NamespaceIo contract on SimIo (what node.fs stands on): links, symbolic links, attributes,
 * and the synchronous twin; bad input is a StorageError with a stable code and changes nothing.
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import { StorageError } from '../../src/interfaces/errors.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(StorageError);
    return (err as StorageError).code;
  }
  return undefined;
}

describe('NamespaceIo on SimIo', function () {
  it('link, symlink, readlink, statFull with and without following', async function () {
    const io = new Simulation({ seed: 'ns' }).node('n').io;
    const fd = await io.open('f', { write: true, create: true }, 0o600);
    await io.write(fd, new Uint8Array([1, 2, 3]), 0);
    await io.link('f', 'g');
    await io.symlink('f', 's');
    expect(await io.readlink('s')).to.equal('f');
    const viaLink = await io.statFull('s');
    const link = await io.statFull('s', { follow: false });
    expect(viaLink).to.include({ isFile: true, sizeBytes: 3, nlink: 2, mode: 0o100600 });
    expect(link).to.include({ isSymbolicLink: true, isFile: false, sizeBytes: 1, mode: 0o120777 });
    expect((await io.statFull(fd)).ino).to.equal(viaLink.ino);
    expect(await codeOf(io.link('f', 'g'))).to.equal('EEXIST');
    expect(await codeOf(io.link('missing', 'h'))).to.equal('ENOENT');
    await io.mkdir('d');
    expect(await codeOf(io.link('d', 'd2'))).to.equal('EPERM');
    expect(await codeOf(io.readlink('f'))).to.equal('EINVAL');
    expect(await codeOf(io.symlink('x', 'f'))).to.equal('EEXIST');
    expect(await codeOf(io.symlink('', 'empty'))).to.equal('ENOENT');
    await io.symlink('b', 'a');
    await io.symlink('a', 'b');
    expect(await codeOf(io.stat('a'))).to.equal('ELOOP');
    expect(await codeOf(io.open('a/x'))).to.equal('ELOOP');
    // The Io contract (RESOLVE_BENEATH): an absolute target, or `..` above the root, escapes.
    await io.symlink('/d', 'abs');
    expect(await codeOf(io.stat('abs'))).to.equal('ERR_PATH_ESCAPE');
    await io.symlink('../..', 'd/up');
    expect(await codeOf(io.readdir('d/up'))).to.equal('ERR_PATH_ESCAPE');
    await io.setAttributes('s', { mode: 0o640, uid: 5, gid: -1, atimeMs: 10, mtimeMs: 20 });
    expect(await io.statFull('f')).to.include({ mode: 0o100640, uid: 5, gid: 0, atimeMs: 10, mtimeMs: 20 });
    await io.close(fd);
  });

  it('bad input is ERR_INVALID_ARGUMENT (or ENAMETOOLONG) and changes nothing', async function () {
    const io = new Simulation({ seed: 'ns-bad' }).node('n').io;
    await io.close(await io.open('f', { write: true, create: true }));
    const before = await io.statFull('f');
    expect(await codeOf(io.statFull('f', { follow: 1 } as never))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.statFull('f', { nofollow: true } as never))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.setAttributes('f', { mode: 0o10000 }))).to.equal('ERR_LIMIT_EXCEEDED');
    expect(await codeOf(io.setAttributes('f', { mode: -1 }))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.setAttributes('f', { owner: 1 } as never))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.setAttributes('f', { mtimeMs: Number.NaN }))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.setAttributes('f', null as never))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.symlink(5 as never, 'l'))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.symlink('a\u0000b', 'l'))).to.equal('ERR_INVALID_ARGUMENT');
    expect(await codeOf(io.symlink('x'.repeat(5000), 'l'))).to.equal('ENAMETOOLONG');
    expect(await codeOf(io.link('f', '/abs'))).to.equal('ERR_PATH_ESCAPE');
    expect(await codeOf(io.open('g', { write: true, create: true }, 0o10000))).to.equal('ERR_LIMIT_EXCEEDED');
    expect(await io.readdir('.')).to.deep.equal(['f']);
    expect(await io.statFull('f')).to.deep.equal(before);
  });

  it('the synchronous twin shares fds with the asynchronous Io and refuses re-entry cleanly', async function () {
    const io = new Simulation({ seed: 'ns-sync' }).node('n').io;
    const fd = io.sync.open('f', { read: true, write: true, create: true });
    expect(io.sync.write(fd, new Uint8Array([7, 8]), 0)).to.equal(2);
    const buffer = new Uint8Array(2);
    expect(await io.read(fd, buffer, 0)).to.equal(2);
    expect([...buffer]).to.deep.equal([7, 8]);
    expect(() => io.sync.read(fd, 'x' as never, 0)).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
    expect(() => io.sync.read(99, buffer, 0)).to.throw(StorageError).with.property('code', 'EBADF');
    // After a refused call the twin still works (its state was reset).
    expect(io.sync.read(fd, buffer, 1)).to.equal(1);
    io.sync.close(fd);
    await io.shutdown();
    expect(() => io.sync.stat('f')).to.throw(StorageError).with.property('code', 'ERR_CLOSED');
  });
});

describe('symbolic links: the Io contract and node.fs on the same disk', function () {
  it('an absolute link is ERR_PATH_ESCAPE through node.io, and resolves from / through node.fs, as Linux does', async function () {
    const sim = new Simulation({ seed: 'abs-links' });
    const node = sim.node('n');
    const fs = node.fs;
    fs.mkdirSync('/d');
    fs.writeFileSync('/d/f', 'inside');
    fs.symlinkSync('/d', '/abs');
    fs.symlinkSync('../../..', '/d/up');
    expect(fs.readFileSync('/abs/f', 'utf8')).to.equal('inside');
    expect(fs.statSync('/abs').isDirectory()).to.equal(true);
    // `/..` is `/` for node.fs: d/up leads to the root.
    expect(fs.readdirSync('/d/up').sort()).to.deep.equal(['abs', 'd']);
    expect(await fs.promises.readFile('/abs/f', 'utf8')).to.equal('inside');
    expect(await codeOf(node.io.stat('abs'))).to.equal('ERR_PATH_ESCAPE');
    expect(await codeOf(node.io.open('abs/f'))).to.equal('ERR_PATH_ESCAPE');
    expect(await codeOf(node.io.readdir('d/up'))).to.equal('ERR_PATH_ESCAPE');
    // A node.fs call in flight does not change how a concurrent Io call resolves.
    const both = await Promise.allSettled([fs.promises.stat('/abs/f'), node.io.stat('abs/f')]);
    expect(both[0].status).to.equal('fulfilled');
    expect(both[1].status === 'rejected' && (both[1].reason as { code?: string }).code).to.equal('ERR_PATH_ESCAPE');
  });
});
