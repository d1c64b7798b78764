/**
 * KvStore: a small but real key-value store on faultline's `Storage`.
 *
 * Architecture
 * - A write-ahead log in segment blobs `seg-<id>` of one partition. Every put or delete is one
 *   record (length + CRC32C, see `record.ts`). The in-memory index maps each live key to the
 *   location of its latest record; a get reads that record back from disk and verifies it.
 * - Group commit: writers queue records; one committer writes every queued record with one
 *   `writeAt` and one `sync`, then applies them to the index and acknowledges them. A write is
 *   acknowledged only after the sync that covers it resolved.
 * - Rollover: once the active segment passes `segmentBytesMax`, the next segment is created
 *   (`Storage.open` makes the creation durable) and becomes the active one.
 * - Compaction: once enough sealed segments exist, the committer writes a snapshot `snap-<id>` of
 *   every live key with `Storage.writeAtomic` (temp file, fsync, rename, directory fsync). A
 *   snapshot `snap-C` holds the whole state before segment `C`, so once it is durable every older
 *   segment and snapshot is deleted. The atomic rename is the commit point.
 * - Recovery (`KvStore.open`): load the newest snapshot (it must be complete), delete what it
 *   supersedes, replay the segments after it in order. The last segment may end in a torn record
 *   (a crash during an unsynced append): recovery stops at the first record that does not decode
 *   and truncates the tail durably before accepting writes. A bad record anywhere else cannot come
 *   from a crash, so it is reported as `ERR_BLOB_CORRUPT` rather than silently dropped.
 *
 * Fault model
 * - Any error while writing, syncing, rolling over or compacting makes the store fail-stop: it
 *   rejects every later call until it is reopened (recovery decides what survived). It never
 *   retries a failed fsync: after `EIO` the kernel may have dropped the dirty pages (fsyncgate).
 * - Reads verify the record CRC, so a corrupted or misdirected sector is an error, not a value.
 *
 * Memory: the index holds keys and locations, not values; the pending-write queue is bounded by
 * `pendingWritesMax` (a write past it is `ERR_LIMIT_EXCEEDED`), one batch by `batchBytesMax`.
 */
import type { Io } from '../../src/interfaces/io.js';
import type { Blob, Storage } from '../../src/interfaces/storage.js';
import { StorageError, isStorageError } from '../../src/interfaces/errors.js';
import { BLOB_HEADER_BYTES } from '../../src/interfaces/limits.js';
import { blobFileName } from '../../src/interfaces/validate.js';
import { createStorage } from '../../src/storage/index.js';
import { encodeHeader } from '../../src/storage/header.js';
import type { KvBug } from './bugs.js';
import {
  KEY_BYTES_MAX, RecordKind, VALUE_BYTES_MAX, decodeRecord, encodeRecord, type DecodedRecord,
} from './record.js';

/** Options of {@link KvStore.open}. */
export interface KvStoreOptions {
  /** The Storage partition holding the store. Default `'kv'`. */
  readonly partition?: string;
  /** The active segment is sealed and a new one started once it is at least this long. Default 1 MiB. */
  readonly segmentBytesMax?: number;
  /** Compaction runs once this many sealed segments exist since the last snapshot. Default 4. */
  readonly compactionSegmentsMin?: number;
  /** Most writes waiting for the committer; one more is `ERR_LIMIT_EXCEEDED`. Default 4096. */
  readonly pendingWritesMax?: number;
  /** Most record bytes written by one group commit. Default 1 MiB. */
  readonly batchBytesMax?: number;
  /** Inject one deliberate bug (see `bugs.ts`). For simulation campaigns only. */
  readonly bug?: KvBug;
}

/** Counters of a {@link KvStore}, since it was opened. */
export interface KvStats {
  readonly puts: number;
  readonly deletes: number;
  readonly gets: number;
  /** Group commits: each is one write and one sync. */
  readonly syncs: number;
  readonly rollovers: number;
  readonly compactions: number;
  /** Records replayed by recovery. */
  readonly recoveredRecords: number;
  /** Bytes of torn tail that recovery cut off. */
  readonly truncatedTailBytes: number;
  readonly keys: number;
}

