/**
 * The fs surface of `node.fs`, compared call for call with real `node:fs`: the same script of
 * calls runs against a temporary directory on the real disk and against a simulated node's disk,
 * and every outcome (result, or error code, syscall and message, with the root replaced) must be
 * the same. A second table covers the forms real fs cannot be compared with cheaply (promises,
 * callbacks, FileHandle, streams) against expected values.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as realFs from 'node:fs';
import realFsObject from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../src/backends/sim/index.js';

type Fs = typeof realFs;

/** What a call gave, in a form both disks can be compared on. */
function outcome(run: () => unknown, root: string): unknown {
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return value.split(root).join('<root>');
    if (Buffer.isBuffer(value)) return `buf:${value.toString('utf8')}`;
    if (value instanceof realFs.Stats) {
      return { size: value.isDirectory() ? 'dir' : value.size, file: value.isFile(), dir: value.isDirectory(), link: value.isSymbolicLink(), nlink: value.isDirectory() ? 'dir' : value.nlink, perm: (value.mode & 0o777).toString(8) };
    }
    if (value instanceof realFs.Dirent) return `${value.name}:${value.isFile() ? 'f' : value.isDirectory() ? 'd' : value.isSymbolicLink() ? 'l' : '?'}`;
    if (Array.isArray(value)) return value.map(clean).sort();
    return value;
  };
  try {
    return { ok: clean(run()) };
  } catch (err) {
    const e = err as { code?: string; syscall?: string; message?: string; name?: string };
    return { err: e.code, syscall: e.syscall, name: e.name, message: clean(e.message) };
  }
}

