/**
 * Storage over any Io: partitions are directories under the Io root, blobs are files named by the
 * lowercase hex of their names, each starting with the header of `header.ts`.
 *
 * Architecture: this file handles names, directories and durability; `blob.ts` is one open handle;
 * `buffered.ts` and `direct.ts` move bytes (retrying short transfers, aligning for O_DIRECT);
 * `mutex.ts` and `rw-lock.ts` serialize what must not interleave; `bounce-pool.ts` keeps the
 * aligned buffers of small direct transfers.
 *
 * Durability: a call that creates, removes or replaces a name resolves only after the directories
 * holding the change are fsynced (the partition directory, and the root when the partition itself
 * was created or removed). A creation that failed half-way (an EIO from a header write or an
 * fsync) is remembered, and the next open of that blob or partition redoes the fsyncs before it
 * resolves.
 *
 * Concurrency: open, remove, scan and writeAtomic take a per-partition lock, so a blob is never
 * seen half-created, and two opens of a new blob cannot both write its header. Blob reads and
 * writes take no Storage lock (in direct mode, writes of whole sectors share a per-file lock and
 * other writes and resizes take it alone; see `direct.ts`). Locks and durability bookkeeping are shared by every Storage over the same Io
 * object, so two Storages in one process behave as one; processes sharing a directory are not
 * coordinated (run one Storage owner per directory).
 *
 * Memory: Storage keeps no data cache. Reads allocate exactly the bytes asked for (or fill the
 * caller's buffer); writes hand the caller's buffers to the Io, which must not be changed until the
 * promise settles. Direct mode adds bounce buffers of at most 1 MiB plus one sector per operation;
 * those of up to 16 KiB are reused from a pool of at most 256 per Io (4 MiB).
 *
 * Requirements on the Io: the contract of `src/interfaces/io.ts`. Directory fsync through
 * `open(dir, { directory: true })`; where that rejects with `ERR_UNSUPPORTED` names get no
 * durability and everything else works. Direct mode needs `features.direct` and an alignment that
 * divides the 4096-byte header.
 *
 * Fault model: Io errors reach the caller unchanged (`EIO`, `ENOSPC`...), after the fd of a failed
 * open is closed and the temporary file of a failed writeAtomic is removed (best effort). An `EIO`
 * from `Blob.sync` means the unsynced data may be gone while reads still return it: the caller must
 * treat the blob as failed. A header that is neither valid nor a torn creation is
 * `ERR_BLOB_CORRUPT` and is never rewritten. Not covered: a process that dies (without a power cut)
 * between creating a file and fsyncing its directory leaves a name that the next process sees but
 * that a later power cut can still lose; a database that cares syncs the filesystem at startup.
 */
import { StorageError } from '../interfaces/errors.js';
import { describeCall, inCall } from './call-error.js';
import type { Io, IoFeatures } from '../interfaces/io.js';
import { BLOB_HEADER_BYTES, BLOB_SIZE_MAX_BYTES } from '../interfaces/limits.js';
import type { BlobName, BlobOpenOptions, OpenedBlob, Storage } from '../interfaces/storage.js';
import {
  blobFileName, blobNameFromFileName, checkBuffer, checkOptionalBoolean, snapshotOptions, checkPartitionName, checkVersions, intrinsicByteLength,
  readCallerValue, readIoMethods,
} from '../interfaces/validate.js';
import type { FileAccess } from './access.js';
import { StorageBlob } from './blob.js';
import { BufferedAccess } from './buffered.js';
import { BouncePool } from './bounce-pool.js';
import { DirectAccess } from './direct.js';
import { decodeHeader, encodeHeader } from './header.js';
import { KeyedMutex } from './mutex.js';
import { KeyedRwLock } from './rw-lock.js';

