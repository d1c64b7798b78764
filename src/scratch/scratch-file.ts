/**
 * Where anonymous scratch files live and how they disappear.
 *
 * An anonymous scratch file is created in a scratch directory either without a name at all
 * (O_TMPFILE, where the Io offers it) or under a unique name that is unlinked right after the open,
 * followed by an fsync of the directory so the unlink is durable. Either way a crash later leaves
 * nothing behind. The only window is between the create and the unlink; a crash inside it leaves a
 * file whose name matches {@link SCRATCH_FILE_PATTERN}, and {@link sweepScratch} (run by every
 * anonymous `openScratch`) removes such files.
 *
 * Sweeping never harms a live region: a file with such a name is either stale, or inside another
 * opener's create-to-unlink window, in which case that opener keeps its fd (the data lives until
 * the fd is closed) and tolerates `ENOENT` from its own unlink.
 */
import { StorageError } from '../interfaces/errors.js';
import type { Io } from '../interfaces/io.js';
import { snapshotOptions, normalizePath } from '../interfaces/validate.js';
import { checkScratchIo, SWEEP_METHODS, type ScratchIo } from './scratch-io.js';

/** Default scratch directory, relative to the Io root. */
export const SCRATCH_DIRECTORY_DEFAULT = '.faultline-scratch';

/** Names of anonymous scratch files during their create-to-unlink window. */
export const SCRATCH_FILE_PATTERN = /^scratch-[0-9a-z]+-[0-9a-z]+\.tmp$/;

/** Most entries one sweep removes (a bound on the work of a single open). */
export const SWEEP_ENTRIES_MAX = 4096;

/** Attempts at a fresh name before giving up with `EEXIST`. */
const NAME_ATTEMPTS_MAX = 64;

/** Directory levels `ensureDirectory` will create. */
const DIRECTORY_DEPTH_MAX = 64;

/** Names handed out per Io: per Io rather than per process, so a simulation's names (and so its
 * trace) do not depend on what else the process did before. Keyed by the caller's Io, not by its
 * snapshot, which every open takes afresh. */
const nameCounters = new WeakMap<object, number>();

/**
 * A name unlikely to be in use. Deterministic under simulation (the Io's clock and a per-Io
 * counter, no `Math.random`); collisions with other processes are resolved by the exclusive create.
 * `owner` is the Io the caller passed, `io` its snapshot.
 */
export function nextScratchName(io: ScratchIo, owner: object): string {
  const counter = ((nameCounters.get(owner) ?? 0) + 1) % Number.MAX_SAFE_INTEGER;
  nameCounters.set(owner, counter);
  const stamp = Math.max(0, Math.floor(io.clock.now())).toString(36);
  return `scratch-${stamp}-${counter.toString(36)}.tmp`;
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof StorageError && codes.includes(err.code);
}

/** Creates `directory` and its missing parents; an existing directory is fine. */
export async function ensureDirectory(io: ScratchIo, directory: string): Promise<void> {
  const normalized = normalizePath('scratch.open', directory);
  if (normalized === '.') return;
  const parts = normalized.split('/');
  if (parts.length > DIRECTORY_DEPTH_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', 'scratch.open: scratch directory is nested too deeply', {
      operation: 'scratch.open', path: normalized, limit: DIRECTORY_DEPTH_MAX,
    });
  }
  for (let depth = 1; depth <= parts.length; depth += 1) {
    const prefix = parts.slice(0, depth).join('/');
    try {
      await io.mkdir(prefix);
    } catch (err) {
      if (!isCode(err, 'EEXIST')) throw err;
    }
  }
}

/** Makes the entries of `directory` durable (best effort is not enough: errors are returned). */
export async function syncDirectory(io: ScratchIo, directory: string): Promise<void> {
  const fd = await io.open(directory, { directory: true });
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}

/** Options of {@link sweepScratch}. */
export interface SweepScratchOptions {
  /** The scratch directory, relative to the Io root. Default {@link SCRATCH_DIRECTORY_DEFAULT}. */
  readonly directory?: string;
}

/**
 * Removes scratch files left by a crash inside the create-to-unlink window of an anonymous
 * `openScratch`, at most {@link SWEEP_ENTRIES_MAX} per call, then fsyncs the directory when it
 * removed anything. Resolves with the number of files removed; a missing directory is 0. Only
 * names matching {@link SCRATCH_FILE_PATTERN} are touched. `openScratch` runs it already; call it
 * yourself at startup to reclaim space without opening a region. `ERR_INVALID_ARGUMENT` when `io`
 * is not an object with the Io methods a sweep uses (`readdir`, `unlink`, `open`, `fsync`, `close`)
 * or reading one of them throws, and for malformed options.
 */
export async function sweepScratch(io: Io, callerOptions: SweepScratchOptions = {}): Promise<number> {
  const checked = checkScratchIo('scratch.sweep', io, SWEEP_METHODS, false);
  const options = snapshotOptions('scratch.sweep', callerOptions, ['directory']);
  return sweepDirectory(checked, normalizePath('scratch.sweep', options.directory ?? SCRATCH_DIRECTORY_DEFAULT));
}

/** {@link sweepScratch} on an Io already checked and a directory already normalized. */
export async function sweepDirectory(io: ScratchIo, directory: string): Promise<number> {
  let names: string[];
  try {
    names = await io.readdir(directory);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    if (removed >= SWEEP_ENTRIES_MAX) break;
    if (!SCRATCH_FILE_PATTERN.test(name)) continue;
    const path = directory === '.' ? name : `${directory}/${name}`;
    try {
      await io.unlink(path);
      removed += 1;
    } catch (err) {
      // Gone already (another sweeper, or its owner unlinked it), or not a file: leave it.
      if (!isCode(err, 'ENOENT', 'EISDIR', 'EPERM')) throw err;
    }
  }
  if (removed > 0) await syncDirectory(io, directory);
  return removed;
}

/**
 * Creates a file in `directory` that has no name once this resolves. With `tmpfile` true the Io
 * makes it nameless from the start; otherwise it is created under a fresh name, unlinked, and the
 * unlink made durable. Resolves with the fd. `owner` is the Io the caller passed (see
 * {@link nextScratchName}).
 */
export async function createAnonymousFile(io: ScratchIo, owner: object, directory: string, direct: boolean, tmpfile: boolean): Promise<number> {
  if (tmpfile) return io.open(directory, { read: true, write: true, tmpfile: true, direct });
  for (let attempt = 0; attempt < NAME_ATTEMPTS_MAX; attempt += 1) {
    const name = nextScratchName(io, owner);
    const path = directory === '.' ? name : `${directory}/${name}`;
    let fd: number;
    try {
      fd = await io.open(path, { read: true, write: true, create: true, exclusive: true, direct });
    } catch (err) {
      if (isCode(err, 'EEXIST')) continue;
      // Linux refuses O_DIRECT only after O_CREAT made the file: do not leave it to the sweep.
      await io.unlink(path).catch(() => undefined);
      throw err;
    }
    try {
      try {
        await io.unlink(path);
      } catch (err) {
        // A concurrent sweep removed it already: the name is gone, which is all we wanted.
        if (!isCode(err, 'ENOENT')) throw err;
      }
      await syncDirectory(io, directory);
    } catch (err) {
      await io.close(fd).catch(() => undefined);
      throw err;
    }
    return fd;
  }
  throw new StorageError('EEXIST', 'scratch.open: could not find a free scratch file name', {
    operation: 'scratch.open', path: directory, attempts: NAME_ATTEMPTS_MAX,
  });
}