/** The script: each step is a call on `fs` with paths under `p()`. */
const STEPS: [string, (fs: Fs, p: (s: string) => string) => unknown][] = [
  ['mkdir recursive', (fs, p) => fs.mkdirSync(p('a/b/c'), { recursive: true })],
  ['mkdir recursive again', (fs, p) => fs.mkdirSync(p('a/b/c'), { recursive: true })],
  ['mkdir existing', (fs, p) => fs.mkdirSync(p('a'))],
  ['mkdir under missing', (fs, p) => fs.mkdirSync(p('zz/y'))],
  ['writeFile', (fs, p) => fs.writeFileSync(p('a/f'), 'hello')],
  ['readFile utf8', (fs, p) => fs.readFileSync(p('a/f'), 'utf8')],
  ['appendFile', (fs, p) => fs.appendFileSync(p('a/f'), ' world')],
  ['readFile buffer', (fs, p) => fs.readFileSync(p('a/f'))],
  ['stat file', (fs, p) => fs.statSync(p('a/f'))],
  ['stat dir', (fs, p) => fs.statSync(p('a/b'))],
  ['stat missing', (fs, p) => fs.statSync(p('nope'))],
  ['stat missing, throwIfNoEntry false', (fs, p) => fs.statSync(p('nope'), { throwIfNoEntry: false })],
  ['stat through a file', (fs, p) => fs.statSync(p('a/f/x'))],
  ['open missing', (fs, p) => fs.openSync(p('missing/x'), 'r')],
  ['open dir for writing', (fs, p) => fs.openSync(p('a/b'), 'w')],
  ['open wx existing', (fs, p) => fs.openSync(p('a/f'), 'wx')],
  ['rmdir non-empty', (fs, p) => fs.rmdirSync(p('a'))],
  ['rmdir file', (fs, p) => fs.rmdirSync(p('a/f'))],
  ['unlink dir', (fs, p) => fs.unlinkSync(p('a/b'))],
  ['unlink missing', (fs, p) => fs.unlinkSync(p('a/nope'))],
  ['readdir file', (fs, p) => fs.readdirSync(p('a/f'))],
  ['readdir', (fs, p) => fs.readdirSync(p('a'))],
  ['readdir withFileTypes', (fs, p) => fs.readdirSync(p('a'), { withFileTypes: true })],
  ['readFile dir', (fs, p) => fs.readFileSync(p('a'))],
  ['rename', (fs, p) => fs.renameSync(p('a/f'), p('a/g'))],
  ['exists old', (fs, p) => fs.existsSync(p('a/f'))],
  ['exists new', (fs, p) => fs.existsSync(p('a/g'))],
  ['rename missing', (fs, p) => fs.renameSync(p('a/nope'), p('a/x'))],
  ['rename file over dir', (fs, p) => fs.renameSync(p('a/g'), p('a/b'))],
  ['link', (fs, p) => fs.linkSync(p('a/g'), p('a/h'))],
  ['link nlink', (fs, p) => fs.statSync(p('a/h')).nlink],
  ['same inode', (fs, p) => fs.statSync(p('a/h')).ino === fs.statSync(p('a/g')).ino],
  ['link existing', (fs, p) => fs.linkSync(p('a/g'), p('a/h'))],
  ['link dir', (fs, p) => fs.linkSync(p('a/b'), p('a/bb'))],
  ['write through one name, read the other', (fs, p) => { fs.writeFileSync(p('a/h'), 'shared'); return fs.readFileSync(p('a/g'), 'utf8'); }],
  ['symlink', (fs, p) => fs.symlinkSync('g', p('a/s'))],
  ['readlink', (fs, p) => fs.readlinkSync(p('a/s'))],
  ['readlink of a file', (fs, p) => fs.readlinkSync(p('a/g'))],
  ['lstat link', (fs, p) => fs.lstatSync(p('a/s')).isSymbolicLink()],
  ['stat through link', (fs, p) => fs.statSync(p('a/s'))],
  ['read through link', (fs, p) => fs.readFileSync(p('a/s'), 'utf8')],
  ['symlink to dir, path through it', (fs, p) => { fs.symlinkSync('b', p('a/bl')); return fs.readdirSync(p('a/bl')); }],
  ['dangling symlink', (fs, p) => fs.symlinkSync('nowhere', p('a/dangling'))],
  ['stat dangling', (fs, p) => fs.statSync(p('a/dangling'))],
  ['exists dangling', (fs, p) => fs.existsSync(p('a/dangling'))],
  ['writing through a dangling link creates the target', (fs, p) => { fs.writeFileSync(p('a/dangling'), 'made'); return fs.readFileSync(p('a/nowhere'), 'utf8'); }],
  ['loop', (fs, p) => { fs.symlinkSync('loop1', p('a/loop2')); fs.symlinkSync('loop2', p('a/loop1')); return fs.statSync(p('a/loop1')); }],
  ['open a loop', (fs, p) => fs.openSync(p('a/loop1'), 'r')],
  ['O_NOFOLLOW on a link', (fs, p) => fs.openSync(p('a/dangling'), realFs.constants.O_RDONLY | realFs.constants.O_NOFOLLOW)],
  ['O_CREAT|O_EXCL on a dangling link', (fs, p) => { fs.symlinkSync('nothing-here', p('a/dl2')); return fs.openSync(p('a/dl2'), 'wx'); }],
  ['realpath', (fs, p) => fs.realpathSync(p('a/bl/../s'))],
  ['realpath missing', (fs, p) => fs.realpathSync(p('a/nope'))],
  ['symlink existing', (fs, p) => fs.symlinkSync('x', p('a/s'))],
  ['unlink a link keeps its target', (fs, p) => { fs.unlinkSync(p('a/s')); return fs.readFileSync(p('a/g'), 'utf8'); }],
  ['truncate', (fs, p) => { fs.truncateSync(p('a/g'), 2); return fs.readFileSync(p('a/g'), 'utf8'); }],
  ['fd: positional and sequential writes and reads', (fs, p) => {
    const fd = fs.openSync(p('a/fd'), 'w+');
    const out: unknown[] = [fs.writeSync(fd, 'abc'), fs.writeSync(fd, 'def'), fs.writeSync(fd, Buffer.from('XY'), 0, 2, 1)];
    const buffer = Buffer.alloc(10);
    out.push(fs.readSync(fd, buffer, 0, 10, 0), buffer.toString('utf8', 0, 6));
    out.push(fs.readSync(fd, buffer, 0, 10, null));
    out.push(fs.fstatSync(fd).size);
    fs.ftruncateSync(fd, 8);
    out.push(fs.fstatSync(fd).size, fs.readSync(fd, buffer, { position: 0 }), buffer.toString('hex', 0, 8));
    out.push(fs.writevSync(fd, [Buffer.from('1'), Buffer.from('23')], 0));
    const a = Buffer.alloc(2);
    const b = Buffer.alloc(2);
    out.push(fs.readvSync(fd, [a, b], 0), a.toString(), b.toString());
    fs.fsyncSync(fd);
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    return out;
  }],
  ['close twice', (fs, p) => { const fd = fs.openSync(p('a/fd'), 'r'); fs.closeSync(fd); fs.closeSync(fd); }],
  ['write on a read-only fd', (fs, p) => { const fd = fs.openSync(p('a/fd'), 'r'); try { return fs.writeSync(fd, 'x'); } finally { fs.closeSync(fd); } }],
  ['append mode writes at the end', (fs, p) => {
    const fd = fs.openSync(p('a/fd'), 'a');
    fs.writeSync(fd, 'END', 0);
    fs.closeSync(fd);
    return fs.readFileSync(p('a/fd'), 'utf8');
  }],
  ['copyFile', (fs, p) => { fs.copyFileSync(p('a/fd'), p('a/copy')); return fs.readFileSync(p('a/copy'), 'utf8'); }],
  ['copyFile excl', (fs, p) => fs.copyFileSync(p('a/fd'), p('a/copy'), realFs.constants.COPYFILE_EXCL)],
  ['copyFile missing', (fs, p) => fs.copyFileSync(p('a/nope'), p('a/copy2'))],
  ['access', (fs, p) => fs.accessSync(p('a/g'))],
  ['access missing', (fs, p) => fs.accessSync(p('a/nope'))],
  ['chmod', (fs, p) => { fs.chmodSync(p('a/g'), 0o600); return (fs.statSync(p('a/g')).mode & 0o777).toString(8); }],
  ['fchmod', (fs, p) => { const fd = fs.openSync(p('a/g'), 'r'); fs.fchmodSync(fd, '640'); fs.closeSync(fd); return (fs.statSync(p('a/g')).mode & 0o777).toString(8); }],
  ['utimes', (fs, p) => { fs.utimesSync(p('a/g'), 1000, 2000); const st = fs.statSync(p('a/g')); return [st.atimeMs, st.mtimeMs]; }],
  ['lutimes changes the link, not its target', (fs, p) => { fs.symlinkSync('g', p('a/tl')); fs.lutimesSync(p('a/tl'), 5000, 6000); return [fs.lstatSync(p('a/tl')).mtimeMs, fs.statSync(p('a/g')).mtimeMs]; }],
  ['lchown to the same owner', (fs, p) => { const st = fs.lstatSync(p('a/tl')); fs.lchownSync(p('a/tl'), -1, -1); return fs.lstatSync(p('a/tl')).uid === st.uid; }],
  ['readdir recursive', (fs, p) => fs.readdirSync(p('a/b'), { recursive: true })],
  ['rm dir without recursive', (fs, p) => fs.rmSync(p('a/b'))],
  ['rm recursive', (fs, p) => { fs.rmSync(p('a/b'), { recursive: true }); return fs.existsSync(p('a/b')); }],
  ['rm missing', (fs, p) => fs.rmSync(p('a/nope'))],
  ['rm missing with force', (fs, p) => fs.rmSync(p('a/nope'), { force: true })],
  ['writeFile flag wx on existing', (fs, p) => fs.writeFileSync(p('a/g'), 'x', { flag: 'wx' })],
  ['writeFile flush', (fs, p) => { fs.writeFileSync(p('a/flushed'), 'durable', { flush: true }); return fs.readFileSync(p('a/flushed'), 'utf8'); }],
  ['opendir', (fs, p) => { const dir = fs.opendirSync(p('a')); const names: string[] = []; for (let e = dir.readSync(); e !== null; e = dir.readSync()) names.push(e.name); dir.closeSync(); return names; }],
  ['mkdtemp', (fs, p) => { const made = fs.mkdtempSync(p('a/tmp-')); return [made.length - p('a/tmp-').length, fs.statSync(made).isDirectory()]; }],
  ['relative rename target missing dir', (fs, p) => fs.renameSync(p('a/g'), p('a/none/g'))],
  ['opendir missing', (fs, p) => fs.opendirSync(p('a/nope'))],
  ['opendir a file', (fs, p) => fs.opendirSync(p('a/fd'))],
  ['mkdir recursive through a file', (fs, p) => fs.mkdirSync(p('a/fd/x/y'), { recursive: true })],
  ['mkdir recursive on a file', (fs, p) => fs.mkdirSync(p('a/fd'), { recursive: true })],
  ['rename a dir into itself', (fs, p) => { fs.mkdirSync(p('a/r1')); return fs.renameSync(p('a/r1'), p('a/r1/sub')); }],
  ['rmdir a link to a dir', (fs, p) => { fs.symlinkSync('r1', p('a/r1link')); return fs.rmdirSync(p('a/r1link')); }],
  ['rm a link to a dir removes the link only', (fs, p) => { fs.rmSync(p('a/r1link'), { recursive: true }); return [fs.existsSync(p('a/r1link')), fs.existsSync(p('a/r1'))]; }],
  ['readdir through a loop', (fs, p) => fs.readdirSync(p('a/loop1'))],
  ['truncate missing', (fs, p) => fs.truncateSync(p('a/nope'), 1)],
  ['utimes missing', (fs, p) => fs.utimesSync(p('a/nope'), 1, 1)],
  ['chmod missing', (fs, p) => fs.chmodSync(p('a/nope'), 0o600)],
  ['link missing', (fs, p) => fs.linkSync(p('a/nope'), p('a/nope2'))],
  ['readlink missing', (fs, p) => fs.readlinkSync(p('a/nope'))],
  ['copyFile onto a dir', (fs, p) => fs.copyFileSync(p('a/fd'), p('a/r1'))],
  ['writeFile onto a dir', (fs, p) => fs.writeFileSync(p('a/r1'), 'x')],
  ['appendFile to an fd opened read-only', (fs, p) => { const fd = fs.openSync(p('a/fd'), 'r'); try { return fs.appendFileSync(fd, 'x'); } finally { fs.closeSync(fd); } }],
  ['readFile through an fd continues from its position', (fs, p) => { const fd = fs.openSync(p('a/fd'), 'r'); try { fs.readSync(fd, Buffer.alloc(2), 0, 2, null); return fs.readFileSync(fd, 'utf8'); } finally { fs.closeSync(fd); } }],
  ['rmdir', (fs, p) => { fs.mkdirSync(p('a/empty')); fs.rmdirSync(p('a/empty')); return fs.existsSync(p('a/empty')); }],
];