/** Options of {@link createStorage}. */
export interface StorageOptions {
  /**
   * Open blob files with O_DIRECT and move data through aligned bounce buffers (partial sectors
   * are read, modified and written back). Needs `io.features.direct`; `createStorage` throws
   * `ERR_UNSUPPORTED` otherwise. Default false.
   */
  readonly direct?: boolean;
}

const BLOB_OPEN_OPTION_NAMES = ['versions'] as const;

/** Most Storage-level calls (open, remove, scan, writeAtomic) in flight at once. */
export const STORAGE_OPERATIONS_IN_FLIGHT_MAX = 65_536;
/** Suffix of the temporary file of {@link Storage.writeAtomic}: not hex, so never taken for a blob. */
export const ATOMIC_TEMP_SUFFIX = '.tmp';
/** Attempts to open-or-create a blob when something outside this Storage races on the same name. */
const OPEN_ATTEMPTS_MAX = 4;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function codeOf(err: unknown): string | undefined {
  return err instanceof StorageError ? err.code : undefined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The Io methods Storage calls (a shape check at createStorage: see readIoMethods). */
const STORAGE_IO_METHODS = [
  'open', 'close', 'read', 'write', 'writev', 'writeDurable', 'fsync', 'truncate', 'stat', 'unlink', 'rename', 'mkdir', 'readdir', 'rmdir', 'allocAligned',
] as const;

/**
 * Builds a {@link Storage} over `io`. Nothing is touched on disk until the first call. Throws
 * (synchronously: it returns no promise) `ERR_UNSUPPORTED` when `options.direct` is set and the Io
 * has no direct I/O, or its alignment does not divide the header size; `ERR_INVALID_ARGUMENT` for
 * malformed options, and for an `io` that is not an object with the Io's methods (a getter or
 * Proxy trap of it that throws included).
 */

export function createStorage(io: Io, options?: StorageOptions): Storage {
  readIoMethods('createStorage', io, STORAGE_IO_METHODS);
  const direct = checkOptionalBoolean('createStorage', 'direct', snapshotOptions('createStorage', options, ['direct'], 'options', true)?.direct);
  if (direct === true) {
    const features = readCallerValue('createStorage', () => io.features, 'io', "io's features");
    if (typeof features !== 'object' || features === null) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'createStorage: io.features must be an object', { operation: 'createStorage', argument: 'io', member: 'features' });
    }
    const { direct: hasDirect, directAlignmentBytes: alignmentBytes, backend } = readCallerValue('createStorage', () => ({ ...features }), 'io', "io's features") as Partial<IoFeatures>;
    if (hasDirect !== true) {
      throw new StorageError('ERR_UNSUPPORTED', 'this Io has no direct I/O', { operation: 'createStorage', backend });
    }
    if (typeof alignmentBytes !== 'number' || !Number.isInteger(alignmentBytes) || alignmentBytes <= 0 || BLOB_HEADER_BYTES % alignmentBytes !== 0) {
      throw new StorageError('ERR_UNSUPPORTED', 'direct alignment does not divide the blob header size', {
        operation: 'createStorage', alignmentBytes, headerBytes: BLOB_HEADER_BYTES,
      });
    }
  }
  return new IoStorage(io, direct === true);
}

/**
 * What every Storage over the same Io shares: the locks (two Storages over one Io must not both
 * create the same blob) and what is known not to be durable yet (a Storage created after another
 * one's failed creation must still finish it).
 */
interface IoSharedState {
  readonly partitionLocks: KeyedMutex;
  readonly fileLocks: KeyedRwLock;
  /** Aligned bounce buffers of direct transfers, reused across every blob of this Io. */
  readonly bounces: BouncePool;
  /** Partitions created through this Io whose root-directory entry is not yet known durable. */
  readonly partitionsNotDurable: Set<string>;
  /**
   * Blob files whose creation (or atomic replacement) failed after the file got its name, so the
   * name and header may not be durable: the next open of the path redoes the fsyncs before it
   * resolves, or it would hand out a blob that a crash can still take away.
   */
  readonly blobsNotDurable: Set<string>;
}

