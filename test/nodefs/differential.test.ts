/**
 * Differential test: random sequences of namespace and data calls (files, directories, hard
 * links, symbolic links, renames over each of them) run against a temporary directory on the real
 * disk and against `node.fs`; after every call the outcome (result or error code) and, at the end,
 * the whole tree (kinds, contents, link targets, link counts) must be the same. Names include
 * trailing slashes (which demand a directory, as on Linux). fast-check shrinks a
 * failing sequence to a minimal one.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import * as realFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../src/backends/sim/index.js';

type Fs = typeof realFs;

const NAMES = ['a', 'b', 'd', 'd/a', 'd/e', 'd/e/f', 'l', 'a/', 'd/', 'l/'];
const TARGETS = ['a', 'b', 'd', 'd/a', 'missing', '../a', 'd/e/../a', 'l', 'e/f'];

type Cmd =
  | { op: 'writeFile' | 'appendFile'; path: string; text: string }
  | { op: 'mkdir' | 'rmdir' | 'unlink' | 'readFile' | 'readdir' | 'stat' | 'lstat' | 'readlink' | 'realpath' | 'rm' | 'exists'; path: string }
  | { op: 'rename' | 'link' | 'copyFile'; path: string; to: string }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'truncate'; path: string; length: number };

const name = fc.constantFrom(...NAMES);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constantFrom('writeFile' as const, 'appendFile' as const), path: name, text: fc.constantFrom('x', 'hello', '') }),
  fc.record({ op: fc.constantFrom('mkdir' as const, 'rmdir' as const, 'unlink' as const, 'readFile' as const, 'readdir' as const, 'stat' as const, 'lstat' as const, 'readlink' as const, 'realpath' as const, 'rm' as const, 'exists' as const), path: name }),
  fc.record({ op: fc.constantFrom('rename' as const, 'link' as const, 'copyFile' as const), path: name, to: name }),
  fc.record({ op: fc.constant('symlink' as const), path: name, target: fc.constantFrom(...TARGETS) }),
  fc.record({ op: fc.constant('truncate' as const), path: name, length: fc.constantFrom(0, 2, 10) }),
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
  this.timeout(120_000);
  let base: string;
  before(function () {
    base = realFs.realpathSync(realFs.mkdtempSync(join(tmpdir(), 'faultline-nodefs-diff-')));
  });
  after(function () {
    realFs.rmSync(base, { recursive: true, force: true });
  });

  it('every outcome and the final tree agree (300 sequences of up to 30 calls)', function () {
    let run = 0;
    fc.assert(fc.property(fc.array(cmd, { maxLength: 30 }), (cmds) => {
      // The compared roots sit one level down, so a link to '../a' stays inside the run's own
      // directory on both disks.
      const runDir = `${base}/r${run++}`;
      const realRoot = `${runDir}/w`;
      realFs.mkdirSync(realRoot, { recursive: true });
      const simFs = new Simulation({ seed: run }).node('n').fs;
      simFs.mkdirSync('/x/w', { recursive: true });
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
    }), { numRuns: Number(process.env["NODEFS_DIFF_RUNS"] ?? 300), seed: Number(process.env["NODEFS_DIFF_SEED"] ?? 20261130) });
  });
});