describe('node.fs surface, compared with real node:fs', function () {
  let realRoot: string;
  before(function () {
    realRoot = realFs.realpathSync(realFs.mkdtempSync(join(tmpdir(), 'faultline-nodefs-')));
  });
  after(function () {
    realFs.rmSync(realRoot, { recursive: true, force: true });
  });

  it('every call of the script gives the same result or the same error on both disks', function () {
    const sim = new Simulation({ seed: 'surface' });
    const simFs = sim.node('n').fs;
    simFs.mkdirSync('/w');
    const mismatches: string[] = [];
    for (const [name, step] of STEPS) {
      const real = outcome(() => step(realFs, (s) => `${realRoot}/${s}`), realRoot);
      const simulated = outcome(() => step(simFs, (s) => `/w/${s}`), '/w');
      try {
        expect(simulated).to.deep.equal(real);
      } catch {
        mismatches.push(`${name}:\n  real ${JSON.stringify(real)}\n  sim  ${JSON.stringify(simulated)}`);
      }
    }
    expect(mismatches, mismatches.join('\n')).to.deep.equal([]);
  });
});

describe('node.fs surface: asynchronous forms', function () {
  it('callbacks, promises and FileHandle see the same disk as the sync API', async function () {
    const sim = new Simulation({ seed: 'forms', latency: true });
    const node = sim.node('n');
    const fs = node.fs;
    await sim.run(async () => {
      await fs.promises.mkdir('/d/e', { recursive: true });
      await fs.promises.writeFile('/d/e/f', 'one');
      expect(fs.readFileSync('/d/e/f', 'utf8')).to.equal('one');
      await new Promise<void>((resolve, reject) => fs.appendFile('/d/e/f', '+two', (err) => (err ? reject(err) : resolve())));
      expect(await fs.promises.readFile('/d/e/f', 'utf8')).to.equal('one+two');
      const handle = await fs.promises.open('/d/h', 'w+');
      expect((await handle.write('abcdef')).bytesWritten).to.equal(6);
      expect((await handle.write(Buffer.from('XY'), 0, 2, 1)).bytesWritten).to.equal(2);
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(8), 0, 8, 0);
      expect(buffer.toString('utf8', 0, bytesRead)).to.equal('aXYdef');
      expect((await handle.writev([Buffer.from('1'), Buffer.from('2')], 0)).bytesWritten).to.equal(2);
      const a = Buffer.alloc(3);
      expect((await handle.readv([a], 0)).bytesRead).to.equal(3);
      expect(a.toString()).to.equal('12Y');
      await handle.truncate(4);
      expect((await handle.stat()).size).to.equal(4);
      expect(typeof (await handle.stat({ bigint: true })).size).to.equal('bigint');
      await handle.sync();
      await handle.datasync();
      // As Node documents: writeFile/appendFile on a handle write from its current position (6).
      await handle.appendFile('!');
      await handle.close();
      expect(handle.fd).to.equal(-1);
      expect(await fs.promises.readFile('/d/h', 'utf8')).to.equal('12Yd\u0000\u0000!');
      await expectReject(handle.read(Buffer.alloc(1), 0, 1, 0), 'EBADF');
      const entries = await new Promise<realFs.Dirent[]>((resolve, reject) => fs.readdir('/d', { withFileTypes: true }, (err, list) => (err ? reject(err) : resolve(list))));
      expect(entries.map((e) => `${e.name}:${e.isDirectory() ? 'd' : 'f'}`)).to.deep.equal(['e:d', 'h:f']);
      const st = await new Promise<realFs.Stats>((resolve, reject) => fs.stat('/d/h', (err, s) => (err ? reject(err) : resolve(s))));
      expect(st.size).to.equal(7);
      expect(st.mtimeMs).to.be.greaterThan(0);
      const viaCallback = await new Promise<unknown>((resolve) => fs.open('/missing', 'r', (err) => resolve(err)));
      expect(viaCallback).to.include({ code: 'ENOENT', syscall: 'open', path: '/missing', errno: -2 });
      expect((viaCallback as Error).message).to.equal("ENOENT: no such file or directory, open '/missing'");
      await expectReject(fs.promises.rename('/nope', '/x'), 'ENOENT', "ENOENT: no such file or directory, rename '/nope' -> '/x'");
      const dir = await fs.promises.opendir('/d');
      const names: string[] = [];
      for await (const entry of dir) names.push(entry.name);
      expect(names).to.deep.equal(['e', 'h']);
      // Node's own stream classes, driven through this fs.
      const out = fs.createWriteStream('/d/stream');
      out.write('line1\n');
      out.end('line2\n');
      await new Promise<void>((resolve) => out.on('finish', () => resolve()));
      let text = '';
      for await (const chunk of fs.createReadStream('/d/stream', { encoding: 'utf8', start: 2 })) text += chunk as string;
      expect(text).to.equal('ne1\nline2\n');
      expect(await new Promise((resolve) => fs.exists('/d/stream', resolve))).to.equal(true);
    });
    expect(sim.clock.now(), 'async calls take simulated time with latency on').to.be.greaterThan(0);
  });

  it('a member that is not covered throws ERR_UNSUPPORTED naming it, and never reaches the real disk', async function () {
    const fs = new Simulation({ seed: 1 }).node('n').fs;
    expect(() => fs.watch('/x')).to.throw().with.property('code', 'ERR_UNSUPPORTED');
    expect(() => fs.watch('/x')).to.throw(/fs\.watch/);
    expect(() => fs.statfsSync('/')).to.throw().with.property('code', 'ERR_UNSUPPORTED');
    await expectReject(fs.promises.cp('/a', '/b'), 'ERR_UNSUPPORTED');
    for (const key of Object.keys(realFs)) expect(fs, key).to.have.property(key);
    for (const key of Object.keys(realFs.promises)) expect(fs.promises, key).to.have.property(key);
    // A path that exists on the real disk is not there on the simulated one.
    expect(fs.existsSync(tmpdir())).to.equal(false);
    // Even the stream classes, constructed directly, open the simulated disk.
    type AnyStream = new (path: string) => NodeJS.EventEmitter;
    const stream = new (fs.ReadStream as unknown as AnyStream)(tmpdir());
    const error = await new Promise<unknown>((resolve) => stream.on('error', resolve));
    expect(error).to.include({ code: 'ENOENT', syscall: 'open' });
    const made = new (fs.WriteStream as unknown as AnyStream)('/made-by-stream');
    expect(made).to.be.instanceOf(realFs.WriteStream);
    await new Promise((resolve) => made.on('open', resolve));
    expect(fs.existsSync('/made-by-stream')).to.equal(true);
    expect(fs.existsSync('/')).to.equal(true);
  });

  it('warns of nothing real node:fs does not warn of, and defines the access constants as the running line does', function () {
    // Node 22 deprecated calling fs.Stats (DEP0180, warned once per process): a fresh process
    // shows whether a stat of the facade warns. Node 24 made F_OK..X_OK deprecated
    // non-enumerable getters.
    const simUrl = new URL('../../src/backends/sim/index.js', import.meta.url).href;
    const script = `import { Simulation } from ${JSON.stringify(simUrl)};
      const fs = new Simulation({ seed: 1 }).node('n').fs;
      fs.writeFileSync('/f', 'x');
      fs.statSync('/f'); fs.lstatSync('/f', { bigint: true }); await fs.promises.stat('/f');
      fs.readdirSync('/', { withFileTypes: true });`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.not.match(/Warning/);
    const fs = new Simulation({ seed: 1 }).node('n').fs;
    for (const key of ['F_OK', 'R_OK', 'W_OK', 'X_OK']) {
      const shape = (d: PropertyDescriptor | undefined): unknown => ({ enumerable: d?.enumerable, getter: typeof d?.get, value: d?.value });
      expect(shape(Object.getOwnPropertyDescriptor(fs, key)), key).to.deep.equal(shape(Object.getOwnPropertyDescriptor(realFsObject, key)));
    }
  });

  it('relative paths resolve against the root, Buffer and file: URL paths work', function () {
    const fs = new Simulation({ seed: 1 }).node('n').fs;
    fs.mkdirSync('dir');
    fs.writeFileSync(Buffer.from('dir/a'), 'x');
    expect(fs.readFileSync(new URL('file:///dir/a'), 'utf8')).to.equal('x');
    expect(fs.readdirSync('/')).to.deep.equal(['dir']);
    expect(fs.readdirSync('/dir/../dir', { encoding: 'buffer' })).to.deep.equal([Buffer.from('a')]);
  });

  it('stat reports mode, nlink, ino and times from the simulated clock, also as bigint', async function () {
    const sim = new Simulation({ seed: 1 });
    const fs = sim.node('n').fs;
    await sim.run(async () => {
      fs.writeFileSync('/f', 'abc', { mode: 0o600 });
      await sim.clock.sleep(1500);
      fs.appendFileSync('/f', 'd');
      await sim.clock.sleep(100);
      fs.readFileSync('/f');
      const st = fs.statSync('/f');
      expect(st.atimeMs, 'reads do not change atime').to.equal(0);
      expect(st.mode).to.equal(0o100600);
      expect(st.birthtimeMs).to.equal(0);
      expect(st.mtimeMs).to.equal(1500);
      expect(st.mtime.getTime()).to.equal(1500);
      expect(st.nlink).to.equal(1);
      expect(st.ino).to.be.greaterThan(2);
      expect(fs.statSync('/').ino).to.equal(2);
      expect(fs.statSync('/').mode).to.equal(0o40755);
      const big = fs.statSync('/f', { bigint: true });
      expect(big.size).to.equal(4n);
      expect(big.mtimeNs).to.equal(1_500_000_000n);
      expect(big.isFile()).to.equal(true);
      fs.mkdirSync('/d');
      fs.mkdirSync('/d/e');
      expect(fs.statSync('/d').nlink).to.equal(3);
    });
  });
});

