/**
 * Trailing `/` and last `.` where they meet symbolic links, on the kernel and on every backend.
 * The random differential test cannot make links (the core Io has no symlink call), so this
 * table builds the same small tree with relative links on each side (node:fs for the kernel,
 * FsIo with either resolver and UringIo; memfs's own symlinkSync; SimIo's `symlink`) and compares
 * every call's answer, then the tree, with the kernel's, one fresh tree per call.
 *
 * Linux's rules being checked: a trailing slash makes open/stat/readdir follow a last link (and
 * demand a directory); unlink and rmdir judge the link itself (`ENOTDIR` for a link to a
 * directory); mkdir of an existing link name is `EEXIST`; a last `.` makes the walk enter a link
 * whatever the call; rename never follows a last component (`ENOTDIR` for a link with a slash).
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Volume } from 'memfs';
import { FsIo } from '../../src/backends/fs/index.js';
import { UringIo } from '../../src/backends/iouring/index.js';
import { Simulation } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { IoRunner, KernelRunner, type Outcome } from './runners.js';
import { renderOp, type Op } from './ops.js';

/** The tree: a file, directories (one empty) and links to each kind, one dangling, one chained. */
const FILES: ReadonlyArray<readonly [string, string]> = [['a', 'x'], ['d/f', 'y']];
const DIRS = ['d', 'e'];
const LINKS: ReadonlyArray<readonly [string, string]> = [
  ['ld', 'd'], ['le', 'e'], ['lf', 'a'], ['ln', 'missing'], ['lld', 'ld'], ['d/up', '../e'],
];

function buildOnNodeFs(root: string, api: Pick<typeof fs, 'mkdirSync' | 'writeFileSync' | 'symlinkSync'>): void {
  for (const dir of DIRS) api.mkdirSync(`${root}/${dir}`);
  for (const [path, text] of FILES) api.writeFileSync(`${root}/${path}`, text);
  for (const [path, target] of LINKS) api.symlinkSync(target, `${root}/${path}`);
}

interface Side {
  readonly name: string;
  /** A fresh tree; returns the runner and a cleanup. */
  create(): Promise<{ readonly run: (op: Op) => Promise<Outcome>; readonly listing: () => Promise<string>; readonly dispose: () => Promise<void> }>;
}

function tempRoot(label: string): string {
  return fs.mkdtempSync(join(tmpdir(), `faultline-links-${label}-`));
}

/** Names and kinds under the root as the Io sees them (links show as what they point to, or missing). */
async function ioListing(io: Io): Promise<string> {
  const out: string[] = [];
  for (const dir of ['.', 'd', 'e']) {
    let names: string[];
    try { names = await io.readdir(dir); } catch { out.push(`${dir}: -`); continue; }
    out.push(`${dir}: ${names.join(',')}`);
  }
  return out.join(' | ');
}

function kernelListing(root: string): string {
  const out: string[] = [];
  for (const dir of ['.', 'd', 'e']) {
    let names: string[];
    try { names = fs.readdirSync(`${root}/${dir}`).sort(); } catch { out.push(`${dir}: -`); continue; }
    out.push(`${dir}: ${names.join(',')}`);
  }
  return out.join(' | ');
}

function ioSide(name: string, make: () => Promise<{ io: Io; dispose: () => Promise<void> }>): Side {
  return {
    name,
    async create() {
      const { io, dispose } = await make();
      const runner = new IoRunner(io);
      return { run: (op) => runner.run(op), listing: () => ioListing(io), dispose };
    },
  };
}

function nodeFsRooted(name: string, open: (root: string) => Io): Side {
  return ioSide(name, () => {
    const root = tempRoot(name);
    buildOnNodeFs(root, fs);
    const io = open(root);
    return Promise.resolve({ io, dispose: async () => { await io.shutdown(); fs.rmSync(root, { recursive: true, force: true }); } });
  });
}

