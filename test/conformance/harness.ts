/**
 * Types shared by the conformance suites: how a backend under test is created and disposed, and
 * the manifest of what it supports. A third party testing its own backend implements a
 * {@link BackendFactory} and a {@link ConformanceSupports} and calls the `define*` functions.
 */
import type { Io } from '../../src/interfaces/io.js';
import { testRunner, type TestRunner, type TestRunnerFunctions } from '../../src/testing/runner.js';

export type { TestRunnerFunctions } from '../../src/testing/runner.js';

/** One fresh backend, created for a single test and disposed after it. */
export interface BackendInstance {
  /** The Io under test. Its root starts empty. */
  readonly io: Io;
  /**
   * Shuts the Io down (if not already) and removes what it created (temp dirs). Must tolerate the
   * test having already called `io.shutdown()`.
   */
  dispose(): Promise<void>;
  /**
   * Creates a symbolic link at `linkPath` (relative to the root) pointing to `target` (may be
   * absolute / outside). Present only when `supports.symlinks`.
   */
  makeSymlink?(target: string, linkPath: string): Promise<void>;
  /**
   * An absolute path (in the backend's own namespace) of a directory outside the Io root that
   * exists and contains a file named `outside.txt`, for the symlink-escape tests. Required when
   * `supports.symlinks` is true (with {@link BackendInstance.makeSymlink}); not used otherwise.
   */
  readonly outsideDirectory?: string;
  /**
   * The absolute path of the Io root in the backend's own namespace, for the test that an absolute
   * symlink naming a place inside the root is refused like any absolute link. Required when
   * `supports.symlinks`.
   */
  readonly rootDirectory?: string;
}

/** Creates a fresh, empty backend. Called once per test. */
export type BackendFactory = () => Promise<BackendInstance>;

/** What a backend under test supports. Tests it rules out are reported as pending with the reason. */
export interface ConformanceSupports {
  /** O_DIRECT opens with buffers from io.allocAligned. */
  readonly direct: boolean;
  /** O_TMPFILE opens. */
  readonly tmpfile: boolean;
  /** The harness can plant symlinks (for escape tests). */
  readonly symlinks: boolean;
  /** Directory fds can be opened and fsynced. */
  readonly directoryFsync: boolean;
  /**
   * The largest file the backend can hold, when it is below FILE_SIZE_MAX_BYTES (an fs module that
   * keeps each file in one Buffer). The size-limit tests then check EFBIG at this limit and skip
   * the short write just under it (it would allocate the whole file).
   */
  readonly fileSizeMaxBytes?: number;
  /** Runs of each fast-check model test (default 200; CI uses at least a few hundred across backends). */
  readonly modelRuns?: number;
  /** Longest command sequence of one model run (default 40). */
  readonly modelCommandsMax?: number;
  /**
   * Runs the tests of the buffer contract (buffers detached, transferred or shrunk in flight, and
   * hostile buffer, vector and offset arguments). Default true: every backend must pass them.
   */
  readonly bufferContract?: boolean;
  /** Free-text reasons for anything marked unsupported (printed by the suite so a skip says why). */
  readonly reasons?: Readonly<Record<string, string>>;
  /**
   * Per-test timeout in milliseconds, set on whichever runner runs the suite (default 60,000;
   * 300,000 for the model tests).
   */
  readonly timeoutMs?: number;
}

/** The reason a capability is unsupported, for the pending-test title. */
export function skipReason(supports: ConformanceSupports, capability: string): string {
  return supports.reasons?.[capability] ?? `backend does not support ${capability}`;
}

/** Per-test timeout of the suites when the manifest sets none. */
export const SUITE_TIMEOUT_DEFAULT_MS = 60_000;
/** Per-test timeout of the model tests when the manifest sets none. */
export const MODEL_TIMEOUT_DEFAULT_MS = 300_000;

/** The runner adapter a suite defines its tests with (see `src/testing/runner.ts`). */
export function conformanceRunner(
  caller: string, supports: ConformanceSupports, runner: TestRunnerFunctions | undefined, defaultTimeoutMs = SUITE_TIMEOUT_DEFAULT_MS,
): TestRunner {
  return testRunner(caller, supports.timeoutMs ?? defaultTimeoutMs, runner);
}

/**
 * What is wrong with the manifest for this instance, in one message, or `undefined`: a capability
 * the manifest claims or denies that `io.features` says otherwise, or `symlinks: true` without
 * the harness fields the symlink tests need.
 */
export function manifestMismatch(caller: string, name: string, supports: ConformanceSupports, instance: BackendInstance): string | undefined {
  const problems: string[] = [];
  const features = instance.io.features;
  for (const capability of ['direct', 'tmpfile'] as const) {
    if (supports[capability] !== features[capability]) {
      problems.push(`the manifest says ${capability}: ${String(supports[capability])} but io.features.${capability} is ${String(features[capability])}`);
    }
  }
  if (supports.symlinks) {
    if (typeof instance.makeSymlink !== 'function') problems.push('symlinks: true needs makeSymlink(target, linkPath) on the backend instance');
    if (typeof instance.outsideDirectory !== 'string') problems.push('symlinks: true needs outsideDirectory on the backend instance');
  }
  if (problems.length === 0) return undefined;
  return `${caller}('${name}'): ${problems.join('; ')}. Fix the manifest (the supports argument) or the factory.`;
}
