/**
 * Which Node line's `node:fs` the facade answers as: the one running it. The supported lines
 * (package.json `engines`: 20, 22, 24, 26) check some arguments differently and, from Node 24,
 * remove trees synchronously with other code; code that runs on a line sees that line's answers,
 * so the facade gives them too. Every difference is one named flag here, with the line that
 * changed it; the facade's code reads the flags, never the version.
 *
 * Each difference was found by running the side-by-side tests (`test/nodefs/*-hostile.test.ts`,
 * real `node:fs` on a temporary directory against the facade) and the differential test under
 * each line's official binary, and reading that line's `lib/fs.js` and `lib/internal/fs/*`.
 */

/** The major version of the Node running this process (read once, here only). */
export const NODE_MAJOR: number = Number.parseInt(process.versions.node, 10);

/** What `node:fs` answers differently from one supported line to the next. */
export interface FsLine {
  /** The major version these answers are those of. */
  readonly major: number;

  // ---- Node 22 ----------------------------------------------------------------------------------

  /**
   * Node 22: read/readSync take a bigint position in [-1n, 2^63 - 1 - length] (ERR_OUT_OF_RANGE
   * otherwise). Node 20 took any int64 (a negative one read at the fd's position) and left a
   * range past 2^63 - 1 to the kernel (EINVAL).
   */
  readonly bigintPositionUpToLength: boolean;
  /**
   * Node 22: FileHandle.read checks its position as read does (an integer >= -1, a bigint in
   * range). Node 20 read at the fd's position for anything but a safe integer, bigints included.
   */
  readonly fileHandleReadPositionChecked: boolean;
  /**
   * Node 22: readSync, writeSync, readvSync and writevSync leave the fd to the binding, which
   * checks it after the other arguments (Node 20 checked it first).
   */
  readonly syncFdCheckedLast: boolean;
  /** Node 22: mkdir and mkdirSync check `recursive` and the mode before the path. */
  readonly mkdirOptionsBeforePath: boolean;
  /**
   * Node 22: statSync with `throwIfNoEntry: false` answers undefined for ENOTDIR too (a path
   * through a file), not only for ENOENT (lstatSync still throws it).
   */
  readonly noEntryIncludesNotDir: boolean;
  /**
   * Node 22: a recursive readdir/readdirSync with `withFileTypes` descends into symbolic links to
   * directories (as the name-only listing always did); `fs.promises.readdir` does from Node 26.
   */
  readonly recursiveDirentsFollowLinks: boolean;

  // ---- Node 24 ----------------------------------------------------------------------------------

  /**
   * Node 24: read, readSync and FileHandle.read check the position before anything else about
   * the read (a zero length, an empty buffer, the offset and length), and FileHandle.read takes
   * its length as `length |= 0` (Node 20 and 22 handed a non-int32 length to their binding,
   * which aborts the process: the facade refuses it there with ERR_OUT_OF_RANGE).
   */
  readonly readPositionCheckedFirst: boolean;
  /**
   * Node 24: rmSync, and rmdirSync with `recursive`, run in C++ (`binding.rmSync`, libstdc++'s
   * `std::filesystem::remove_all`) instead of the JavaScript rimraf, which the callback and
   * promise forms keep: a trailing `/` or `/.` empties the directory it names before failing,
   * a path through a file is "nothing to remove", and errors other than EPERM, ENOTEMPTY,
   * ENOTDIR and EACCES have no code. rmSync also checks its options before its path.
   */
  readonly nativeRmSync: boolean;
  /** Until Node 24: truncate/truncateSync given an fd (a number) truncate it (deprecated DEP0081). */
  readonly truncateTakesFd: boolean;
  /**
   * Node 24: symlink's type must be 'dir', 'file', 'junction', null or undefined
   * (ERR_INVALID_ARG_VALUE), checked first. Node 20 and 22 ignored a non-string and refused an
   * unknown string after the paths (ERR_FS_INVALID_SYMLINK_TYPE).
   */
  readonly symlinkTypeOneOf: boolean;
  /**
   * Node 24: fs.stat (callback) and fs.promises.stat honour `throwIfNoEntry: false`, and
   * fs.stat reads an options object through getOptions (its `encoding` is checked).
   */
  readonly asyncStatNoEntry: boolean;

  // ---- Node 26 ----------------------------------------------------------------------------------

  /**
   * Node 26: rmdir's `recursive` option is gone: any `options.recursive` other than undefined is
   * ERR_INVALID_ARG_VALUE, and the other options are only required to be an object.
   */
  readonly rmdirRecursiveRemoved: boolean;
  /** Node 26: rm's options are checked `force` first, then `recursive`, `retryDelay`, `maxRetries`. */
  readonly rmForceCheckedFirst: boolean;
  /**
   * Node 26: writeFile, appendFile (all forms) and FileHandle.writeFile check `options.mode`
   * before anything else, whatever they write to (Node 24 checked it only when opening a path).
   */
  readonly writeFileModeFirst: boolean;
  /**
   * Node 26: fs.promises.writeFile/appendFile of at most 512 KiB to a path, without `flush`,
   * open, write and close in one request, which reads a detached buffer as empty (Node 24
   * opened the file and then threw the engine's TypeError).
   */
  readonly promisesWriteFileOneRequest: boolean;
  /** Node 26: open and openSync check the flags and the mode before the path. */
  readonly openFlagsBeforePath: boolean;
  /** Node 26: fs.promises.readdir with `recursive` and `withFileTypes` descends into links to directories. */
  readonly promisesRecursiveDirentsFollowLinks: boolean;
  /**
   * Node 26: fs.promises.stat and lstat require their options to be an object, and fs.lstat
   * (callback) reads an options object through getOptions.
   */
  readonly statOptionsObject: boolean;
}

/** The answers of Node line `major` (a line before 20 answers as 20, one after 26 as 26). */
export function fsLine(major: number): FsLine {
  const from = (line: number): boolean => major >= line;
  return {
    major,
    bigintPositionUpToLength: from(22),
    fileHandleReadPositionChecked: from(22),
    syncFdCheckedLast: from(22),
    mkdirOptionsBeforePath: from(22),
    noEntryIncludesNotDir: from(22),
    recursiveDirentsFollowLinks: from(22),
    readPositionCheckedFirst: from(24),
    nativeRmSync: from(24),
    truncateTakesFd: !from(24),
    symlinkTypeOneOf: from(24),
    asyncStatNoEntry: from(24),
    rmdirRecursiveRemoved: from(26),
    rmForceCheckedFirst: from(26),
    writeFileModeFirst: from(26),
    promisesWriteFileOneRequest: from(26),
    openFlagsBeforePath: from(26),
    promisesRecursiveDirentsFollowLinks: from(26),
    statOptionsObject: from(26),
  };
}

/** The line this process runs on: what the facade answers as. */
export const LINE: FsLine = fsLine(NODE_MAJOR);
