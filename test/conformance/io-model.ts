/**
 * Model-based test of an Io: fast-check drives random sequences of operations against the backend
 * and against a small in-memory reference of Linux semantics, and compares every result and error
 * code. A failure prints the fast-check seed and shrunk path, which replays it.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io, OpenFlags } from '../../src/interfaces/io.js';
import { conformanceRunner, MODEL_TIMEOUT_DEFAULT_MS, type BackendFactory, type ConformanceSupports, type TestRunnerFunctions } from './harness.js';
import { assertModel } from './model-check.js';

/** A result as both sides report it: a value, or an error code. */
type Outcome = { readonly ok: unknown } | { readonly err: string };

interface Inode { data: Uint8Array }
type Node = { readonly kind: 'file'; readonly inode: Inode } | { readonly kind: 'dir' };
interface Handle { readonly inode: Inode | undefined; readonly readable: boolean; readonly writable: boolean }

/** The paths the model plays with: few enough that operations collide often. */
const PATHS = ['a', 'b', 'd', 'e', 'd/a', 'd/b', 'd/d', 'e/a', 'd/d/a', 'a/x'] as const;

const OPEN_VARIANTS: readonly OpenFlags[] = [
  { write: true, create: true },
  { write: true, create: true },
  { read: true, write: true, create: true },
  { read: true, write: true, create: true },
  {},
  { read: true, write: true },
  { write: true, create: true, exclusive: true },
  { write: true, truncate: true },
  { directory: true },
];

type Op =
  | { readonly kind: 'open'; readonly path: string; readonly flags: OpenFlags }
  | { readonly kind: 'write'; readonly slot: number; readonly offsetBytes: number; readonly lengthBytes: number; readonly seed: number }
  | { readonly kind: 'read'; readonly slot: number; readonly offsetBytes: number; readonly lengthBytes: number }
  | { readonly kind: 'truncate'; readonly slot: number; readonly lengthBytes: number }
  | { readonly kind: 'fsync'; readonly slot: number; readonly dataOnly: boolean }
  | { readonly kind: 'close'; readonly slot: number }
  | { readonly kind: 'statFd'; readonly slot: number }
  | { readonly kind: 'stat'; readonly path: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }
  | { readonly kind: 'unlink'; readonly path: string }
  | { readonly kind: 'mkdir'; readonly path: string }
  | { readonly kind: 'rmdir'; readonly path: string }
  | { readonly kind: 'readdir'; readonly path: string };

function fill(lengthBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i++) out[i] = (seed * 31 + i * 7 + 1) & 0xff;
  return out;
}

function hex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

class ModelError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** The reference: a tree of files and directories with Linux's error order. */
class Model {
  readonly nodes = new Map<string, Node>();
  readonly handles: Handle[] = [];

  /** Walks the directories leading to `path` (not `path` itself), as path lookup does. */
  private walkParent(path: string): void {
    const parts = path.split('/');
    let prefix = '';
    for (let i = 0; i < parts.length - 1; i++) {
      prefix = prefix === '' ? parts[i]! : `${prefix}/${parts[i]!}`;
      const node = this.nodes.get(prefix);
      if (node === undefined) throw new ModelError('ENOENT');
      if (node.kind !== 'dir') throw new ModelError('ENOTDIR');
    }
  }

  private children(dir: string): string[] {
    const prefix = dir === '.' ? '' : `${dir}/`;
    const names: string[] = [];
    for (const p of this.nodes.keys()) {
      if (p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) names.push(p.slice(prefix.length));
    }
    return names.sort();
  }

  private handle(slot: number): Handle {
    const h = this.handles[slot];
    if (h === undefined) throw new Error('model: bad slot');
    return h;
  }

  apply(op: Op): Outcome {
    try {
      return { ok: this.applyOrThrow(op) };
    } catch (err) {
      if (err instanceof ModelError) return { err: err.code };
      throw err;
    }
  }

