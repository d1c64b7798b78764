/**
 * The Io and Storage conformance suites on FsIo over node:fs (buffered, and Storage in O_DIRECT
 * mode where available), one fresh temporary directory per test, and FsIo's own behaviour:
 * limits, error mapping, O_DIRECT and O_TMPFILE as the kernel sees them.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Volume } from 'memfs';
import { FsIo, fsIoCapabilities, mapFsError, type FsIoOptions, type FsLike } from '../../src/backends/fs/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import { loadBinding, nativeAlignedAllocator, packageRoot } from '../../src/native/binding.js';
import { defineIoConformance, defineStorageConformance, expectCode, type BackendInstance } from '../conformance/index.js';
import { requireUring } from '../native/support.js';

const capabilities = fsIoCapabilities();
const ALIGN_BYTES = 4096;

/** Whether `dir` enforces O_DIRECT the way a block-device filesystem does, or why not. */
function probeDirect(dir: string): string | undefined {
  const allocate = nativeAlignedAllocator();
  const oDirect = (fs.constants as { O_DIRECT?: number }).O_DIRECT;
  if (allocate === undefined || oDirect === undefined) return 'no O_DIRECT or no aligned allocator on this platform';
  let probeDir: string | undefined;
  try {
    probeDir = fs.mkdtempSync(join(dir, 'faultline-direct-probe-'));
    const fd = fs.openSync(join(probeDir, 'probe'), fs.constants.O_RDWR | fs.constants.O_CREAT | oDirect, 0o644);
    try {
      fs.writeSync(fd, allocate(ALIGN_BYTES), 0, ALIGN_BYTES, 0);
      try {
        fs.writeSync(fd, new Uint8Array(1), 0, 1, 0);
        return 'it accepts misaligned O_DIRECT writes';
      } catch (err) {
        if ((err as { code?: string }).code !== 'EINVAL') throw err;
      }
    } finally {
      fs.closeSync(fd);
    }
    return undefined;
  } catch (err) {
    return `O_DIRECT fails there (${(err as { code?: string }).code ?? String(err)})`;
  } finally {
    if (probeDir !== undefined) fs.rmSync(probeDir, { recursive: true, force: true });
  }
}

/**
 * Where the tests make their temporary roots. O_DIRECT needs a filesystem that honours it: tmpfs
 * refused O_DIRECT opens (EINVAL) before Linux 6.6 and since then accepts them without enforcing
 * alignment, so the conformance suite's EINVAL checks cannot pass there. `os.tmpdir()` is used
 * when a probe shows it enforces alignment; otherwise `.bench-tmp/` in the package (gitignored),
 * which lives on the disk holding the checkout. When neither works (or direct I/O is unavailable
 * on this platform) direct I/O is turned off for the suites and the reason printed.
 */
function chooseTempBase(): { readonly dir: string; readonly direct: boolean; readonly reason?: string } {
  if (!capabilities.direct.supported) return { dir: tmpdir(), direct: false, reason: capabilities.direct.reason ?? 'unavailable' };
  const tmpReason = probeDirect(tmpdir());
  if (tmpReason === undefined) return { dir: tmpdir(), direct: true };
  const pkg = packageRoot();
  if (pkg !== undefined) {
    const local = join(pkg, '.bench-tmp');
    try {
      fs.mkdirSync(local, { recursive: true });
      if (probeDirect(local) === undefined) {
        console.log(`  [fs] the system temporary directory cannot be used for O_DIRECT tests (${tmpReason}); using .bench-tmp/ in the package`);
        return { dir: local, direct: true };
      }
    } catch {
      // Unwritable checkout: fall through to the buffered-only verdict.
    }
  }
  return { dir: tmpdir(), direct: false, reason: `the temporary directory cannot do O_DIRECT: ${tmpReason}` };
}

const tempBase = chooseTempBase();
if (!tempBase.direct) console.log(`  [fs] O_DIRECT tests skipped: ${tempBase.reason ?? 'unavailable'}`);
if (!capabilities.tmpfile.supported) console.log(`  [fs] O_TMPFILE tests skipped: ${capabilities.tmpfile.reason ?? 'unavailable'}`);

function makeTempDir(): Promise<string> {
  return mkdtemp(join(tempBase.dir, 'faultline-fs-'));
}

async function createFsBackend(options: Omit<FsIoOptions, 'root'> = {}): Promise<BackendInstance> {
  const base = await makeTempDir();
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'outside.txt'), 'secret');
  const io = new FsIo({ ...(tempBase.direct ? {} : { direct: false }), ...options, root });
  return {
    io,
    outsideDirectory: outside,
    rootDirectory: root,
    makeSymlink: (target, linkPath) => symlink(target, join(root, linkPath)),
    dispose: async () => {
      await io.shutdown();
      await rm(base, { recursive: true, force: true });
    },
  };
}