const sharedByIo = new WeakMap<Io, IoSharedState>();

function sharedStateOf(io: Io): IoSharedState {
  let state = sharedByIo.get(io);
  if (state === undefined) {
    state = { partitionLocks: new KeyedMutex(), fileLocks: new KeyedRwLock(), bounces: new BouncePool(io), partitionsNotDurable: new Set(), blobsNotDurable: new Set() };
    sharedByIo.set(io, state);
  }
  return state;
}

/** The {@link Storage} implementation shared by every backend. */
class IoStorage implements Storage {
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly blobs = new Set<StorageBlob>();
  private readonly partitionLocks: KeyedMutex;
  private readonly fileLocks: KeyedRwLock;
  private readonly bounces: BouncePool;
  private readonly partitionsNotDurable: Set<string>;
  private readonly blobsNotDurable: Set<string>;

  constructor(private readonly io: Io, private readonly direct: boolean) {
    const shared = sharedStateOf(io);
    this.partitionLocks = shared.partitionLocks;
    this.fileLocks = shared.fileLocks;
    this.bounces = shared.bounces;
    this.partitionsNotDurable = shared.partitionsNotDurable;
    this.blobsNotDurable = shared.blobsNotDurable;
  }

  /** Runs `body` as one tracked operation; its errors name `call` (the public call with its arguments). */
  private track<T>(operation: string, body: () => Promise<T>, call: string = operation): Promise<T> {
    if (this.closing) return Promise.reject(new StorageError('ERR_CLOSED', `${call}: the storage is closed`, { operation }));
    if (this.inFlight.size >= STORAGE_OPERATIONS_IN_FLIGHT_MAX) {
      return Promise.reject(new StorageError('ERR_LIMIT_EXCEEDED', 'too many storage operations in flight', {
        operation, limit: STORAGE_OPERATIONS_IN_FLIGHT_MAX,
      }));
    }
    // Counted before `body` runs: its first synchronous steps read the caller's arguments, and a
    // getter there may call close(), which must then wait for this call (and close what it opens).
    let finished!: () => void;
    const counted = new Promise<void>((resolve) => { finished = resolve; });
    this.inFlight.add(counted);
    let started: Promise<T>;
    try {
      started = body();
    } catch (err) {
      started = Promise.reject(err);
    }
    const promise = started.catch((err: unknown) => {
      throw inCall(err, operation, call);
    });
    const forget = (): void => {
      this.inFlight.delete(counted);
      finished();
    };
    promise.then(forget, forget);
    return promise;
  }

  private accessFor(path: string): FileAccess {
    return this.direct ? new DirectAccess(this.io, this.fileLocks, path, this.bounces) : new BufferedAccess(this.io);
  }

  /** A header buffer suitable for the access mode (aligned memory in direct mode). */
  private headerBuffer(): Uint8Array {
    return this.direct ? this.io.allocAligned(BLOB_HEADER_BYTES) : new Uint8Array(BLOB_HEADER_BYTES);
  }

  /** fsyncs a directory so the entries created or removed in it survive a crash. */
  private async syncDirectory(path: string): Promise<void> {
    let fd: number;
    try {
      fd = await this.io.open(path, { directory: true });
    } catch (err) {
      if (codeOf(err) === 'ERR_UNSUPPORTED') return;
      throw err;
    }
    try {
      await this.io.fsync(fd);
    } finally {
      await this.io.close(fd).catch(() => undefined);
    }
  }

  /** Creates the partition directory when missing; resolves true when its root entry still needs a root fsync. */
  private async ensurePartition(partition: string): Promise<boolean> {
    try {
      await this.io.mkdir(partition);
      this.partitionsNotDurable.add(partition);
      return true;
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') throw err;
    }
    const stat = await this.io.stat(partition);
    if (!stat.isDirectory) {
      throw new StorageError('ENOTDIR', 'the partition path is not a directory', { operation: 'storage.open', path: partition });
    }
    return this.partitionsNotDurable.has(partition);
  }