  private applyOrThrow(op: Op): unknown {
    switch (op.kind) {
      case 'open': {
        const f = op.flags;
        const write = f.write === true;
        const read = f.read === true || !write;
        this.walkParent(op.path);
        const node = this.nodes.get(op.path);
        if (node === undefined) {
          if (f.create !== true) throw new ModelError('ENOENT');
          const inode: Inode = { data: new Uint8Array(0) };
          this.nodes.set(op.path, { kind: 'file', inode });
          this.handles.push({ inode, readable: read, writable: write });
          return 'fd';
        }
        if (f.create === true && f.exclusive === true) throw new ModelError('EEXIST');
        if (node.kind === 'dir') {
          if (write || f.create === true) throw new ModelError('EISDIR');
          this.handles.push({ inode: undefined, readable: read, writable: false });
          return 'fd';
        }
        if (f.directory === true) throw new ModelError('ENOTDIR');
        if (f.truncate === true) node.inode.data = new Uint8Array(0);
        this.handles.push({ inode: node.inode, readable: read, writable: write });
        return 'fd';
      }
      case 'write': {
        const h = this.handle(op.slot);
        if (!h.writable || h.inode === undefined) throw new ModelError('EBADF');
        const data = fill(op.lengthBytes, op.seed);
        if (data.byteLength > 0) {
          const end = op.offsetBytes + data.byteLength;
          if (end > h.inode.data.byteLength) {
            const grown = new Uint8Array(end);
            grown.set(h.inode.data);
            h.inode.data = grown;
          }
          h.inode.data.set(data, op.offsetBytes);
        }
        return data.byteLength;
      }
      case 'read': {
        const h = this.handle(op.slot);
        if (h.inode === undefined) throw new ModelError('EISDIR');
        if (!h.readable) throw new ModelError('EBADF');
        const size = h.inode.data.byteLength;
        const end = Math.min(size, op.offsetBytes + op.lengthBytes);
        const got = op.offsetBytes >= size ? new Uint8Array(0) : h.inode.data.slice(op.offsetBytes, end);
        return { count: got.byteLength, data: hex(got) };
      }
      case 'truncate': {
        const h = this.handle(op.slot);
        if (!h.writable || h.inode === undefined) throw new ModelError('EINVAL');
        const next = new Uint8Array(op.lengthBytes);
        next.set(h.inode.data.subarray(0, Math.min(op.lengthBytes, h.inode.data.byteLength)));
        h.inode.data = next;
        return undefined;
      }
      case 'fsync':
        this.handle(op.slot);
        return undefined;
      case 'close':
        this.handle(op.slot);
        this.handles.splice(op.slot, 1);
        return undefined;
      case 'statFd': {
        const h = this.handle(op.slot);
        return h.inode === undefined ? { isFile: false, isDirectory: true } : { sizeBytes: h.inode.data.byteLength, isFile: true, isDirectory: false };
      }
      case 'stat': {
        this.walkParent(op.path);
        const node = this.nodes.get(op.path);
        if (node === undefined) throw new ModelError('ENOENT');
        return node.kind === 'dir' ? { isFile: false, isDirectory: true } : { sizeBytes: node.inode.data.byteLength, isFile: true, isDirectory: false };
      }
      case 'rename': {
        // Linux's order (do_renameat2, vfs_rename): both parents, the source, the ancestor traps,
        // then the kinds of source and target.
        this.walkParent(op.from);
        this.walkParent(op.to);
        const src = this.nodes.get(op.from);
        if (src === undefined) throw new ModelError('ENOENT');
        if (op.to.startsWith(`${op.from}/`)) throw new ModelError('EINVAL');
        if (op.from.startsWith(`${op.to}/`)) throw new ModelError('ENOTEMPTY');
        if (op.from === op.to) return undefined;
        const dst = this.nodes.get(op.to);
        if (dst !== undefined) {
          if (src.kind === 'dir' && dst.kind !== 'dir') throw new ModelError('ENOTDIR');
          if (src.kind !== 'dir' && dst.kind === 'dir') throw new ModelError('EISDIR');
          if (dst.kind === 'dir' && this.children(op.to).length > 0) throw new ModelError('ENOTEMPTY');
        }
        this.nodes.delete(op.to);
        const moved: Array<[string, Node]> = [];
        for (const [p, n] of this.nodes) {
          if (p === op.from || p.startsWith(`${op.from}/`)) moved.push([p, n]);
        }
        for (const [p] of moved) this.nodes.delete(p);
        for (const [p, n] of moved) this.nodes.set(op.to + p.slice(op.from.length), n);
        return undefined;
      }
      case 'unlink': {
        this.walkParent(op.path);
        const node = this.nodes.get(op.path);
        if (node === undefined) throw new ModelError('ENOENT');
        if (node.kind === 'dir') throw new ModelError('EISDIR');
        this.nodes.delete(op.path);
        return undefined;
      }
      case 'mkdir': {
        this.walkParent(op.path);
        if (this.nodes.has(op.path)) throw new ModelError('EEXIST');
        this.nodes.set(op.path, { kind: 'dir' });
        return undefined;
      }
      case 'rmdir': {
        this.walkParent(op.path);
        const node = this.nodes.get(op.path);
        if (node === undefined) throw new ModelError('ENOENT');
        if (node.kind !== 'dir') throw new ModelError('ENOTDIR');
        if (this.children(op.path).length > 0) throw new ModelError('ENOTEMPTY');
        this.nodes.delete(op.path);
        return undefined;
      }
      case 'readdir': {
        if (op.path === '.') return this.children('.');
        this.walkParent(op.path);
        const node = this.nodes.get(op.path);
        if (node === undefined) throw new ModelError('ENOENT');
        if (node.kind !== 'dir') throw new ModelError('ENOTDIR');
        return this.children(op.path);
      }
    }
  }

