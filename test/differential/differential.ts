/**
 * The differential test: the same seeded sequence of Io calls runs on the real kernel (node:fs
 * Sync calls in a temporary directory, see `runners.ts`) and on every backend; after each step
 * the results must be equal (values, error codes, bytes read, stat fields that matter), after
 * each step that changes the namespace the trees must be equal, and at the end so must the files'
 * bytes. fast-check generates the sequences and shrinks a divergence to a minimal one, printed
 * with its seed and a one-line replay command.
 *
 * Backends: FsIo on node:fs, UringIo (where io_uring works), SimIo, and FsIo over memfs. memfs
 * holds a file in one Buffer, so it only runs the sequences without big offsets (one in four has
 * them: around 2^31, 2^32 and the 2^44 limits, which the others store sparsely).
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Volume } from 'memfs';
import { FsIo } from '../../src/backends/fs/index.js';
import { UringIo } from '../../src/backends/iouring/index.js';
import { Simulation } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { IoRunner, KernelRunner, type Outcome } from './runners.js';
import { renderOp, sequenceArb, SETUP, type Op, type Sequence } from './ops.js';

/** ext4's magic in statfs: the size answers (2^44 - 4096) are ext4's. */
const EXT4_SUPER_MAGIC = 0xef53;

export interface BackendSpec {
  readonly name: string;
  /** Runs sequences with big offsets (false for memory-backed modules). */
  readonly big: boolean;
  create(): Promise<{ io: Io; dispose(): Promise<void> }>;
}

let tempCounter = 0;

function tempDir(label: string): string {
  return fs.mkdtempSync(join(tmpdir(), `faultline-diff-${label}-${process.pid}-${tempCounter++}-`));
}

export function backends(): BackendSpec[] {
  const list: BackendSpec[] = [
    {
      name: 'fs',
      big: true,
      async create() {
        const root = tempDir('fs');
        const io = new FsIo({ root });
        return { io, dispose: async () => { await io.shutdown(); fs.rmSync(root, { recursive: true, force: true }); } };
      },
    },
    {
      // FsIo where the kernel resolver is unavailable (no addon, no /proc): the JS walk.
      name: 'fs-walk',
      big: true,
      async create() {
        const root = tempDir('fs-walk');
        const io = new FsIo({ root, kernelResolution: false });
        return { io, dispose: async () => { await io.shutdown(); fs.rmSync(root, { recursive: true, force: true }); } };
      },
    },
    {
      name: 'sim',
      big: true,
      async create() {
        const io = new Simulation({ seed: 'differential' }).node('n').io;
        return { io, dispose: () => io.shutdown() };
      },
    },
    {
      name: 'memfs',
      big: false,
      async create() {
        const volume = new Volume();
        volume.mkdirSync('/root');
        const io = new FsIo({ root: '/root', fs: volume as never, backendName: 'memfs' });
        return { io, dispose: () => io.shutdown() };
      },
    },
  ];
  if (UringIo.isSupported().supported) {
    list.push({
      name: 'iouring',
      big: true,
      async create() {
        const root = tempDir('uring');
        const io = new UringIo({ root });
        return { io, dispose: async () => { await io.shutdown(); fs.rmSync(root, { recursive: true, force: true }); } };
      },
    });
  }
  return list;
}