  /** After creating `partition`'s entries: partition directory fsync, then root fsync when needed. */
  private async syncCreation(partition: string, partitionNeedsRootSync: boolean): Promise<void> {
    await this.syncDirectory(partition);
    if (partitionNeedsRootSync) {
      await this.syncDirectory('.');
      this.partitionsNotDurable.delete(partition);
    }
  }

  /**
   * Writes the header and makes the file durable (fsync): in buffered mode one
   * {@link Io.writeDurable} (on io_uring one linked submission instead of two round trips).
   */
  private writeHeaderDurable(access: FileAccess, fd: number, version: number): Promise<void> {
    const header = encodeHeader(version, this.headerBuffer());
    return access.writeRangeDurable(fd, [header], BLOB_HEADER_BYTES, 0, false);
  }

  /**
   * Opens blob `name` of `partition`, creating the partition and the blob when missing, and
   * resolves with the handle, the data length and the stored version. A creation resolves only
   * once durable: header written, file fsynced, partition directory fsynced, root fsynced when the
   * partition is new. A header torn by a crash during creation (file shorter than the header, or a
   * header-sized file of zeros) is rewritten with version `versions[1]` and made durable the same
   * way. Rejects with `ERR_INVALID_ARGUMENT` / `ERR_LIMIT_EXCEEDED` (bad partition, name or
   * versions), `ERR_DETACHED_BUFFER` (detached name), `ERR_VERSION_MISMATCH` (stored version
   * outside `versions`; `details.found`), `ERR_BLOB_CORRUPT` (`details.reason`), `ERR_CLOSED`,
   * `ENOTDIR`/`EISDIR` when something else holds the path, and the Io's errors.
   */
  open(partition: string, name: BlobName, options?: BlobOpenOptions): Promise<OpenedBlob> {
    const operation = 'storage.open';
    const call = describeCall(operation, partition, name);
    return this.track(operation, async () => {
      checkPartitionName(operation, partition);
      const fileName = blobFileName(operation, name);
      const [versionMin, versionMax] = checkVersions(operation, snapshotOptions(operation, options, BLOB_OPEN_OPTION_NAMES, 'options', true)?.versions);
      const path = `${partition}/${fileName}`;
      return this.partitionLocks.run(partition, operation, async () => {
        const partitionNeedsRootSync = await this.ensurePartition(partition);
        const access = this.accessFor(path);
        const flags = { read: true, write: true, ...(this.direct ? { direct: true } : {}) };
        let fd: number | undefined;
        let created = false;
        for (let attempt = 0; fd === undefined; attempt++) {
          if (attempt >= OPEN_ATTEMPTS_MAX) {
            throw new StorageError('EAGAIN', 'the blob keeps appearing and disappearing', { operation, path, attempts: attempt });
          }
          try {
            fd = await this.io.open(path, flags);
          } catch (err) {
            if (codeOf(err) !== 'ENOENT') throw err;
          }
          if (fd !== undefined) break;
          try {
            fd = await this.io.open(path, { ...flags, create: true, exclusive: true });
            created = true;
          } catch (err) {
            if (codeOf(err) !== 'EEXIST') throw err;
          }
        }
        try {
          let version: number;
          let sizeBytes: number;
          if (created) {
            version = versionMax;
            sizeBytes = 0;
            this.blobsNotDurable.add(path);
            await this.writeHeaderDurable(access, fd, version);
            await this.syncCreation(partition, partitionNeedsRootSync);
            this.blobsNotDurable.delete(path);
          } else {
            const fileBytes = (await this.io.stat(fd)).sizeBytes;
            const header = this.headerBuffer();
            const readBytes = fileBytes === 0 ? 0 : await access.readRange(fd, header, 0);
            const decoded = decodeHeader(header.subarray(0, readBytes), fileBytes, path);
            if (decoded.kind === 'torn') {
              // A crash cut the creation short: finish it as the creation would have, including
              // the directory fsyncs, since the crashed creation may not have reached them.
              version = versionMax;
              sizeBytes = 0;
              await this.writeHeaderDurable(access, fd, version);
              await this.syncCreation(partition, true);
              this.blobsNotDurable.delete(path);
            } else {
              version = decoded.version;
              if (version < versionMin || version > versionMax) {
                throw new StorageError('ERR_VERSION_MISMATCH', 'the blob version is outside the accepted range', {
                  operation, path, found: version, versions: [versionMin, versionMax],
                });
              }
              sizeBytes = fileBytes - BLOB_HEADER_BYTES;
              if (this.blobsNotDurable.has(path)) {
                await this.io.fsync(fd);
                await this.syncCreation(partition, true);
                this.blobsNotDurable.delete(path);
              }
            }
          }
          const blob: StorageBlob = new StorageBlob({
            io: this.io, access, path, onClosed: (b) => this.blobs.delete(b),
          }, fd, sizeBytes, version);
          this.blobs.add(blob);
          return { blob, sizeBytes, version };
        } catch (err) {
          await this.io.close(fd).catch(() => undefined);
          throw err;
        }
      });
    }, call);
  }