  /** Names under the root, for the final whole-tree comparison. */
  listing(): string[] {
    return this.children('.');
  }
}

/** The backend side: the Io and the real fds, slot for slot with the model's handles. */
class Real {
  readonly fds: number[] = [];
  constructor(readonly io: Io) {}

  async apply(op: Op): Promise<Outcome> {
    try {
      return { ok: await this.applyOrThrow(op) };
    } catch (err) {
      if (err instanceof StorageError) return { err: err.code };
      throw err;
    }
  }

  private fd(slot: number): number {
    const fd = this.fds[slot];
    if (fd === undefined) throw new Error('real: bad slot');
    return fd;
  }

  private async applyOrThrow(op: Op): Promise<unknown> {
    const io = this.io;
    switch (op.kind) {
      case 'open':
        this.fds.push(await io.open(op.path, op.flags));
        return 'fd';
      case 'write':
        return io.write(this.fd(op.slot), fill(op.lengthBytes, op.seed), op.offsetBytes);
      case 'read': {
        const buffer = new Uint8Array(op.lengthBytes);
        const n = await io.read(this.fd(op.slot), buffer, op.offsetBytes);
        return { count: n, data: hex(buffer.subarray(0, n)) };
      }
      case 'truncate':
        return io.truncate(this.fd(op.slot), op.lengthBytes);
      case 'fsync':
        return io.fsync(this.fd(op.slot), { dataOnly: op.dataOnly });
      case 'close': {
        const fd = this.fd(op.slot);
        this.fds.splice(op.slot, 1);
        return io.close(fd);
      }
      case 'statFd':
        return describeStat(await io.stat(this.fd(op.slot)));
      case 'stat':
        return describeStat(await io.stat(op.path));
      case 'rename':
        return io.rename(op.from, op.to);
      case 'unlink':
        return io.unlink(op.path);
      case 'mkdir':
        return io.mkdir(op.path);
      case 'rmdir':
        return io.rmdir(op.path);
      case 'readdir':
        return io.readdir(op.path);
    }
  }
}

/** A directory's size is backend-specific: compare only the kind for directories. */
function describeStat(st: { sizeBytes: number; isFile: boolean; isDirectory: boolean }): unknown {
  return st.isDirectory ? { isFile: st.isFile, isDirectory: true } : { sizeBytes: st.sizeBytes, isFile: st.isFile, isDirectory: st.isDirectory };
}

function opLabel(op: Op): string {
  return JSON.stringify(op);
}

/** Outcome counts by operation and code, collected when FAULTLINE_MODEL_COVERAGE is set. */
const coverage: Map<string, number> | undefined = process.env['FAULTLINE_MODEL_COVERAGE'] ? new Map() : undefined;

/** One model command; `slotSeed` picks among the open handles at run time. */
class IoCommand implements fc.AsyncCommand<Model, Real> {
  constructor(private readonly make: (model: Model) => Op, private readonly needsHandle: boolean, private readonly label: string) {}

  check(model: Readonly<Model>): boolean {
    return !this.needsHandle || model.handles.length > 0;
  }

  async run(model: Model, real: Real): Promise<void> {
    const op = this.make(model);
    const expected = model.apply(op);
    if (coverage !== undefined) {
      const key = `${op.kind}:${'err' in expected ? expected.err : 'ok'}`;
      coverage.set(key, (coverage.get(key) ?? 0) + 1);
    }
    const actual = await real.apply(op);
    if (op.kind === 'open' && 'err' in expected && 'ok' in actual) {
      // Keep the sides aligned before failing, so the report is about this command only.
      real.fds.pop();
    }
    expect(actual, `${opLabel(op)}`).to.deep.equal(expected);
  }

  toString(): string {
    return this.label;
  }
}

// Top-level names more often than nested ones, so the tree fills up within one sequence.
const pathArb = fc.oneof(
  { arbitrary: fc.constantFrom(...PATHS.filter((p) => !p.includes('/'))), weight: 3 },
  { arbitrary: fc.constantFrom(...PATHS.filter((p) => p.includes('/'))), weight: 2 },
);