const BLOB_VERSIONS: readonly [number, number] = [1, 1];
const SEGMENT_PREFIX = 'seg-';
const SNAPSHOT_PREFIX = 'snap-';
const TEMP_PREFIX = 'tmp-';
const ID_DIGITS = 12;
/** A segment or snapshot is read whole at recovery; past this it is refused rather than buffered. */
const LOG_FILE_BYTES_MAX = 256 << 20;
/** Bounds the re-reads of a get whose file was swapped by a compaction under it. */
const GET_ATTEMPTS_MAX = 3;
/** Bounds the fsync retries of the `fsync-retry` bug. */
const FSYNC_RETRIES_MAX = 3;

interface LogFile {
  readonly name: string;
  readonly id: number;
  readonly blob: Blob;
}

interface Location {
  readonly file: LogFile;
  readonly offsetBytes: number;
  readonly totalBytes: number;
}

interface PendingWrite {
  readonly key: string;
  readonly kind: typeof RecordKind.put | typeof RecordKind.delete;
  readonly record: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function logName(prefix: string, id: number): string {
  return prefix + String(id).padStart(ID_DIGITS, '0');
}

function parseLogName(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const digits = name.slice(prefix.length);
  if (digits.length !== ID_DIGITS || !/^[0-9]+$/.test(digits)) return undefined;
  return Number(digits);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `KvStore.open: ${name} must be a positive integer`, { argument: name, value });
  }
  return value;
}

/** A key-value store with a write-ahead log, group commit, rollover and compaction. */
export class KvStore {
  private readonly index = new Map<string, Location>();
  private readonly pending: PendingWrite[] = [];
  /** Sealed segments since the last snapshot, plus that snapshot: what compaction supersedes. */
  private readonly sealed: LogFile[] = [];
  private snapshot: LogFile | undefined;
  private active: LogFile;
  private appendOffsetBytes: number;
  private committing: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  private counters = { puts: 0, deletes: 0, gets: 0, syncs: 0, rollovers: 0, compactions: 0, recoveredRecords: 0, truncatedTailBytes: 0 };

  private constructor(
    private readonly io: Io,
    private readonly storage: Storage,
    private readonly partition: string,
    private readonly segmentBytesMax: number,
    private readonly compactionSegmentsMin: number,
    private readonly pendingWritesMax: number,
    private readonly batchBytesMax: number,
    private readonly bug: KvBug | undefined,
    active: LogFile,
    appendOffsetBytes: number,
  ) {
    this.active = active;
    this.appendOffsetBytes = appendOffsetBytes;
  }

  /**
   * Opens (creating if needed) and recovers the store in `io`. Resolves once the index is rebuilt
   * and any torn tail is durably cut off. Rejects with `ERR_BLOB_CORRUPT` when a snapshot is
   * incomplete or a record before the last segment's tail is damaged (a media fault, not a crash),
   * and with the Io's errors. On rejection everything it opened is closed again.
   */
  static async open(io: Io, options: KvStoreOptions = {}): Promise<KvStore> {
    const partition = options.partition ?? 'kv';
    const segmentBytesMax = positiveInteger('segmentBytesMax', options.segmentBytesMax, 1 << 20);
    const compactionSegmentsMin = positiveInteger('compactionSegmentsMin', options.compactionSegmentsMin, 4);
    const pendingWritesMax = positiveInteger('pendingWritesMax', options.pendingWritesMax, 4096);
    const batchBytesMax = positiveInteger('batchBytesMax', options.batchBytesMax, 1 << 20);
    const storage = createStorage(io);
    try {
      const recovered = await recover(storage, partition, options.bug);
      const store = new KvStore(io, storage, partition, segmentBytesMax, compactionSegmentsMin, pendingWritesMax,
        batchBytesMax, options.bug, recovered.active, recovered.appendOffsetBytes);
      store.snapshot = recovered.snapshot;
      store.sealed.push(...recovered.sealed);
      for (const [key, location] of recovered.index) store.index.set(key, location);
      store.counters.recoveredRecords = recovered.records;
      store.counters.truncatedTailBytes = recovered.truncatedTailBytes;
      return store;
    } catch (err) {
      await storage.close().catch(() => undefined);
      throw err;
    }
  }

