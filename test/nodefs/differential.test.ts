/**
 * Differential test: random sequences of namespace and data calls (files, directories, hard
 * links, symbolic links, renames over each of them) run against a temporary directory on the real
 * disk and against `node.fs`, through the synchronous API and through `fs.promises`; after every
 * call the outcome (result or error code) and, at the end, the whole tree (kinds, contents, link
 * targets, link counts) must be the same. Names include trailing slashes (which demand a
 * directory, as on Linux). The reference is the real `node:fs` of the Node line running the test
 * (Node 24's rmSync, for one, is not its fs.promises.rm). fast-check shrinks a failing sequence to
 * a minimal one.
 *
 * NODEFS_DIFF_RUNS sets the number of sequences of every property (default 300), NODEFS_DIFF_SEED
 * the seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import * as realFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../src/backends/sim/index.js';

const RUNS = Number(process.env['NODEFS_DIFF_RUNS'] ?? 300);
const SEED = Number(process.env['NODEFS_DIFF_SEED'] ?? 20261130);

type Fs = typeof realFs;

const NAMES = ['a', 'b', 'd', 'd/a', 'd/e', 'd/e/f', 'l', 'a/', 'd/', 'l/'];
const TARGETS = ['a', 'b', 'd', 'd/a', 'missing', '../a', 'd/e/../a', 'l', 'e/f'];

type Cmd =
  | { op: 'writeFile' | 'appendFile'; path: string; text: string }
  | { op: 'mkdir' | 'rmdir' | 'unlink' | 'readFile' | 'readdir' | 'stat' | 'lstat' | 'readlink' | 'realpath' | 'rm' | 'exists'; path: string }
  | { op: 'rename' | 'link' | 'copyFile'; path: string; to: string }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'truncate'; path: string; length: number }
  | { op: 'mkdirp' | 'rmForce'; path: string }
  | { op: 'fd'; path: string; flags: string; text: string };

const name = fc.constantFrom(...NAMES);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constantFrom('writeFile' as const, 'appendFile' as const), path: name, text: fc.constantFrom('x', 'hello', '') }),
  fc.record({ op: fc.constantFrom('mkdir' as const, 'rmdir' as const, 'unlink' as const, 'readFile' as const, 'readdir' as const, 'stat' as const, 'lstat' as const, 'readlink' as const, 'realpath' as const, 'rm' as const, 'exists' as const), path: name }),
  fc.record({ op: fc.constantFrom('rename' as const, 'link' as const, 'copyFile' as const), path: name, to: name }),
  fc.record({ op: fc.constant('symlink' as const), path: name, target: fc.constantFrom(...TARGETS) }),
  fc.record({ op: fc.constant('truncate' as const), path: name, length: fc.constantFrom(0, 2, 10) }),
  fc.record({ op: fc.constantFrom('mkdirp' as const, 'rmForce' as const), path: name }),
  fc.record({ op: fc.constant('fd' as const), path: name, flags: fc.constantFrom('r', 'r+', 'w', 'wx', 'a', 'a+', 'w+'), text: fc.constantFrom('', 'yz') }),
);

function apply(fs: Fs, root: string, c: Cmd): unknown {
  const p = (s: string): string => `${root}/${s}`;
  try {
    switch (c.op) {
      case 'writeFile': return fs.writeFileSync(p(c.path), c.text);
      case 'appendFile': return fs.appendFileSync(p(c.path), c.text);
      case 'mkdir': return fs.mkdirSync(p(c.path));
      case 'rmdir': return fs.rmdirSync(p(c.path));
      case 'unlink': return fs.unlinkSync(p(c.path));
      case 'readFile': return fs.readFileSync(p(c.path), 'utf8');
      case 'readdir': return fs.readdirSync(p(c.path)).sort();
      case 'stat': { const st = fs.statSync(p(c.path)); return [st.isFile(), st.isDirectory(), st.isDirectory() ? 0 : st.size, st.isDirectory() ? 0 : st.nlink]; }
      case 'lstat': { const st = fs.lstatSync(p(c.path)); return [st.isFile(), st.isDirectory(), st.isSymbolicLink(), st.isDirectory() ? 0 : st.nlink]; }
      case 'readlink': return fs.readlinkSync(p(c.path));
      case 'realpath': return fs.realpathSync(p(c.path)).slice(root.length - 2);
      case 'rm': return fs.rmSync(p(c.path), { recursive: true });
      case 'exists': return fs.existsSync(p(c.path));
      case 'rename': return fs.renameSync(p(c.path), p(c.to));
      case 'link': return fs.linkSync(p(c.path), p(c.to));
      case 'copyFile': return fs.copyFileSync(p(c.path), p(c.to));
      case 'symlink': return fs.symlinkSync(c.target, p(c.path));
      case 'truncate': return fs.truncateSync(p(c.path), c.length);
      case 'mkdirp': { const made = fs.mkdirSync(p(c.path), { recursive: true }); return made === undefined ? made : made.slice(root.length - 2); }
      case 'rmForce': return fs.rmSync(p(c.path), { recursive: true, force: true });
      case 'fd': {
        // Open, write at the fd's position (or the end), read everything back, close: the open
        // flags on files, directories and links.
        const fd = fs.openSync(p(c.path), c.flags);
        const out: unknown[] = [];
        try {
          try { out.push(fs.writeSync(fd, c.text)); } catch (err) { out.push(`!${(err as { code?: string }).code}`); }
          const buffer = Buffer.alloc(64);
          try { out.push(buffer.toString('utf8', 0, fs.readSync(fd, buffer, 0, 64, 0))); } catch (err) { out.push(`!${(err as { code?: string }).code}`); }
          out.push(fs.fstatSync(fd).isDirectory());
        } finally {
          fs.closeSync(fd);
        }
        return out;
      }
    }
  } catch (err) {
    return `!${(err as { code?: string }).code}`;
  }
}

/** The whole tree: kind, contents or target, and link count of every entry (lstat, no following). */
function tree(fs: Fs, root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(rel === '' ? root : `${root}/${rel}`).sort()) {
    const path = rel === '' ? entry : `${rel}/${entry}`;
    const st = fs.lstatSync(`${root}/${path}`);
    if (st.isSymbolicLink()) out.push(`${path} -> ${fs.readlinkSync(`${root}/${path}`)} n${st.nlink}`);
    else if (st.isDirectory()) { out.push(`${path}/`); out.push(...tree(fs, root, path)); }
    else out.push(`${path} = ${fs.readFileSync(`${root}/${path}`, 'utf8')} n${st.nlink}`);
  }
  return out;
}