const SIDES: Side[] = [
  nodeFsRooted('fs (kernel resolver)', (root) => new FsIo({ root })),
  nodeFsRooted('fs (walk resolver)', (root) => new FsIo({ root, kernelResolution: false })),
  ioSide('memfs', () => {
    const volume = new Volume();
    volume.mkdirSync('/root');
    buildOnNodeFs('/root', volume as unknown as typeof fs);
    const io = new FsIo({ root: '/root', fs: volume as never, backendName: 'memfs' });
    return Promise.resolve({ io, dispose: () => io.shutdown() });
  }),
  ioSide('sim', async () => {
    const io = new Simulation({ seed: 'links' }).node('n').io;
    for (const dir of DIRS) await io.mkdir(dir);
    for (const [path, text] of FILES) {
      const fd = await io.open(path, { write: true, create: true });
      await io.write(fd, new TextEncoder().encode(text), 0);
      await io.close(fd);
    }
    for (const [path, target] of LINKS) await io.symlink(target, path);
    return { io, dispose: () => io.shutdown() };
  }),
];
if (UringIo.isSupported().supported) SIDES.push(nodeFsRooted('iouring', (root) => new UringIo({ root })));

// `le` (a link to an empty directory) and the mark `/./` answer as `ld` and `/.` do; they are left
// out to keep the test short (every call costs a fresh tree on five backends).
const NAMES = ['ld', 'lf', 'ln', 'lld', 'd/up'];
const MARKS = ['', '/', '/.'];
const CALLS: Op[] = [];
for (const name of NAMES) {
  for (const mark of MARKS) {
    const path = `${name}${mark}`;
    CALLS.push(
      { op: 'stat', path },
      { op: 'readdir', path },
      { op: 'open', path, flags: {} },
      { op: 'open', path, flags: { directory: true } },
      { op: 'open', path, flags: { write: true } },
      { op: 'open', path, flags: { write: true, create: true } },
      { op: 'open', path, flags: { write: true, create: true, exclusive: true } },
      { op: 'unlink', path },
      { op: 'rmdir', path },
      { op: 'mkdir', path },
      { op: 'rename', from: path, to: 'new' },
      { op: 'rename', from: path, to: 'e' },
      { op: 'rename', from: 'e', to: path },
      { op: 'rename', from: 'a', to: path },
    );
  }
}

describe('trailing marks meet symbolic links: every backend answers as the kernel', function () {
  this.timeout(300_000);

  it(`${SIDES.length} backends, ${CALLS.length} calls on a fresh tree for each that may change it, compared with the kernel's answer and tree`, async function () {
    const divergences: string[] = [];
    // Calls that cannot change the tree share one per backend; the others get a fresh one each.
    const shared = new Map<Side, Awaited<ReturnType<Side['create']>>>();
    const readOnly = (op: Op): boolean => op.op === 'stat' || op.op === 'readdir' || (op.op === 'open' && op.flags.write !== true && op.flags.create !== true);
    for (const op of CALLS) {
      const kernelRoot = tempRoot('kernel');
      let expected: Outcome;
      let expectedTree: string;
      try {
        buildOnNodeFs(kernelRoot, fs);
        const kernel = new KernelRunner(kernelRoot);
        expected = kernel.run(op);
        kernel.closeAll();
        expectedTree = kernelListing(kernelRoot);
      } finally {
        fs.rmSync(kernelRoot, { recursive: true, force: true });
      }
      for (const side of SIDES) {
        let instance = readOnly(op) ? shared.get(side) : undefined;
        if (instance === undefined) {
          instance = await side.create();
          if (readOnly(op)) shared.set(side, instance);
        }
        const { run, listing, dispose } = instance;
        try {
          const got = await run(op);
          const tree = await listing();
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            divergences.push(`${renderOp(op)}: kernel ${JSON.stringify(expected)}, ${side.name} ${JSON.stringify(got)}`);
          } else if (tree !== expectedTree) {
            divergences.push(`${renderOp(op)}: kernel tree ${expectedTree}, ${side.name} ${tree}`);
          }
        } finally {
          if (!readOnly(op)) await dispose();
        }
      }
    }
    for (const instance of shared.values()) await instance.dispose();
    expect(divergences, divergences.join('\n')).to.deep.equal([]);
  });
});