const fsSupports = {
  direct: tempBase.direct,
  tmpfile: capabilities.tmpfile.supported,
  symlinks: process.platform !== 'win32',
  directoryFsync: process.platform !== 'win32',
  modelRuns: Number(process.env['FAULTLINE_MODEL_RUNS'] ?? 200),
  reasons: {
    direct: `FsIo O_DIRECT unavailable: ${tempBase.reason ?? 'unavailable'}`,
    tmpfile: `FsIo O_TMPFILE unavailable: ${capabilities.tmpfile.reason ?? 'unavailable'}`,
    symlinks: 'symlinks need privileges on Windows',
    directoryFsync: 'Windows cannot open directories as files',
  },
};

defineIoConformance('fs', () => createFsBackend(), fsSupports);
// The JS walk is what FsIo uses without the addon (and on custom modules): the same contract.
defineIoConformance('fs (walk resolution)', () => createFsBackend({ kernelResolution: false }),
  { ...fsSupports, modelRuns: Math.max(10, Math.floor(fsSupports.modelRuns / 4)) });

describe('FsIo specifics (node:fs)', function () {
  let base: string;
  beforeEach(async function () {
    base = await makeTempDir();
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

  it('reports its features: backend fs; direct and tmpfile on Linux (direct needs the addon)', async function () {
    const io = new FsIo({ root: base });
    const linux = process.platform === 'linux';
    expect(io.features).to.deep.include({ backend: 'fs', direct: linux && nativeAlignedAllocator() !== undefined, directAlignmentBytes: ALIGN_BYTES });
    if (linux && ['x64', 'arm64'].includes(process.arch)) expect(io.features.tmpfile).to.equal(true);
    if (!linux) expect(io.features.tmpfile).to.equal(false);
    expect(io.features.direct).to.equal(capabilities.direct.supported);
    expect(io.features.tmpfile).to.equal(capabilities.tmpfile.supported);
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
    // Counted before the Io exists: it holds a descriptor of its root, which shutdown closes too.
    const before = await count();
    const io = new FsIo({ root: base });
    const constructed = await count();
    for (let i = 0; i < 10; i++) await io.open(`f${i}`, { write: true, create: true });
    expect(await count()).to.equal(constructed + 10);
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

/** Open-flag bits from the kernel's view of the fd opened on `absolutePath` (an O_TMPFILE's is `dir/#ino (deleted)`). */
async function kernelOpenFlags(absolutePath: string, tmpfileIn = false): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc/self/fd')) {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the directory's own fd, closed by now
    }
    const matches = tmpfileIn ? link.startsWith(`${absolutePath}/#`) && link.endsWith(' (deleted)') : link === absolutePath;
    if (!matches) continue;
    const info = fs.readFileSync(`/proc/self/fdinfo/${name}`, 'utf8');
    const flags = /^flags:\s+([0-7]+)$/m.exec(info);
    if (flags?.[1] !== undefined) found.push(parseInt(flags[1], 8));
  }
  return found;
}

function fill(buffer: Uint8Array, seed: number): Uint8Array {
  for (let i = 0; i < buffer.byteLength; i++) buffer[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return buffer;
}

async function readAll(io: Io, fd: number, lengthBytes: number): Promise<Uint8Array> {
  const out = io.allocAligned(lengthBytes);
  let doneBytes = 0;
  while (doneBytes < lengthBytes) {
    const n = await io.read(fd, out.subarray(doneBytes), doneBytes);
    if (n === 0) break;
    doneBytes += n;
  }
  return out.subarray(0, doneBytes);
}

describe('FsIo O_DIRECT and O_TMPFILE (node:fs)', function () {
  let base: string;
  let root: string;
  let io: FsIo;
  beforeEach(async function () {
    base = await makeTempDir();
    await mkdir(join(base, 'root'));
    root = fs.realpathSync(join(base, 'root'));
    io = new FsIo({ ...(tempBase.direct ? {} : { direct: false }), root });
  });
  afterEach(async function () {
    await io.shutdown();
    await rm(base, { recursive: true, force: true });
  });

  function needDirect(ctx: Mocha.Context): void {
    if (!tempBase.direct) {
      console.log(`      (skipped: ${fsSupports.reasons.direct})`);
      ctx.skip();
    }
  }
  function needTmpfile(ctx: Mocha.Context): void {
    if (!capabilities.tmpfile.supported) {
      console.log(`      (skipped: ${fsSupports.reasons.tmpfile})`);
      ctx.skip();
    }
  }

  it('direct: false and tmpfile: false turn them off: opens are ERR_UNSUPPORTED with the reason', async function () {
    const off = new FsIo({ root, direct: false, tmpfile: false });
    expect(off.features).to.deep.include({ direct: false, tmpfile: false });
    const direct = await expectCode(() => off.open('f', { write: true, create: true, direct: true }), 'ERR_UNSUPPORTED');
    expect(direct.details['reason']).to.be.a('string').and.match(/direct: false/);
    const tmp = await expectCode(() => off.open('.', { write: true, tmpfile: true }), 'ERR_UNSUPPORTED');
    expect(tmp.details['reason']).to.be.a('string').and.match(/tmpfile: false/);
    expect(await readdir(root), 'nothing was created').to.deep.equal([]);
    const buffer = off.allocAligned(100);
    expect(buffer.byteLength).to.equal(100);
    expect(buffer.every((b) => b === 0)).to.equal(true);
    await off.shutdown();
  });

  it('a custom fs module offers neither (reasons given); demanding one throws ERR_UNSUPPORTED; bad option types ERR_INVALID_ARGUMENT', async function () {
    const volume = new Volume();
    volume.mkdirSync('/r');
    const custom = new FsIo({ root: '/r', fs: volume as unknown as FsLike });
    expect(custom.features).to.deep.include({ direct: false, tmpfile: false });
    const err = await expectCode(() => custom.open('f', { write: true, create: true, direct: true }), 'ERR_UNSUPPORTED');
    expect(err.details['reason']).to.match(/custom fs module/);
    await expectCode(() => custom.open('.', { write: true, tmpfile: true }), 'ERR_UNSUPPORTED');
    await custom.shutdown();
    expect(fsIoCapabilities(true).direct).to.deep.include({ supported: false });
    expect(fsIoCapabilities(true).tmpfile.reason).to.be.a('string');
    for (const name of ['direct', 'tmpfile'] as const) {
      let caught: unknown;
      try {
        new FsIo({ root: '/r', fs: volume as unknown as FsLike, [name]: true });
      } catch (e) {
        caught = e;
      }
      expect(caught, name).to.be.instanceOf(StorageError);
      expect((caught as StorageError).code).to.equal('ERR_UNSUPPORTED');
      expect((caught as StorageError).details['reason']).to.be.a('string');
      caught = undefined;
      try {
        new FsIo({ root, [name]: 'yes' } as unknown as FsIoOptions);
      } catch (e) {
        caught = e;
      }
      expect((caught as StorageError).code, name).to.equal('ERR_INVALID_ARGUMENT');
    }
  });

  it('direct: true where available constructs; allocAligned gives zeroed buffers usable for O_DIRECT at any 4096 boundary', async function () {
    needDirect(this);
    const demanded = new FsIo({ root, direct: true });
    expect(demanded.features.direct).to.equal(true);
    await demanded.shutdown();
    for (const lengthBytes of [0, 1, ALIGN_BYTES, 3 * ALIGN_BYTES + 5]) {
      const b = io.allocAligned(lengthBytes);
      expect(b.byteLength).to.equal(lengthBytes);
      expect(b.every((x) => x === 0)).to.equal(true);
    }
    // The kernel is the judge of alignment: writes from the buffer and its 4096-offset views succeed.
    const fd = await io.open('f', { read: true, write: true, create: true, direct: true });
    const big = fill(io.allocAligned(4 * ALIGN_BYTES), 1);
    expect(await io.write(fd, big, 0)).to.equal(4 * ALIGN_BYTES);
    expect(await io.write(fd, big.subarray(ALIGN_BYTES, 3 * ALIGN_BYTES), 8 * ALIGN_BYTES)).to.equal(2 * ALIGN_BYTES);
    expect((await io.stat(fd)).sizeBytes).to.equal(10 * ALIGN_BYTES);
    expect(await readAll(io, fd, 10 * ALIGN_BYTES)).to.deep.equal(
      Buffer.concat([big, new Uint8Array(4 * ALIGN_BYTES), big.subarray(ALIGN_BYTES, 3 * ALIGN_BYTES)]),
    );
    await io.close(fd);
    expect(() => io.allocAligned(-1)).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
    expect(() => io.allocAligned(1.5)).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
  });

  it('a direct open passes O_DIRECT to the kernel; a buffered one does not', async function () {
    needDirect(this);
    const oDirect = (fs.constants as { O_DIRECT?: number }).O_DIRECT ?? 0;
    const fd = await io.open('d', { read: true, write: true, create: true, direct: true });
    const flagsDirect = await kernelOpenFlags(join(root, 'd'));
    expect(flagsDirect).to.have.length(1);
    expect(flagsDirect[0]! & oDirect).to.equal(oDirect);
    const fb = await io.open('b', { read: true, write: true, create: true });
    const flagsBuffered = await kernelOpenFlags(join(root, 'b'));
    expect(flagsBuffered).to.have.length(1);
    expect(flagsBuffered[0]! & oDirect).to.equal(0);
    await io.close(fd);
    await io.close(fb);
  });

  it('direct: the kernel rejects a misaligned buffer address, length or offset with EINVAL and changes nothing', async function () {
    needDirect(this);
    const fd = await io.open('f', { read: true, write: true, create: true, direct: true });
    const good = fill(io.allocAligned(2 * ALIGN_BYTES), 2);
    expect(await io.write(fd, good, 0)).to.equal(2 * ALIGN_BYTES);
    const spare = fill(io.allocAligned(3 * ALIGN_BYTES), 3);
    await expectCode(() => io.write(fd, spare.subarray(1, 1 + ALIGN_BYTES), 0), 'EINVAL');
    await expectCode(() => io.write(fd, spare.subarray(0, ALIGN_BYTES + 1), 0), 'EINVAL');
    await expectCode(() => io.write(fd, spare.subarray(0, ALIGN_BYTES), 3), 'EINVAL');
    await expectCode(() => io.read(fd, spare.subarray(1, 1 + ALIGN_BYTES), 0), 'EINVAL');
    await expectCode(() => io.read(fd, spare.subarray(0, 100), 0), 'EINVAL');
    // A JS-heap buffer: its address is whatever V8 chose; a one-byte view of it is misaligned in length for sure.
    await expectCode(() => io.write(fd, new Uint8Array(ALIGN_BYTES + 1), 0), 'EINVAL');
    await expectCode(() => io.writev(fd, [spare.subarray(0, ALIGN_BYTES), spare.subarray(ALIGN_BYTES + 1, 2 * ALIGN_BYTES + 1)], 0), 'EINVAL');
    expect((await io.stat(fd)).sizeBytes).to.equal(2 * ALIGN_BYTES);
    expect(await readAll(io, fd, 2 * ALIGN_BYTES)).to.deep.equal(good);
    const m = io.metrics;
    expect(m.errors.write).to.be.at.least(5);
    await io.close(fd);
  });

  it('direct: vectored transfers, a short read at an unaligned end of file, truncate, allocate and fsync', async function () {
    needDirect(this);
    await writeFile(join(root, 'f'), fill(new Uint8Array(5000), 4));
    const fd = await io.open('f', { read: true, write: true, direct: true });
    const back = io.allocAligned(2 * ALIGN_BYTES);
    expect(await io.read(fd, back, 0), 'short read at the unaligned end').to.equal(5000);
    expect(back.subarray(0, 5000)).to.deep.equal(fill(new Uint8Array(5000), 4));
    expect(await io.read(fd, back, 2 * ALIGN_BYTES), 'past the end').to.equal(0);
    const parts = [fill(io.allocAligned(ALIGN_BYTES), 5), fill(io.allocAligned(2 * ALIGN_BYTES), 6)];
    expect(await io.writev(fd, parts, ALIGN_BYTES)).to.equal(3 * ALIGN_BYTES);
    const into = [io.allocAligned(2 * ALIGN_BYTES), io.allocAligned(2 * ALIGN_BYTES)];
    expect(await io.readv(fd, into, 0)).to.equal(4 * ALIGN_BYTES);
    expect(Buffer.concat(into)).to.deep.equal(Buffer.concat([fill(new Uint8Array(5000), 4).subarray(0, ALIGN_BYTES), ...parts]));
    await io.fsync(fd);
    await io.fsync(fd, { dataOnly: true });
    await io.truncate(fd, 4097);
    expect((await io.stat(fd)).sizeBytes).to.equal(4097);
    await io.allocate(fd, 0, 3 * ALIGN_BYTES);
    expect((await io.stat('f')).sizeBytes).to.equal(3 * ALIGN_BYTES);
    await io.close(fd);
    expect(fs.readFileSync(join(root, 'f')).subarray(0, 4097)).to.deep.equal(Buffer.concat(into).subarray(0, 4097));
  });

  it('tmpfile: the fd reads, writes, fsyncs, truncates, allocates and stats; the directory stays empty', async function () {
    needTmpfile(this);
    const fd = await io.open('.', { read: true, write: true, tmpfile: true });
    const data = fill(new Uint8Array(10_000), 7);
    expect(await io.write(fd, data, 0)).to.equal(data.byteLength);
    expect(await readAll(io, fd, 20_000)).to.deep.equal(data);
    await io.fsync(fd);
    await io.fsync(fd, { dataOnly: true });
    expect(await io.stat(fd)).to.deep.equal({ sizeBytes: 10_000, isFile: true, isDirectory: false });
    await io.truncate(fd, 100);
    expect((await io.stat(fd)).sizeBytes).to.equal(100);
    await io.allocate(fd, 1000, 500);
    expect((await io.stat(fd)).sizeBytes).to.equal(1500);
    expect(await readAll(io, fd, 2000)).to.deep.equal(Buffer.concat([data.subarray(0, 100), new Uint8Array(1400)]));
    expect(await io.readdir('.')).to.deep.equal([]);
    expect(fs.readdirSync(root), 'no name on disk either').to.deep.equal([]);
    if (process.platform === 'linux') {
      const flags = await kernelOpenFlags(root, true);
      expect(flags, 'the kernel shows one unnamed file in the root').to.have.length(1);
    }
    await io.close(fd);
    expect(fs.readdirSync(root)).to.deep.equal([]);
  });

  it('tmpfile: nested and symlinked directories inside the root work; ENOTDIR, ENOENT, ERR_PATH_ESCAPE as for any path', async function () {
    needTmpfile(this);
    await io.mkdir('a');
    await io.mkdir('a/b');
    const fd = await io.open('a/b', { write: true, tmpfile: true });
    expect(await io.write(fd, new Uint8Array([1, 2, 3]), 0)).to.equal(3);
    await expectCode(() => io.read(fd, new Uint8Array(3), 0), 'EBADF');
    await io.close(fd);
    fs.symlinkSync('a/b', join(root, 'inside'));
    const viaLink = await io.open('inside', { write: true, read: true, tmpfile: true });
    if (process.platform === 'linux') expect(await kernelOpenFlags(join(root, 'a/b'), true)).to.have.length(1);
    await io.close(viaLink);
    fs.writeFileSync(join(root, 'file'), 'x');
    await expectCode(() => io.open('file', { write: true, tmpfile: true }), 'ENOTDIR');
    await expectCode(() => io.open('missing', { write: true, tmpfile: true }), 'ENOENT');
    await expectCode(() => io.open('a/missing', { write: true, tmpfile: true }), 'ENOENT');
    await mkdir(join(base, 'outside'));
    fs.symlinkSync(join(base, 'outside'), join(root, 'out'));
    await expectCode(() => io.open('out', { write: true, tmpfile: true }), 'ERR_PATH_ESCAPE');
    await expectCode(() => io.open('..', { write: true, tmpfile: true }), 'ERR_PATH_ESCAPE');
    await expectCode(() => io.open('.', { read: true, tmpfile: true }), 'ERR_INVALID_ARGUMENT');
    expect(fs.readdirSync(join(base, 'outside'))).to.deep.equal([]);
    expect(fs.readdirSync(join(root, 'a/b'))).to.deep.equal([]);
  });

  it('tmpfile with direct: an unnamed O_DIRECT file', async function () {
    needTmpfile(this);
    needDirect(this);
    const fd = await io.open('.', { read: true, write: true, tmpfile: true, direct: true });
    const flags = await kernelOpenFlags(root, true);
    const oDirect = (fs.constants as { O_DIRECT?: number }).O_DIRECT ?? 0;
    expect(flags).to.have.length(1);
    expect(flags[0]! & oDirect).to.equal(oDirect);
    const data = fill(io.allocAligned(ALIGN_BYTES), 8);
    expect(await io.write(fd, data, ALIGN_BYTES)).to.equal(ALIGN_BYTES);
    await expectCode(() => io.write(fd, data.subarray(0, 10), 0), 'EINVAL');
    expect(await readAll(io, fd, 2 * ALIGN_BYTES)).to.deep.equal(Buffer.concat([new Uint8Array(ALIGN_BYTES), data]));
    await io.close(fd);
  });

  it('tmpfile works with emulateLinux on node:fs too', async function () {
    needTmpfile(this);
    const emulated = new FsIo({ root, emulateLinux: true });
    await emulated.mkdir('d');
    const fd = await emulated.open('d', { write: true, tmpfile: true });
    expect(await emulated.write(fd, new Uint8Array([9]), 0)).to.equal(1);
    expect((await emulated.stat(fd)).sizeBytes).to.equal(1);
    expect(await emulated.readdir('d')).to.deep.equal([]);
    await emulated.shutdown();
  });

  it('shutdown closes direct and tmpfile descriptors', async function () {
    if (process.platform !== 'linux') {
      console.log('      (skipped: counting open descriptors uses /proc/self/fd, Linux only)');
      this.skip();
    }
    needTmpfile(this);
    needDirect(this);
    const count = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
    // Counted before the Io exists: it holds a descriptor of its root, which shutdown closes too.
    const before = await count();
    const own = new FsIo({ root });
    const constructed = await count();
    for (let i = 0; i < 4; i++) await own.open('.', { write: true, tmpfile: true });
    for (let i = 0; i < 4; i++) await own.open(`d${i}`, { write: true, create: true, direct: true });
    expect(await count()).to.equal(constructed + 8);
    await own.shutdown();
    expect(await count()).to.equal(before);
  });
});

defineStorageConformance('fs', () => createFsBackend(), { ...fsSupports, symlinks: false });
if (tempBase.direct) {
  defineStorageConformance('fs', () => createFsBackend(), { ...fsSupports, symlinks: false, storageOptions: { direct: true } });
} else {
  describe('Storage conformance: fs (direct)', function () {
    it(`(skipped: ${fsSupports.reasons.direct})`);
  });
}

/** A compiled sibling script of this file (`.js` under dist, `.ts` under tsx). */
function siblingScript(baseName: string): string {
  const self = fileURLToPath(import.meta.url);
  return join(dirname(self), `${baseName}${self.endsWith('.ts') ? '.ts' : '.js'}`);
}

function runChild(args: readonly string[], timeoutMs = 60_000): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const failure = err as (Error & { code?: number; signal?: string }) | null;
      resolve({ code: failure?.code ?? 0, signal: failure?.signal ?? null, stdout, stderr });
    });
  });
}