async function expectReject(promise: Promise<unknown>, code: string, message?: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a rejection with ${code}`).to.be.instanceOf(Error);
  expect(caught).to.have.property('code', code);
  if (message !== undefined) expect((caught as Error).message).to.equal(message);
}

describe('node.fs surface: promisify and FileHandle targets', function () {
  it('util.promisify gives read/write/exists their Node results; promises.writeFile/readFile take a FileHandle', async function () {
    const { promisify } = await import('node:util');
    const sim = new Simulation({ seed: 'promisify' });
    const fs = sim.node('n').fs;
    await sim.run(async () => {
      const fd = fs.openSync('/f', 'w+');
      const written = await promisify(fs.write)(fd, Buffer.from('hello'), 0, 5, 0);
      expect(written.bytesWritten).to.equal(5);
      const read = await promisify(fs.read)(fd, Buffer.alloc(5), 0, 5, 0);
      expect(read.bytesRead).to.equal(5);
      expect(read.buffer.toString()).to.equal('hello');
      expect(await promisify(fs.exists)('/f')).to.equal(true);
      expect(await promisify(fs.exists)('/g')).to.equal(false);
      fs.closeSync(fd);
      const handle = await fs.promises.open('/h', 'w+');
      await fs.promises.writeFile(handle, 'via handle');
      await handle.close();
      const again = await fs.promises.open('/h', 'r');
      expect(await fs.promises.readFile(again, 'utf8')).to.equal('via handle');
      await again.close();
    });
  });
});

describe('node.fs: symbolic links above the root', function () {
  it('a link whose .. climbs above / stays at / (Linux), while the Io contract refuses it', async function () {
    const node = new Simulation({ seed: 'dotdot' }).node('n');
    const fs = node.fs;
    fs.mkdirSync('/d');
    fs.writeFileSync('/x', 'top');
    fs.symlinkSync('../../../x', '/d/up');
    expect(fs.readFileSync('/d/up', 'utf8')).to.equal('top');
    expect(fs.realpathSync('/d/up')).to.equal('/x');
    let code: string | undefined;
    try {
      await node.io.open('d/up');
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).to.equal('ERR_PATH_ESCAPE');
  });
});