  /** The error that made the store fail-stop, if any. */
  get failed(): unknown {
    return this.failure;
  }

  /** Counters since open. */
  get stats(): KvStats {
    return { ...this.counters, keys: this.index.size };
  }

  /** The live keys, in no particular order. */
  keys(): string[] {
    return [...this.index.keys()];
  }

  /**
   * Stores `value` under `key`. Resolves once the record is durable (its group commit's sync
   * resolved) and visible to `get`. Rejects with the write or sync error that made the store
   * fail-stop (the write may or may not have survived), `ERR_CLOSED` after close or fail-stop,
   * `ERR_INVALID_ARGUMENT` / `ERR_LIMIT_EXCEEDED` for a bad key or value or a full queue.
   */
  put(key: string, value: Uint8Array): Promise<void> {
    if (!(value instanceof Uint8Array)) {
      return Promise.reject(new StorageError('ERR_INVALID_ARGUMENT', 'KvStore.put: value must be a Uint8Array', { argument: 'value' }));
    }
    if (value.byteLength > VALUE_BYTES_MAX) {
      return Promise.reject(new StorageError('ERR_LIMIT_EXCEEDED', 'KvStore.put: value too long', { limit: VALUE_BYTES_MAX }));
    }
    return this.enqueue(key, RecordKind.put, value);
  }

  /** Deletes `key` (a no-op record when absent). Resolves and rejects like {@link KvStore.put}. */
  delete(key: string): Promise<void> {
    return this.enqueue(key, RecordKind.delete, new Uint8Array(0));
  }

  /**
   * Resolves with the latest acknowledged value of `key`, or `undefined`. Rejects with
   * `ERR_BLOB_CORRUPT` when the record on disk fails its checksum, with the Io's read errors, and
   * with `ERR_CLOSED` after close or fail-stop.
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.checkUsable('KvStore.get');
    this.counters.gets += 1;
    for (let attempt = 1; ; attempt++) {
      const location = this.index.get(key);
      if (location === undefined) return undefined;
      let bytes: Uint8Array;
      try {
        bytes = await location.file.blob.readAt(location.offsetBytes, location.totalBytes);
      } catch (err) {
        // A compaction may have closed the file between the lookup and the read: look again.
        if (isStorageError(err, 'ERR_CLOSED') && !this.closed && this.index.get(key) !== location && attempt < GET_ATTEMPTS_MAX) continue;
        throw err;
      }
      const record = decodeRecord(bytes, 0, this.bug !== 'no-checksum');
      if (typeof record === 'string' || record.kind !== RecordKind.put || utf8Decoder.decode(record.key) !== key) {
        throw new StorageError('ERR_BLOB_CORRUPT', 'KvStore.get: record does not match the index', {
          blob: location.file.name, offsetBytes: location.offsetBytes, defect: typeof record === 'string' ? record : 'mismatch',
        });
      }
      return record.value.slice();
    }
  }

  /** Compacts now (between group commits). Resolves once the snapshot is durable and old segments are removed. */
  compact(): Promise<void> {
    this.checkUsable('KvStore.compact');
    return this.serialize(() => this.compactNow());
  }

