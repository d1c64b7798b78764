/**
 * The crash model seen through `node.fs`: the same rules as SimIo (writes reach the page cache,
 * fsync/fdatasync/`flush: true` make data durable, a name is durable once its directory is
 * fsynced, with `fs.openSync(dir, 'r')` + `fsyncSync` as on Linux), and hard links and symbolic
 * links are namespace operations under the same rules. `crashStates()` enumerates exactly the
 * states allowed; a restart into one shows it through `node.fs`.
 */
import { expect } from 'chai';
import { constants as realFsConstants } from 'node:fs';
import { Simulation, type CrashState, type SimNode, type SimProfile } from '../../src/backends/sim/index.js';

/** Each state as a sorted text: `describe()` lines plus the contents of every file. */
function pictures(states: readonly CrashState[]): string[] {
  return states.map((state) => {
    const files = [...state.entries()].filter(([, v]) => v !== 'dir').map(([k, v]) => `${k}=${Buffer.from(v as Uint8Array).toString('utf8')}`);
    const links = state.describe().filter((line) => line.includes(' -> '));
    return [...files, ...links].sort().join(' ') || '(empty)';
  }).sort();
}

function fsyncDir(node: SimNode, path: string): void {
  const fd = node.fs.openSync(path, 'r');
  node.fs.fsyncSync(fd);
  node.fs.closeSync(fd);
}

function fresh(profile: SimProfile = 'posix'): SimNode {
  return new Simulation({ seed: `nodefs-crash-${profile}`, profile }).node('n');
}