describe('node.fs against real node:fs: random call sequences', function () {
  this.timeout(300_000);
  let base: string;
  let run = 0;
  before(function () {
    base = realFs.realpathSync(realFs.mkdtempSync(join(tmpdir(), 'faultline-nodefs-diff-')));
  });
  after(function () {
    realFs.rmSync(base, { recursive: true, force: true });
  });
  /**
   * A fresh real directory and simulated node for one sequence. The compared roots sit one level
   * down, so a link to '../a' stays inside the run's own directory on both disks.
   */
  const fresh = (): { runDir: string; realRoot: string; simFs: Fs } => {
    const runDir = `${base}/r${run++}`;
    const realRoot = `${runDir}/w`;
    realFs.mkdirSync(realRoot, { recursive: true });
    const simFs = new Simulation({ seed: run }).node('n').fs as unknown as Fs;
    simFs.mkdirSync('/x/w', { recursive: true });
    return { runDir, realRoot, simFs };
  };

  it(`every outcome and the final tree agree, synchronous API (${RUNS} sequences of up to 30 calls)`, function () {
    fc.assert(fc.property(fc.array(cmd, { maxLength: 30 }), (cmds) => {
      const { runDir, realRoot, simFs } = fresh();
      try {
        for (const c of cmds) {
          const real = apply(realFs, realRoot, c);
          const simulated = apply(simFs, '/x/w', c);
          expect(simulated, JSON.stringify(c)).to.deep.equal(real);
        }
        expect(tree(simFs, '/x')).to.deep.equal(tree(realFs, runDir));
      } finally {
        realFs.rmSync(runDir, { recursive: true, force: true });
      }
    }), { numRuns: RUNS, seed: SEED });
  });

  it(`every outcome and the final tree agree, fs.promises (${RUNS} sequences of up to 30 calls)`, async function () {
    await fc.assert(fc.asyncProperty(fc.array(cmd, { maxLength: 30 }), async (cmds) => {
      const { runDir, realRoot, simFs } = fresh();
      try {
        for (const c of cmds) {
          const real = await applyAsync(realFs, realRoot, c);
          const simulated = await applyAsync(simFs, '/x/w', c);
          expect(simulated, JSON.stringify(c)).to.deep.equal(real);
        }
        expect(tree(simFs, '/x')).to.deep.equal(tree(realFs, runDir));
      } finally {
        realFs.rmSync(runDir, { recursive: true, force: true });
      }
    }), { numRuns: RUNS, seed: SEED });
  });
});

