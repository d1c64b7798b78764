/**
 * Types shared by the conformance suites: how a backend under test is created and disposed, and
 * the manifest of what it supports. A third party testing its own backend implements a
 * {@link BackendFactory} and a {@link ConformanceSupports} and calls the `define*` functions.
 */
import type { Io } from '../../src/interfaces/io.js';

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
   * exists and contains a file named `outside.txt`, for symlink-escape tests. Optional: without it
   * the suite links to the root's parent directory.
   */
  readonly outsideDirectory?: string;
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
  /** Free-text reasons for anything marked unsupported (printed by the suite so a skip says why). */
  readonly reasons?: Readonly<Record<string, string>>;
  /**
   * Per-test timeout in milliseconds for suites on slow backends (default: mocha's configured
   * timeout).
   */
  readonly timeoutMs?: number;
}

/** The reason a capability is unsupported, for the pending-test title. */
export function skipReason(supports: ConformanceSupports, capability: string): string {
  return supports.reasons?.[capability] ?? `backend does not support ${capability}`;
}