describe('node.fs crash model', function () {
  it('an unsynced writeFile may leave nothing, an empty file, or the data', function () {
    const node = fresh();
    node.fs.writeFileSync('/f', 'new');
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['(empty)', 'f=', 'f=new']);
  });

  it('writeFile with flush: true makes the data durable; the name still needs the directory fsync', function () {
    const node = fresh();
    node.fs.writeFileSync('/f', 'new', { flush: true });
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['(empty)', 'f=new']);
    fsyncDir(node, '/');
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['f=new']);
  });

  it('fsync through an fd, then the directory fsync, leaves one state; fdatasync keeps the data too', function () {
    const node = fresh();
    node.fs.mkdirSync('/d');
    const fd = node.fs.openSync('/d/f', 'w');
    node.fs.writeSync(fd, 'abc');
    node.fs.fdatasyncSync(fd);
    node.fs.closeSync(fd);
    fsyncDir(node, '/d');
    fsyncDir(node, '/');
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['d/f=abc']);
  });

  it('O_SYNC ("as") makes every write durable as it returns; O_DSYNC too', function () {
    const node = fresh();
    fsyncDir(node, '/');
    node.fs.writeFileSync('/f', '', { flush: true });
    node.fs.writeFileSync('/g', '', { flush: true });
    fsyncDir(node, '/');
    const fd = node.fs.openSync('/f', 'as');
    node.fs.writeSync(fd, 'one');
    node.fs.writeSync(fd, 'two');
    node.fs.closeSync(fd);
    const fd2 = node.fs.openSync('/g', realFsConstants.O_WRONLY | realFsConstants.O_DSYNC);
    node.fs.writeSync(fd2, 'data');
    node.fs.closeSync(fd2);
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['f=onetwo g=data']);
  });

  it('the atomic-rename pattern: old or new without the directory fsync, only new with it', function () {
    const node = fresh();
    node.fs.writeFileSync('/f', 'old', { flush: true });
    fsyncDir(node, '/');
    node.fs.writeFileSync('/f.tmp', 'new', { flush: true });
    node.fs.renameSync('/f.tmp', '/f');
    const states = pictures(node.crashStates({ limit: 100 }));
    expect(states).to.include('f=new');
    expect(states).to.include('f=old');
    for (const s of states) expect(s).to.match(/^(f\.tmp=new )?f=(old|new)$/);
    fsyncDir(node, '/');
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['f=new']);
  });

  it('a hard link is a namespace operation: durable once its directory is fsynced; a restart keeps one inode under both names', function () {
    const node = fresh();
    node.fs.writeFileSync('/a', 'data', { flush: true });
    fsyncDir(node, '/');
    node.fs.linkSync('/a', '/b');
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['a=data', 'a=data b=data']);
    fsyncDir(node, '/');
    const states = node.crashStates({ limit: 100 });
    expect(pictures(states)).to.deep.equal(['a=data b=data']);
    states[0]!.restart();
    const fs = node.fs;
    expect(fs.statSync('/a').nlink).to.equal(2);
    expect(fs.statSync('/a').ino).to.equal(fs.statSync('/b').ino);
    fs.writeFileSync('/a', 'changed');
    expect(fs.readFileSync('/b', 'utf8')).to.equal('changed');
    fs.unlinkSync('/a');
    expect(fs.statSync('/b').nlink).to.equal(1);
    expect(fs.readFileSync('/b', 'utf8')).to.equal('changed');
  });

  it('unlinking one of two names: each state keeps the other name with the data', function () {
    const node = fresh();
    node.fs.writeFileSync('/a', 'data', { flush: true });
    node.fs.linkSync('/a', '/b');
    fsyncDir(node, '/');
    node.fs.unlinkSync('/a');
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['a=data b=data', 'b=data']);
  });

  it('a symbolic link is durable once its directory is fsynced; a restart keeps it, dangling or not', function () {
    const node = fresh();
    node.fs.mkdirSync('/data');
    node.fs.writeFileSync('/data/v1', 'one', { flush: true });
    fsyncDir(node, '/data');
    fsyncDir(node, '/');
    node.fs.symlinkSync('/data/v1', '/current');
    node.fs.symlinkSync('/data/v2', '/next');
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal([
      'current -> /data/v1 data/v1=one', 'current -> /data/v1 data/v1=one next -> /data/v2', 'data/v1=one', 'data/v1=one next -> /data/v2',
    ]);
    fsyncDir(node, '/');
    const [state] = node.crashStates({ limit: 100 });
    state!.restart();
    const fs = node.fs;
    expect(fs.readFileSync('/current', 'utf8')).to.equal('one');
    expect(fs.readlinkSync('/next')).to.equal('/data/v2');
    expect(() => fs.statSync('/next')).to.throw().with.property('code', 'ENOENT');
    expect(fs.lstatSync('/next').isSymbolicLink()).to.equal(true);
  });

  it('switching a symlink atomically (symlink to a temporary name, rename over): old or new target', function () {
    const node = fresh();
    node.fs.symlinkSync('v1', '/current');
    fsyncDir(node, '/');
    node.fs.symlinkSync('v2', '/current.tmp');
    node.fs.renameSync('/current.tmp', '/current');
    const states = pictures(node.crashStates({ limit: 100 }));
    for (const s of states) expect(s).to.match(/^current -> v[12]( current\.tmp -> v2)?$/);
    expect(states.some((s) => s.startsWith('current -> v1'))).to.equal(true);
    expect(states.some((s) => s.startsWith('current -> v2'))).to.equal(true);
  });

  it('under ext4-ordered any fsync commits the pending namespace operations, links included', function () {
    const node = fresh('ext4-ordered');
    node.fs.writeFileSync('/a', 'x');
    node.fs.linkSync('/a', '/b');
    node.fs.symlinkSync('a', '/s');
    const fd = node.fs.openSync('/a', 'r+');
    node.fs.fsyncSync(fd);
    node.fs.closeSync(fd);
    expect(pictures(node.crashStates({ limit: 100 }))).to.deep.equal(['a=x b=x s -> a']);
  });

  it('a crash is one of the enumerated states, and node.fs shows it after the restart', function () {
    const node = fresh();
    node.fs.writeFileSync('/f', 'old', { flush: true });
    fsyncDir(node, '/');
    node.fs.writeFileSync('/f.tmp', 'new', { flush: true });
    node.fs.renameSync('/f.tmp', '/f');
    const allowed = new Set(pictures(node.crashStates({ limit: 100 })).map((p) => p.split(' ')[0]));
    node.crash();
    node.restart();
    expect(allowed.has(`f=${node.fs.readFileSync('/f', 'utf8')}`)).to.equal(true);
  });
});

describe('node.fs crash states with hard links', function () {
  it('two names of one inode and two equal files are distinct states (they restart differently)', function () {
    const node = new Simulation({ seed: 'link-vs-copy' }).node('n');
    const fs = node.fs;
    fs.writeFileSync('/a', 'same', { flush: true });
    fs.writeFileSync('/b', 'same', { flush: true });
    const fd = fs.openSync('/', 'r');
    fs.fsyncSync(fd);
    // Replace b by a second name of a: the states "b is a copy" and "b is a" must both be kept.
    fs.unlinkSync('/b');
    fs.linkSync('/a', '/b');
    const states = node.crashStates({ limit: 100 });
    const shapes = states.map((state) => {
      state.restart();
      const ino = (p: string): number | undefined => (node.fs.existsSync(p) ? node.fs.statSync(p).ino : undefined);
      const b = ino('/b');
      return b === undefined ? 'no b' : b === ino('/a') ? 'b is a' : 'b is a copy';
    }).sort();
    expect(shapes).to.deep.equal(['b is a', 'b is a copy', 'no b']);
  });
});