/** The same commands through `fs.promises` (FileHandle for the fd command). */
async function applyAsync(fs: Fs, root: string, c: Cmd): Promise<unknown> {
  const p = (s: string): string => `${root}/${s}`;
  const f = fs.promises;
  try {
    switch (c.op) {
      case 'writeFile': return await f.writeFile(p(c.path), c.text);
      case 'appendFile': return await f.appendFile(p(c.path), c.text);
      case 'mkdir': return await f.mkdir(p(c.path));
      case 'rmdir': return await f.rmdir(p(c.path));
      case 'unlink': return await f.unlink(p(c.path));
      case 'readFile': return await f.readFile(p(c.path), 'utf8');
      case 'readdir': return (await f.readdir(p(c.path))).sort();
      case 'stat': { const st = await f.stat(p(c.path)); return [st.isFile(), st.isDirectory(), st.isDirectory() ? 0 : st.size, st.isDirectory() ? 0 : st.nlink]; }
      case 'lstat': { const st = await f.lstat(p(c.path)); return [st.isFile(), st.isDirectory(), st.isSymbolicLink(), st.isDirectory() ? 0 : st.nlink]; }
      case 'readlink': return await f.readlink(p(c.path));
      case 'realpath': return (await f.realpath(p(c.path))).slice(root.length - 2);
      case 'rm': return await f.rm(p(c.path), { recursive: true });
      case 'exists': return await new Promise((resolve) => fs.exists(p(c.path), resolve));
      case 'rename': return await f.rename(p(c.path), p(c.to));
      case 'link': return await f.link(p(c.path), p(c.to));
      case 'copyFile': return await f.copyFile(p(c.path), p(c.to));
      case 'symlink': return await f.symlink(c.target, p(c.path));
      case 'truncate': return await f.truncate(p(c.path), c.length);
      case 'mkdirp': { const made = await f.mkdir(p(c.path), { recursive: true }); return made === undefined ? made : made.slice(root.length - 2); }
      case 'rmForce': return await f.rm(p(c.path), { recursive: true, force: true });
      case 'fd': {
        const handle = await f.open(p(c.path), c.flags);
        const out: unknown[] = [];
        try {
          try { out.push((await handle.write(c.text)).bytesWritten); } catch (err) { out.push(`!${(err as { code?: string }).code}`); }
          const buffer = Buffer.alloc(64);
          try { out.push(buffer.toString('utf8', 0, (await handle.read(buffer, 0, 64, 0)).bytesRead)); } catch (err) { out.push(`!${(err as { code?: string }).code}`); }
          out.push((await handle.stat()).isDirectory());
        } finally {
          await handle.close();
        }
        return out;
      }
    }
  } catch (err) {
    return `!${(err as { code?: string }).code}`;
  }
}

describe('node.fs: simulated latency changes no outcome of fs.promises', function () {
  this.timeout(300_000);
  it(`same outcomes and tree with latency on and off (${RUNS} sequences)`, async function () {
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(cmd, { maxLength: 30 }), async (cmds) => {
      run++;
      const plainFs = new Simulation({ seed: run }).node('n').fs as unknown as Fs;
      const sim = new Simulation({ seed: run, latency: true });
      const slowFs = sim.node('n').fs as unknown as Fs;
      plainFs.mkdirSync('/x/w', { recursive: true });
      slowFs.mkdirSync('/x/w', { recursive: true });
      // The run without latency first: inside `sim.run` only that simulation's events move.
      const expected: unknown[] = [];
      for (const c of cmds) expected.push(await applyAsync(plainFs, '/x/w', c));
      await sim.run(async () => {
        for (const [i, c] of cmds.entries()) {
          expect(await applyAsync(slowFs, '/x/w', c), JSON.stringify(c)).to.deep.equal(expected[i]);
        }
      });
      expect(tree(slowFs, '/x')).to.deep.equal(tree(plainFs, '/x'));
    }), { numRuns: RUNS, seed: SEED });
  });
});