  /**
   * Removes blob `name` of `partition` (or, without `name`, every file of the partition and then
   * the partition directory) and resolves once the removal is durable: the partition directory is
   * fsynced after unlinking a blob, the root after removing a partition. Handles opened before keep
   * reading and writing the removed data until closed. Rejects with `ENOENT` when the blob or the
   * partition does not exist, `ERR_INVALID_ARGUMENT` for bad names, `ERR_CLOSED`, and the Io's
   * errors (`EISDIR`/`ENOTEMPTY` if something other than files was put in the partition).
   */
  remove(partition: string, name?: BlobName): Promise<void> {
    const operation = 'storage.remove';
    const call = describeCall(operation, ...(name === undefined ? [partition] : [partition, name]));
    return this.track(operation, async () => {
      checkPartitionName(operation, partition);
      const fileName = name === undefined ? undefined : blobFileName(operation, name);
      await this.partitionLocks.run(partition, operation, async () => {
        if (fileName !== undefined) {
          const path = `${partition}/${fileName}`;
          await this.io.unlink(path);
          this.blobsNotDurable.delete(path);
          await this.syncDirectory(partition);
          return;
        }
        // Bounded by the listing: every entry is removed once, temporary files included.
        for (const entry of await this.io.readdir(partition)) await this.io.unlink(`${partition}/${entry}`);
        await this.io.rmdir(partition);
        for (const path of [...this.blobsNotDurable]) if (path.startsWith(`${partition}/`)) this.blobsNotDurable.delete(path);
        this.partitionsNotDurable.delete(partition);
        await this.syncDirectory('.');
      });
    }, call);
  }

  private async scanSorted(operation: string, partition: string): Promise<Uint8Array[]> {
    checkPartitionName(operation, partition);
    const entries = await this.partitionLocks.run(partition, operation, () => this.io.readdir(partition));
    const names: Uint8Array[] = [];
    for (const entry of entries) {
      const nameBytes = blobNameFromFileName(entry);
      if (nameBytes !== undefined) names.push(nameBytes);
    }
    return names.sort(compareBytes);
  }

  /**
   * Resolves with the names of the blobs of `partition` decoded as UTF-8, sorted by their bytes.
   * Files that are not blobs (such as leftover temporary files of {@link writeAtomic}) are left
   * out. Rejects with `ENOENT` for a missing partition and `ERR_INVALID_ARGUMENT` for a bad
   * partition name or a name that is not valid UTF-8 (use {@link scanBytes}).
   */
  scan(partition: string): Promise<string[]> {
    const operation = 'storage.scan';
    const call = describeCall(operation, partition);
    return this.track(operation, async () => {
      const names = await this.scanSorted(operation, partition);
      return names.map((bytes) => {
        try {
          return utf8Strict.decode(bytes);
        } catch {
          throw new StorageError('ERR_INVALID_ARGUMENT', 'a blob name is not valid UTF-8: use scanBytes', {
            operation, partition, fileName: Buffer.from(bytes).toString('hex'),
          });
        }
      });
    }, call);
  }

