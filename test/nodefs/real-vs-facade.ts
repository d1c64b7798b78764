/**
 * The harness of the side-by-side tests: each case runs on a fresh temporary directory of the real
 * disk through `node:fs`, then on a fresh simulated node through `node.fs`, and what it gave
 * (`outcomeOf`) and what it left (`snapshot`) must be the same on both.
 */
import { expect } from 'chai';
import * as realFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../src/backends/sim/index.js';

/**
 * The major version of the Node running the tests. The facade answers as this line's `node:fs`
 * (`src/nodefs/node-line.ts`), so every case runs on every line, against this line's real
 * `node:fs`; a case that exists only on some lines says why where it is listed.
 */
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

export type Fs = typeof realFs;
/** A name inside the case's directory, as a path on the disk under test. */
export type P = (name: string) => string;
export type Case = readonly [name: string, run: (fs: Fs, p: P) => unknown];

export interface Comparison<Left> {
  /** The seed of the simulated node (a fixed one: every case is deterministic). */
  readonly seed: string;
  /** Prefix of the real temporary directory. */
  readonly prefix: string;
  /** What the case starts from, in `root`. */
  readonly populate: (fs: Fs, root: string) => void;
  /** The case's result: the value, or the error's class and code. */
  readonly outcomeOf: (value: unknown) => unknown;
  /** What the case left behind in `root`. */
  readonly snapshot: (fs: Fs, root: string) => Left;
  /** Rewrites a path given to the case (default: `${root}/${name}`). */
  readonly pathOf?: (root: string, name: string) => string;
  /** Applied to the outcome before comparing, with the root of the run (default: none). */
  readonly normalize?: (outcome: unknown, root: string) => unknown;
}

/** `cases(title, list)`: a describe block with one test per case; call once per test file. */
export function realVersusFacade<Left>(comparison: Comparison<Left>): (title: string, list: readonly Case[]) => void {
  let realRoot = '';
  let serial = 0;
  before(function () {
    realRoot = realFs.mkdtempSync(join(tmpdir(), comparison.prefix));
  });
  after(function () {
    if (realRoot !== '') realFs.rmSync(realRoot, { recursive: true, force: true });
  });
  const runOn = async (fs: Fs, root: string, run: Case[1]): Promise<{ outcome: unknown; left: Left }> => {
    comparison.populate(fs, root);
    let outcome: unknown;
    try {
      outcome = comparison.outcomeOf(await run(fs, (name) => (comparison.pathOf ?? ((r: string, n: string) => `${r}/${n}`))(root, name)));
    } catch (err) {
      outcome = comparison.outcomeOf(err);
    }
    return { outcome: comparison.normalize === undefined ? outcome : comparison.normalize(outcome, root), left: comparison.snapshot(fs, root) };
  };
  const compare = async (run: Case[1]): Promise<void> => {
    const real = `${realRoot}/c${serial++}`;
    realFs.mkdirSync(real);
    const fs = new Simulation({ seed: comparison.seed }).node('n').fs as unknown as Fs;
    fs.mkdirSync('/w');
    const expected = await runOn(realFs, real, run);
    const actual = await runOn(fs, '/w', run);
    expect(actual).to.deep.equal(expected);
  };
  return (title, list) => {
    describe(title, function () {
      for (const [name, run] of list) it(name, async function () { await compare(run); });
    });
  };
}

/** Runs `fn` on an fd of `path` opened with `flags`, closed once its result (or its promise) settles. */
export function withFd(fs: Fs, path: string, flags: string | number, fn: (fd: number) => unknown): unknown {
  const fd = fs.openSync(path, flags);
  let result: unknown;
  try {
    result = fn(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  if (!(result instanceof Promise)) {
    fs.closeSync(fd);
    return result;
  }
  return result.finally(() => fs.closeSync(fd));
}

/** Runs `fn` on a FileHandle of `path` (r+), closed once it settles. */
export async function withHandle(fs: Fs, path: string, fn: (h: realFs.promises.FileHandle) => Promise<unknown>): Promise<unknown> {
  const h = await fs.promises.open(path, 'r+');
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}