  /**
   * Waits for queued writes to settle, then closes every blob. Does not shut the Io down. Closing
   * again resolves. A fail-stopped store closes too.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.committing !== undefined) await this.committing;
    await this.storage.close();
  }

  private checkUsable(operation: string): void {
    if (this.closed) throw new StorageError('ERR_CLOSED', `${operation}: the store is closed`, { operation });
    if (this.failure !== undefined) {
      throw new StorageError('ERR_CLOSED', `${operation}: the store failed and must be reopened`, { operation, reason: 'fail-stop' }, { cause: this.failure });
    }
  }

  private enqueue(key: string, kind: typeof RecordKind.put | typeof RecordKind.delete, value: Uint8Array): Promise<void> {
    try {
      this.checkUsable(kind === RecordKind.put ? 'KvStore.put' : 'KvStore.delete');
    } catch (err) {
      return Promise.reject(err);
    }
    if (typeof key !== 'string' || key.length === 0) {
      return Promise.reject(new StorageError('ERR_INVALID_ARGUMENT', 'KvStore: key must be a non-empty string', { argument: 'key' }));
    }
    const keyBytes = utf8Encoder.encode(key);
    if (keyBytes.byteLength > KEY_BYTES_MAX) {
      return Promise.reject(new StorageError('ERR_LIMIT_EXCEEDED', 'KvStore: key too long', { limit: KEY_BYTES_MAX }));
    }
    if (this.pending.length >= this.pendingWritesMax) {
      return Promise.reject(new StorageError('ERR_LIMIT_EXCEEDED', 'KvStore: too many writes waiting for commit', { limit: this.pendingWritesMax }));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ key, kind, record: encodeRecord(kind, keyBytes, value), resolve, reject });
      if (this.committing === undefined) this.committing = this.commitLoop();
    });
  }

  /** Runs `task` when no group commit is running, as if it were one. */
  private async serialize(task: () => Promise<void>): Promise<void> {
    while (this.committing !== undefined) await this.committing;
    this.checkUsable('KvStore');
    const run = task().catch((err: unknown) => this.fail(err));
    this.committing = run.then(() => undefined);
    try {
      await run;
    } finally {
      this.committing = undefined;
      if (this.pending.length > 0 && this.failure === undefined) this.committing = this.commitLoop();
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private async commitLoop(): Promise<void> {
    // Yield once so writers issued in the same turn share this commit.
    await Promise.resolve();
    try {
      while (this.pending.length > 0 && this.failure === undefined) {
        let batchBytes = 0;
        let count = 0;
        while (count < this.pending.length) {
          const next = this.pending[count]!;
          if (count > 0 && batchBytes + next.record.byteLength > this.batchBytesMax) break;
          batchBytes += next.record.byteLength;
          count += 1;
        }
        const batch = this.pending.splice(0, count);
        try {
          await this.commitBatch(batch, batchBytes);
        } catch (err) {
          this.fail(err);
          for (const write of batch) write.reject(err);
        }
      }
    } finally {
      this.committing = undefined;
    }
  }

  private async commitBatch(batch: PendingWrite[], batchBytes: number): Promise<void> {
    const file = this.active;
    const offsetBytes = this.appendOffsetBytes;
    await file.blob.writeAt(offsetBytes, batch.map((write) => write.record));
    this.appendOffsetBytes = offsetBytes + batchBytes;
    if (this.bug === 'ack-before-sync') {
      this.apply(batch, file, offsetBytes);
      await this.syncActive();
    } else {
      await this.syncActive();
      this.apply(batch, file, offsetBytes);
    }
    this.counters.syncs += 1;
    if (this.appendOffsetBytes >= this.segmentBytesMax) {
      await this.rollover();
      if (this.sealed.length >= this.compactionSegmentsMin) await this.compactNow();
    }
  }

  private apply(batch: readonly PendingWrite[], file: LogFile, offsetBytes: number): void {
    let at = offsetBytes;
    for (const write of batch) {
      if (write.kind === RecordKind.put) {
        this.index.set(write.key, { file, offsetBytes: at, totalBytes: write.record.byteLength });
        this.counters.puts += 1;
      } else {
        this.index.delete(write.key);
        this.counters.deletes += 1;
      }
      at += write.record.byteLength;
      write.resolve();
    }
  }

  private async syncActive(): Promise<void> {
    try {
      await this.active.blob.sync();
    } catch (err) {
      if (this.bug !== 'fsync-retry' || !isStorageError(err, 'EIO')) throw err;
      // The bug: a second fsync after EIO succeeds, but the pages it should have saved are gone.
      for (let retry = 1; ; retry++) {
        try {
          await this.active.blob.sync();
          return;
        } catch (again) {
          if (retry >= FSYNC_RETRIES_MAX || !isStorageError(again, 'EIO')) throw again;
        }
      }
    }
  }

  private async rollover(): Promise<void> {
    const id = this.active.id + 1;
    const file = await createSegment(this.io, this.storage, this.partition, id, this.bug);
    this.sealed.push(this.active);
    this.active = file;
    this.appendOffsetBytes = 0;
    this.counters.rollovers += 1;
  }

  private async compactNow(): Promise<void> {
    if (this.appendOffsetBytes > 0) await this.rollover();
    // Every live record now sits in a file older than the (empty) active segment.
    const snapshotId = this.active.id;
    const parts: Uint8Array[] = [];
    const offsets: Array<[string, number, number]> = [];
    let sizeBytes = 0;
    for (const [key, location] of this.index) {
      const bytes = await location.file.blob.readAt(location.offsetBytes, location.totalBytes);
      const record = decodeRecord(bytes, 0, this.bug !== 'no-checksum');
      if (typeof record === 'string') {
        throw new StorageError('ERR_BLOB_CORRUPT', 'KvStore.compact: a live record is damaged', {
          blob: location.file.name, offsetBytes: location.offsetBytes, defect: record,
        });
      }
      parts.push(bytes);
      offsets.push([key, sizeBytes, bytes.byteLength]);
      sizeBytes += bytes.byteLength;
    }
    const end = encodeRecord(RecordKind.snapshotEnd, new Uint8Array(0), new Uint8Array(0));
    parts.push(end);
    sizeBytes += end.byteLength;
    const data = Buffer.concat(parts, sizeBytes);
    const name = logName(SNAPSHOT_PREFIX, snapshotId);
    const superseded = this.snapshot === undefined ? [...this.sealed] : [this.snapshot, ...this.sealed];
    if (this.bug === 'rename-before-sync') {
      await this.publishSnapshotUnsynced(name, data, superseded);
    } else {
      await this.storage.writeAtomic(this.partition, name, data, { versions: BLOB_VERSIONS });
    }
    const opened = await this.storage.open(this.partition, name, { versions: BLOB_VERSIONS });
    const file: LogFile = { name, id: snapshotId, blob: opened.blob };
    for (const [key, offsetBytes, totalBytes] of offsets) this.index.set(key, { file, offsetBytes, totalBytes });
    this.snapshot = file;
    this.sealed.length = 0;
    for (const old of superseded) {
      await old.blob.close();
      if (this.bug !== 'rename-before-sync') await this.storage.remove(this.partition, old.name);
    }
    this.counters.compactions += 1;
  }

  /**
   * The `rename-before-sync` bug: the snapshot is renamed into place and the old segments are
   * deleted before its data is fsynced.
   */
  private async publishSnapshotUnsynced(name: string, data: Uint8Array, superseded: readonly LogFile[]): Promise<void> {
    const tempName = TEMP_PREFIX + name;
    const temp = await this.storage.open(this.partition, tempName, { versions: BLOB_VERSIONS });
    await temp.blob.writeAt(0, data);
    await this.io.rename(`${this.partition}/${blobFileName('rename', tempName)}`, `${this.partition}/${blobFileName('rename', name)}`);
    await syncDirectory(this.io, this.partition);
    for (const old of superseded) await this.storage.remove(this.partition, old.name);
    await temp.blob.sync();
    await temp.blob.close();
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const write of this.pending.splice(0)) write.reject(err);
  }
}

async function syncDirectory(io: Io, path: string): Promise<void> {
  const fd = await io.open(path, { directory: true });
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}

/**
 * Creates segment `id`. The correct path is `Storage.open`, which returns only once the file and
 * its directory entry are durable. The `no-dir-sync` bug creates the file by hand: header written
 * and the file fsynced, but the partition directory never fsynced, so the name can be lost.
 */
async function createSegment(io: Io, storage: Storage, partition: string, id: number, bug: KvBug | undefined): Promise<LogFile> {
  const name = logName(SEGMENT_PREFIX, id);
  if (bug === 'no-dir-sync') {
    const fd = await io.open(`${partition}/${blobFileName('create', name)}`, { read: true, write: true, create: true, exclusive: true });
    try {
      const header = encodeHeader(BLOB_VERSIONS[1]);
      for (let done = 0; done < BLOB_HEADER_BYTES;) done += await io.write(fd, header.subarray(done), done);
      await io.fsync(fd);
    } finally {
      await io.close(fd);
    }
  }
  const opened = await storage.open(partition, name, { versions: BLOB_VERSIONS });
  return { name, id, blob: opened.blob };
}

interface Recovered {
  readonly index: Map<string, Location>;
  readonly snapshot: LogFile | undefined;
  readonly sealed: LogFile[];
  readonly active: LogFile;
  readonly appendOffsetBytes: number;
  readonly records: number;
  readonly truncatedTailBytes: number;
}

async function readWhole(file: LogFile, sizeBytes: number): Promise<Uint8Array> {
  if (sizeBytes > LOG_FILE_BYTES_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', 'KvStore.open: log file too large to recover', { blob: file.name, sizeBytes, limit: LOG_FILE_BYTES_MAX });
  }
  return file.blob.readAt(0, sizeBytes);
}

async function recover(storage: Storage, partition: string, bug: KvBug | undefined): Promise<Recovered> {
  let names: string[];
  try {
    names = await storage.scan(partition);
  } catch (err) {
    if (!isStorageError(err, 'ENOENT')) throw err;
    names = [];
  }
  const segmentIds: number[] = [];
  const snapshotIds: number[] = [];
  for (const name of names) {
    const segmentId = parseLogName(name, SEGMENT_PREFIX);
    if (segmentId !== undefined) segmentIds.push(segmentId);
    const snapshotId = parseLogName(name, SNAPSHOT_PREFIX);
    if (snapshotId !== undefined) snapshotIds.push(snapshotId);
    // A temp file left by a crash in the middle of a compaction is garbage.
    if (name.startsWith(TEMP_PREFIX)) await storage.remove(partition, name);
  }
  segmentIds.sort((a, b) => a - b);
  snapshotIds.sort((a, b) => a - b);
  const verify = bug !== 'no-checksum';
  const index = new Map<string, Location>();
  let records = 0;

  let snapshot: LogFile | undefined;
  const snapshotId = snapshotIds.at(-1);
  if (snapshotId !== undefined) {
    const name = logName(SNAPSHOT_PREFIX, snapshotId);
    const opened = await storage.open(partition, name, { versions: BLOB_VERSIONS });
    snapshot = { name, id: snapshotId, blob: opened.blob };
    const data = await readWhole(snapshot, opened.sizeBytes);
    let at = 0;
    let complete = false;
    while (at < data.byteLength) {
      const record = decodeRecord(data, at, verify);
      if (typeof record === 'string') break;
      at += record.totalBytes;
      if (record.kind === RecordKind.snapshotEnd) {
        complete = true;
        break;
      }
      applyRecovered(index, record, snapshot);
      records += 1;
    }
    if (!complete) {
      throw new StorageError('ERR_BLOB_CORRUPT', 'KvStore.open: the newest snapshot is incomplete', { blob: name, validBytes: at, sizeBytes: opened.sizeBytes });
    }
    for (const old of snapshotIds) if (old < snapshotId) await storage.remove(partition, logName(SNAPSHOT_PREFIX, old));
    for (const old of segmentIds) if (old < snapshotId) await storage.remove(partition, logName(SEGMENT_PREFIX, old));
  }

  const live = segmentIds.filter((id) => snapshotId === undefined || id >= snapshotId);
  if (live.length === 0) live.push(snapshotId ?? 1);
  const sealed: LogFile[] = [];
  let truncatedTailBytes = 0;
  let appendOffsetBytes = 0;
  let active: LogFile | undefined;
  for (let i = 0; i < live.length; i++) {
    const id = live[i]!;
    const name = logName(SEGMENT_PREFIX, id);
    const opened = await storage.open(partition, name, { versions: BLOB_VERSIONS });
    const file: LogFile = { name, id, blob: opened.blob };
    const { validBytes, sizeBytes } = await replaySegment(index, file, opened.sizeBytes, verify);
    records += validBytes.records;
    const at = validBytes.offsetBytes;
    const last = i === live.length - 1;
    if (!last) {
      if (at !== sizeBytes) {
        throw new StorageError('ERR_BLOB_CORRUPT', 'KvStore.open: a sealed segment has a damaged record', { blob: name, validBytes: at, sizeBytes });
      }
      sealed.push(file);
      continue;
    }
    active = file;
    if (bug === 'trust-size') {
      appendOffsetBytes = sizeBytes;
    } else {
      appendOffsetBytes = at;
      if (at < sizeBytes) {
        // A torn tail: cut it off durably before any new record lands after it.
        truncatedTailBytes = sizeBytes - at;
        await file.blob.resize(at);
        await file.blob.sync();
      }
    }
  }
  if (active === undefined) throw new StorageError('ERR_INTERNAL', 'KvStore.open: no active segment', {});
  return { index, snapshot, sealed, active, appendOffsetBytes, records, truncatedTailBytes };
}

/** Re-reads of a segment whose records stop early, before the stop is believed (see below). */
const REREADS_MAX = 2;

/**
 * Replays one segment into `index`. A record that does not decode ends the segment, but a
 * transient read corruption looks exactly like a torn tail, and truncating there would destroy
 * acknowledged records: so the segment is read again (bounded) and only a defect that reads the
 * same every time is believed.
 */
async function replaySegment(index: Map<string, Location>, file: LogFile, sizeBytes: number, verify: boolean): Promise<{ validBytes: { offsetBytes: number; records: number }; sizeBytes: number }> {
  let data = await readWhole(file, sizeBytes);
  let at = 0;
  let records = 0;
  for (let rereads = 0; ;) {
    while (at < data.byteLength) {
      const record = decodeRecord(data, at, verify);
      if (typeof record === 'string' || record.kind === RecordKind.snapshotEnd) break;
      applyRecovered(index, record, file);
      records += 1;
      at += record.totalBytes;
    }
    if (at >= data.byteLength || rereads >= REREADS_MAX) break;
    rereads += 1;
    const again = await readWhole(file, sizeBytes);
    const record = decodeRecord(again, at, verify);
    if (typeof record === 'string') break;
    data = again;
  }
  return { validBytes: { offsetBytes: at, records }, sizeBytes: data.byteLength };
}

function applyRecovered(index: Map<string, Location>, record: DecodedRecord, file: LogFile): void {
  let key: string;
  try {
    key = utf8Decoder.decode(record.key);
  } catch {
    throw new StorageError('ERR_BLOB_CORRUPT', 'KvStore.open: a record key is not UTF-8', { blob: file.name, offsetBytes: record.offsetBytes });
  }
  if (record.kind === RecordKind.put) index.set(key, { file, offsetBytes: record.offsetBytes, totalBytes: record.totalBytes });
  else index.delete(key);
}