  /** Like {@link scan}, with the names as bytes (works for any name). */
  scanBytes(partition: string): Promise<Uint8Array[]> {
    const operation = 'storage.scanBytes';
    const call = describeCall(operation, partition);
    return this.track(operation, () => this.scanSorted(operation, partition), call);
  }

  /**
   * Replaces blob `name` of `partition` with `data` (creating the partition and blob when missing)
   * so that after any crash either the old or the new content is there, with version
   * `versions[1]` (default 0): it writes `<hex>.tmp` (header and data), fsyncs it, renames it over
   * the blob, fsyncs the partition directory, and the root when the partition is new. A stale
   * temporary file from a crashed call is overwritten. Handles open on the old blob keep seeing the
   * old content. Rejects with `ERR_INVALID_ARGUMENT` / `ERR_LIMIT_EXCEEDED` /
   * `ERR_DETACHED_BUFFER` for bad arguments, `ERR_CLOSED`, and the Io's errors (the temporary
   * file is removed, best effort, on failure).
   */
  writeAtomic(partition: string, name: BlobName, data: Uint8Array, options?: BlobOpenOptions): Promise<void> {
    const operation = 'storage.writeAtomic';
    const call = describeCall(operation, partition, name);
    return this.track(operation, async () => {
      checkPartitionName(operation, partition);
      const fileName = blobFileName(operation, name);
      // The snapshot, not `data`: its getters are the engine's (a subclass may lie about byteLength).
      const view = checkBuffer(operation, data, BLOB_SIZE_MAX_BYTES);
      // Its length now: the write comes after awaits, and a buffer detached meanwhile must fail the
      // call (ERR_DETACHED_BUFFER, the old content kept), not replace the blob with an empty one.
      const dataBytes = intrinsicByteLength(view);
      const [, versionMax] = checkVersions(operation, snapshotOptions(operation, options, BLOB_OPEN_OPTION_NAMES, 'options', true)?.versions);
      const path = `${partition}/${fileName}`;
      const tempPath = `${path}${ATOMIC_TEMP_SUFFIX}`;
      await this.partitionLocks.run(partition, operation, async () => {
        const partitionNeedsRootSync = await this.ensurePartition(partition);
        const access = this.accessFor(tempPath);
        const fd = await this.io.open(tempPath, {
          read: true, write: true, create: true, truncate: true, ...(this.direct ? { direct: true } : {}),
        });
        let renamed = false;
        try {
          try {
            const header = encodeHeader(versionMax, this.headerBuffer());
            await access.writeRange(fd, [header, view], BLOB_HEADER_BYTES + dataBytes, 0);
            await this.io.fsync(fd);
          } finally {
            await this.io.close(fd).catch(() => undefined);
          }
          await this.io.rename(tempPath, path);
          renamed = true;
          this.blobsNotDurable.add(path);
          await this.syncCreation(partition, partitionNeedsRootSync);
          this.blobsNotDurable.delete(path);
        } catch (err) {
          if (!renamed) await this.io.unlink(tempPath).catch(() => undefined);
          throw err;
        }
      });
    }, call);
  }

  /**
   * Refuses new calls (`ERR_CLOSED`), waits for Storage calls in flight, then closes every blob
   * this Storage opened (each after its own operations settle). Does not sync and does not shut
   * the Io down. Calling it again resolves once the first call has finished.
   */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closing = true;
      this.closePromise = (async () => {
        await Promise.allSettled([...this.inFlight]);
        await Promise.allSettled([...this.blobs].map((blob) => blob.close()));
      })();
    }
    return this.closePromise;
  }
}