describe('FsIo options and the native resolution entry points', function () {
  let base: string;
  beforeEach(async function () {
    base = await makeTempDir();
  });
  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  it('unknown option keys and a non-boolean kernelResolution are ERR_INVALID_ARGUMENT', function () {
    expect(() => new FsIo({ root: base, rooot: 'x' } as unknown as FsIoOptions)).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
    expect(() => new FsIo({ root: base, kernelResolution: 'yes' } as unknown as FsIoOptions)).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
  });

  it('a root with a NUL is ERR_INVALID_ARGUMENT naming root, one past PATH_MAX ENAMETOOLONG (not ERR_INTERNAL, nor the ENOENT of a walk)', function () {
    for (const [root, code] of [[`${base}\0x`, 'ERR_INVALID_ARGUMENT'], [`/${'a/'.repeat(2100)}`, 'ENAMETOOLONG']] as const) {
      for (const options of [{ root }, { root, fs: new Volume() as unknown as FsLike }]) {
        const err = (() => {
          try {
            new FsIo(options);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(err, String(err)).to.be.instanceOf(StorageError);
        expect((err as StorageError).code).to.equal(code);
        expect((err as StorageError).details['argument']).to.equal('root');
      }
    }
  });

  it('an fs option without the shape FsIo needs is ERR_INVALID_ARGUMENT naming fs (and the member), before it is used', async function () {
    const volume = new Volume();
    volume.mkdirSync('/r');
    const withMember = (name: string, value: unknown): object => new Proxy(volume, {
      get: (target, key) => (key === name ? value : Reflect.get(target, key, target) as unknown),
    });
    const shapes: Array<[string, unknown, string | undefined]> = [
      ['an empty object', {}, 'open'],
      ['an object without a prototype', Object.create(null), 'open'],
      ['a module without fdatasync', withMember('fdatasync', undefined), 'fdatasync'],
      ['a module whose statSync is not a function', withMember('statSync', 'statSync'), 'statSync'],
      ['a module whose constants is not an object', withMember('constants', 7), 'constants'],
      ['a module whose O_CREAT is not a number', withMember('constants', { ...fs.constants, O_CREAT: '64' }), 'constants.O_CREAT'],
      ['a Proxy whose get throws', new Proxy({}, { get() { throw new Error('fs trap'); } }), undefined],
      ['a revoked Proxy', (() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; })(), undefined],
    ];
    for (const [label, module, member] of shapes) {
      let err: unknown;
      try {
        new FsIo({ root: '/r', fs: module as FsLike });
      } catch (e) {
        err = e;
      }
      expect(err, `${label}: ${String(err)}`).to.be.instanceOf(StorageError);
      expect((err as StorageError).code, label).to.equal('ERR_INVALID_ARGUMENT');
      expect((err as StorageError).details['argument'], label).to.equal('fs');
      expect((err as StorageError).details['member'], label).to.equal(member);
    }
    // O_DIRECTORY and O_NOFOLLOW may be missing (FsIo then does without them).
    const { O_NOFOLLOW: _nofollow, O_DIRECTORY: _directory, ...required } = fs.constants;
    const io = new FsIo({ root: '/r', fs: withMember('constants', required) as FsLike });
    await io.shutdown();
  });

  it('kernelResolution: reported in pathResolution; true on a custom module is ERR_UNSUPPORTED with the reason', async function () {
    const io = new FsIo({ root: base });
    if (process.platform === 'linux') expect(io.pathResolution).to.deep.equal({ kind: 'kernel' });
    await io.shutdown();
    const walk = new FsIo({ root: base, kernelResolution: false });
    expect(walk.pathResolution.kind).to.equal('walk');
    expect(walk.pathResolution.reason).to.match(/kernelResolution: false/);
    await walk.shutdown();
    const volume = new Volume();
    volume.mkdirSync('/r');
    const custom = new FsIo({ root: '/r', fs: volume as unknown as FsLike });
    expect(custom.pathResolution.kind).to.equal('walk');
    await custom.shutdown();
    const err = (() => {
      try {
        new FsIo({ root: '/r', fs: volume as unknown as FsLike, kernelResolution: true });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(StorageError);
    expect((err as StorageError).code).to.equal('ERR_UNSUPPORTED');
    expect((err as StorageError).details['reason']).to.match(/custom fs module/);
  });

  it('the addon\'s openBeneath and addressModulo refuse bad arguments with a JS error, never a fatal one', function () {
    const load = loadBinding();
    if (!load.ok || load.binding.openBeneath === undefined) {
      // Where the addon must exist (CI), its absence is a failure, not a skip.
      if (requireUring) throw new Error('the native addon with openBeneath is not built (FAULTLINE_REQUIRE_IOURING=1)');
      console.log('      (skipped: the native addon with openBeneath is not built here)');
      this.skip();
    }
    const b = load.binding as Required<Pick<typeof load.binding, 'openBeneath' | 'addressModulo'>>;
    const bad: Array<() => unknown> = [
      () => (b.openBeneath as (...a: unknown[]) => number)(),
      () => b.openBeneath(-1, 'x', 0, 0, 0),
      () => b.openBeneath(2 ** 32 + 4, 'x', 0, 0, 0),
      () => b.openBeneath(0, 'x'.repeat(5000), 0, 0, 0),
      () => b.openBeneath(0, '', 0, 0, 0),
      () => b.openBeneath(0, 'a\0b', 0, 0, 0),
      () => (b.openBeneath as (...a: unknown[]) => number)(0, {}, 0, 0, 0),
      () => (b.openBeneath as (...a: unknown[]) => number)(0, 'x', 'x', 0, 0),
      () => b.openBeneath(0, 'x', 0, 0o10000, 0),
      () => b.openBeneath(0, 'x', 0, 0, 0x100),
      () => b.openBeneath(0, 'x', 0.5, 0, 0),
      () => (b.addressModulo as (...a: unknown[]) => number)({}, 4096),
      () => b.addressModulo(new Uint8Array(1), 3),
      () => b.addressModulo(new Uint8Array(1), 0),
    ];
    for (const call of bad) expect(call).to.throw(Error);
    expect(b.addressModulo(new Uint8Array(16), 1)).to.equal(0);
    expect(b.openBeneath(2 ** 31 - 1, 'x', 0, 0, 0)).to.equal(-9); // EBADF: the fd is checked by the kernel
  });
});

describe('FsIo memory safety: buffers taken away while queued in libuv\'s pool (child process, --expose-gc)', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async function () {
    dir = await makeTempDir();
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  for (const lengthBytes of [64, 4096, 1 << 20]) {
    it(`${lengthBytes}-byte transfers: the read is ERR_DETACHED_BUFFER, the write lands, nothing else is touched, the child exits cleanly`, async function () {
      if (process.platform !== 'linux') {
        console.log('      (skipped: FIFOs made with mkfifo(1) and the pool-filling trick are Linux-specific here)');
        this.skip();
      }
      const out = await runChild(['--expose-gc', siblingScript('child-fifo'), dir, String(lengthBytes)]);
      expect(out.signal, out.stderr).to.equal(null);
      expect(out.code, out.stderr).to.equal(0);
      const result = JSON.parse(out.stdout.trim()) as Record<string, unknown>;
      expect(result).to.deep.equal({
        readOutcome: { code: 'ERR_DETACHED_BUFFER' },
        writeOutcome: { ok: lengthBytes },
        readvOutcome: { code: 'ERR_DETACHED_BUFFER' },
        markersIntact: true,
        writeLanded: true,
      });
    });
  }
});

describe('FsIo root containment under a concurrent symlink swap (another process)', function () {
  this.timeout(120_000);
  const OPERATIONS = 3000;
  let base: string;
  beforeEach(async function () {
    base = await makeTempDir();
  });
  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  /** Runs OPERATIONS path operations through `x/` while a child flips x; returns the escapes seen. */
  async function race(options: Pick<FsIoOptions, 'kernelResolution'>): Promise<{ escapes: string[]; flips: number; operations: number }> {
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    await mkdir(join(root, 'x'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'victim'), 'outside');
    const io = new FsIo({ root, ...options });
    const child = runChild([siblingScript('child-flip'), root, outside, String(10_000_000)]);
    const escapes: string[] = [];
    let operations = 0;
    try {
      for (let i = 0; i < OPERATIONS; i++) {
        const attempts: Array<[string, () => Promise<unknown>]> = [
          [`mkdir x/d${i}`, () => io.mkdir(`x/d${i}`)],
          [`create x/f${i}`, async () => io.close(await io.open(`x/f${i}`, { write: true, create: true }))],
          [`rename x/victim`, () => io.rename('x/victim', `stolen${i}`)],
          [`stat x/victim`, async () => { if ((await io.stat('x/victim')).isFile) escapes.push(`stat x/victim saw the outside file (${i})`); }],
          [`readdir x`, async () => { if ((await io.readdir('x')).includes('victim')) escapes.push(`readdir x listed the outside directory (${i})`); }],
        ];
        for (const [, attempt] of attempts) {
          operations += 1;
          await attempt().catch((err: unknown) => {
            if (!(err instanceof StorageError)) throw err;
          });
        }
      }
    } finally {
      await writeFile(join(root, 'stop'), '');
      await io.shutdown();
    }
    const out = await child;
    expect(out.code, out.stderr).to.equal(0);
    for (const name of await readdir(outside)) if (name !== 'victim') escapes.push(`created outside: ${name}`);
    if (!(await readdir(outside)).includes('victim')) escapes.push('the outside file was moved into the root');
    return { escapes, flips: Number(out.stdout.trim()), operations };
  }

  it(`with kernel resolution: 0 escapes in ${5 * OPERATIONS} operations racing the swap`, async function () {
    const kernel = new FsIo({ root: base });
    const kind = kernel.pathResolution.kind;
    await kernel.shutdown();
    if (kind !== 'kernel') {
      if (requireUring) throw new Error(`no kernel resolution, which the addon gives on Linux (FAULTLINE_REQUIRE_IOURING=1): ${kernel.pathResolution.reason ?? ''}`);
      console.log(`      (skipped: no kernel resolution here: ${kernel.pathResolution.reason ?? ''})`);
      this.skip();
    }
    const { escapes, flips, operations } = await race({ kernelResolution: true });
    console.log(`      ${operations} operations against ${flips} flips`);
    expect(flips, 'the child must actually flip during the run').to.be.greaterThan(100);
    expect(escapes).to.deep.equal([]);
  });

  it('the JS walk (no addon) stays inside the root when nothing races it, and its race window is real (reported, not asserted)', async function () {
    const { escapes, flips, operations } = await race({ kernelResolution: false });
    console.log(`      walk resolution: ${escapes.length} escapes in ${operations} operations against ${flips} flips (documented TOCTOU window)`);
    const quiet = new FsIo({ root: join(base, 'root'), kernelResolution: false });
    await quiet.mkdir('q');
    expect(quiet.pathResolution.kind).to.equal('walk');
    await quiet.shutdown();
  });
});

describe('FsIo paths near PATH_MAX', function () {
  let base: string;
  beforeEach(async function () {
    base = await makeTempDir();
  });
  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  it('a 4,076-byte relative path under 16 nested 250-byte directories works for every path operation (kernel resolution)', async function () {
    const io = new FsIo({ root: base });
    if (io.pathResolution.kind !== 'kernel') {
      await io.shutdown();
      console.log(`      (skipped: no kernel resolution here: ${io.pathResolution.reason ?? ''}; the walk prefixes the root and is bound by PATH_MAX)`);
      this.skip();
    }
    try {
      let dirPath = '';
      for (let i = 0; i < 16; i++) {
        dirPath = dirPath === '' ? String(i % 10).repeat(250) : `${dirPath}/${String(i % 10).repeat(250)}`;
        await io.mkdir(dirPath);
      }
      const file = `${dirPath}/${'f'.repeat(4076 - dirPath.length - 1)}`;
      expect(Buffer.byteLength(file)).to.equal(4076);
      expect(Buffer.byteLength(join(base, file))).to.be.greaterThan(4095);
      const fd = await io.open(file, { read: true, write: true, create: true });
      expect(await io.write(fd, new Uint8Array([1, 2, 3]), 0)).to.equal(3);
      await io.close(fd);
      expect((await io.stat(file)).sizeBytes).to.equal(3);
      expect(await io.readdir(dirPath)).to.deep.equal([file.slice(dirPath.length + 1)]);
      const renamed = `${dirPath}/${'g'.repeat(4076 - dirPath.length - 1)}`;
      await io.rename(file, renamed);
      await io.unlink(renamed);
      await io.mkdir(`${dirPath}/${'h'.repeat(4076 - dirPath.length - 1)}`);
      await io.rmdir(`${dirPath}/${'h'.repeat(4076 - dirPath.length - 1)}`);
      expect(await io.readdir(dirPath)).to.deep.equal([]);
    } finally {
      await io.shutdown();
    }
  });
});