function commandArbs(): Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> {
  const withSlot = (seed: number, model: Model): number => seed % model.handles.length;
  const open = fc.tuple(pathArb, fc.nat(OPEN_VARIANTS.length - 1)).map(([path, v]) => {
    const flags = OPEN_VARIANTS[v]!;
    return new IoCommand(() => ({ kind: 'open', path, flags }), false, `open(${path}, ${JSON.stringify(flags)})`);
  });
  const mkdir = pathArb.map((path) => new IoCommand(() => ({ kind: 'mkdir', path }), false, `mkdir(${path})`));
  const rename = fc.tuple(pathArb, pathArb).map(([from, to]) => new IoCommand(() => ({ kind: 'rename', from, to }), false, `rename(${from}, ${to})`));
  // Tree-building commands are listed more than once: fast-check picks uniformly among the
  // arbitraries, and interesting errors (ENOTEMPTY, EISDIR, ENOTDIR...) need a populated tree.
  return [
    open, open, mkdir, mkdir, rename, rename,
    fc.tuple(fc.nat(), fc.nat(96), fc.nat(48), fc.nat(255)).map(([s, offsetBytes, lengthBytes, seed]) =>
      new IoCommand((m) => ({ kind: 'write', slot: withSlot(s, m), offsetBytes, lengthBytes, seed }), true, `write(#${s}, @${offsetBytes}, ${lengthBytes}b)`)),
    fc.tuple(fc.nat(), fc.nat(128), fc.nat(64)).map(([s, offsetBytes, lengthBytes]) =>
      new IoCommand((m) => ({ kind: 'read', slot: withSlot(s, m), offsetBytes, lengthBytes }), true, `read(#${s}, @${offsetBytes}, ${lengthBytes}b)`)),
    fc.tuple(fc.nat(), fc.nat(128)).map(([s, lengthBytes]) =>
      new IoCommand((m) => ({ kind: 'truncate', slot: withSlot(s, m), lengthBytes }), true, `truncate(#${s}, ${lengthBytes})`)),
    fc.tuple(fc.nat(), fc.boolean()).map(([s, dataOnly]) =>
      new IoCommand((m) => ({ kind: 'fsync', slot: withSlot(s, m), dataOnly }), true, `fsync(#${s}, ${dataOnly})`)),
    fc.nat().map((s) => new IoCommand((m) => ({ kind: 'close', slot: withSlot(s, m) }), true, `close(#${s})`)),
    fc.nat().map((s) => new IoCommand((m) => ({ kind: 'statFd', slot: withSlot(s, m) }), true, `stat(#${s})`)),
    pathArb.map((path) => new IoCommand(() => ({ kind: 'stat', path }), false, `stat(${path})`)),
    pathArb.map((path) => new IoCommand(() => ({ kind: 'unlink', path }), false, `unlink(${path})`)),
    pathArb.map((path) => new IoCommand(() => ({ kind: 'rmdir', path }), false, `rmdir(${path})`)),
    fc.constantFrom('.', 'd', 'e', 'd/d', 'a').map((path) => new IoCommand(() => ({ kind: 'readdir', path }), false, `readdir(${path})`)),
  ];
}

/**
 * Defines a mocha test that runs `supports.modelRuns` (default 200) random command sequences of at
 * most `supports.modelCommandsMax` (default 40) operations against a fresh backend each, checking
 * every result and error code against the reference model, then the whole tree. On failure the
 * error ends with the command that replays it (`FAULTLINE_MODEL_SEED`, `FAULTLINE_MODEL_PATH`).
 */
export function defineIoModelTest(name: string, factory: BackendFactory, supports: ConformanceSupports, runner?: TestRunnerFunctions): void {
  const { describe, it } = conformanceRunner('defineIoModelTest', supports, runner, MODEL_TIMEOUT_DEFAULT_MS);
  describe(`Io model: ${name}`, function () {
    const numRuns = supports.modelRuns ?? 200;
    const maxCommands = supports.modelCommandsMax ?? 40;
    const title = `${numRuns} random operation sequences (up to ${maxCommands} each) match the reference model`;
    it(title, async function () {
      await assertModel(
        `Io model: ${name}: ${title}`,
        fc.asyncProperty(fc.commands(commandArbs(), { maxCommands, size: 'max' }), async (cmds) => {
          const instance = await factory();
          try {
            const model = new Model();
            const real = new Real(instance.io);
            await fc.asyncModelRun(() => ({ model, real }), cmds);
            const io = instance.io;
            expect(await io.readdir('.'), 'final listing').to.deep.equal(model.listing());
            for (const fd of real.fds) await io.close(fd);
            // Tear the tree down, deepest first: every directory must be removable once emptied
            // (catches backends whose entry bookkeeping drifts, e.g. after a replacing rename).
            const paths = [...model.nodes].sort(([a], [b]) => b.split('/').length - a.split('/').length);
            for (const [path, node] of paths) {
              if (node.kind === 'dir') await io.rmdir(path);
              else await io.unlink(path);
            }
            expect(await io.readdir('.'), 'after teardown').to.deep.equal([]);
          } finally {
            await instance.dispose();
          }
        }),
        numRuns,
      );
      if (coverage !== undefined) console.log([...coverage].sort().map(([k, n]) => `${k}=${n}`).join(' '));
    });
  });
}