/** Whether the kernel's file system here gives ext4's size answers (else big sequences are skipped). */
export function kernelIsExt4(): boolean {
  const probe = tempDir('probe');
  try {
    return fs.statfsSync(probe).type === EXT4_SUPER_MAGIC;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

class Divergence extends Error {}

const NAMESPACE_OPS = new Set<Op['op']>(['open', 'rename', 'unlink', 'mkdir', 'rmdir', 'truncate', 'write', 'writev', 'allocate']);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(outcome: Outcome): string {
  return JSON.stringify(outcome);
}

/** Runs one sequence on the kernel and on `specs`; throws a {@link Divergence} at the first difference. */
export async function checkSequence(sequence: Sequence, specs: readonly BackendSpec[]): Promise<void> {
  const kernelRoot = tempDir('kernel');
  const kernel = new KernelRunner(kernelRoot);
  const sides: { spec: BackendSpec; runner: IoRunner; dispose(): Promise<void> }[] = [];
  try {
    for (const spec of specs) {
      if (sequence.big && !spec.big) continue;
      const { io, dispose } = await spec.create();
      sides.push({ spec, runner: new IoRunner(io), dispose });
    }
    const ops = [...SETUP, ...sequence.ops];
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index] as Op;
      const step = index < SETUP.length ? `setup ${index}` : `${index - SETUP.length}`;
      const expected = kernel.run(op);
      for (const side of sides) {
        const got = await side.runner.run(op);
        if (!same(expected, got)) {
          throw new Divergence(`step ${step} ${renderOp(op)}: kernel ${show(expected)}, ${side.spec.name} ${show(got)}`);
        }
      }
      if ('ok' in expected && NAMESPACE_OPS.has(op.op)) {
        const tree = kernel.tree();
        for (const side of sides) {
          const got = await side.runner.tree();
          if (!same(tree, got)) throw new Divergence(`after step ${step} ${renderOp(op)}: tree: kernel ${JSON.stringify(tree)}, ${side.spec.name} ${JSON.stringify(got)}`);
        }
      }
    }
    // The bytes of every small file.
    const tree = kernel.tree();
    for (const [path, what] of Object.entries(tree)) {
      const sizeBytes = what.startsWith('file ') ? Number(what.slice(5)) : -1;
      if (sizeBytes < 0 || sizeBytes > 1 << 20) continue;
      const want = kernel.content(path);
      for (const side of sides) {
        const got = await side.runner.content(path, sizeBytes);
        if (want !== got) throw new Divergence(`at the end: bytes of ${JSON.stringify(path)} differ: kernel ${want.slice(0, 80)}, ${side.spec.name} ${got.slice(0, 80)}`);
      }
    }
  } finally {
    kernel.closeAll();
    fs.rmSync(kernelRoot, { recursive: true, force: true });
    for (const side of sides) {
      await side.runner.closeAll();
      await side.dispose();
    }
  }
}

export interface DifferentialOptions {
  readonly runs: number;
  readonly opsMax: number;
  readonly seed?: number;
  readonly path?: string;
  /** Backend names to run (default: all available). */
  readonly only?: readonly string[];
  /** Backends to run instead of the built-in ones (the harness's own test plants a bug this way). */
  readonly specs?: readonly BackendSpec[];
}

/**
 * Runs the property; resolves with undefined when every sequence agreed, or with a report (seed,
 * minimal sequence, replay command) for the first divergence after shrinking.
 */
export async function runDifferential(options: DifferentialOptions): Promise<string | undefined> {
  const ext4 = kernelIsExt4();
  const specs = (options.specs ?? backends()).filter((b) => options.only === undefined || options.only.includes(b.name));
  const arb = sequenceArb(options.opsMax).filter((s) => ext4 || !s.big);
  const params: fc.Parameters<[Sequence]> = {
    numRuns: options.runs,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  };
  const details = await fc.check(fc.asyncProperty(arb, (sequence) => checkSequence(sequence, specs)), params);
  if (!details.failed) return undefined;
  const counterexample = details.counterexample?.[0];
  const error = details.errorInstance;
  const lines = [
    `differential test: a backend diverges from the kernel (${details.numShrinks} shrinks)`,
    `  ${error instanceof Error ? error.message : String(error)}`,
    `  seed ${details.seed}, path ${details.counterexamplePath ?? '(none)'}, backends ${specs.map((s) => s.name).join(', ')}`,
    '  minimal sequence (after the fixed SETUP of ops.ts):',
    ...(counterexample?.ops ?? []).map((op, i) => `    ${i}: ${renderOp(op)}`),
    `  replay: FAULTLINE_DIFF_SEED=${details.seed} FAULTLINE_DIFF_PATH=${details.counterexamplePath ?? ''} npx mocha dist/test/differential/differential.test.js`,
  ];
  return lines.join('\n');
}
