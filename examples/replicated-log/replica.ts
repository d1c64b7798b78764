/**
 * One replica's copy of a replicated log: an append-only blob of checksummed records (the KV
 * store's record format, key = the entry index), kept whole in memory too.
 *
 * Appends are in index order only (a replica never has holes), batched: every missing entry the
 * leader sends goes out in one write and one sync, and the replica confirms an entry only after
 * that sync resolved. Recovery replays the blob up to the first record that does not decode and
 * cuts the torn tail off durably. The `ack-before-sync` variant confirms before syncing.
 */
import type { Io } from '../../src/interfaces/io.js';
import type { Blob, Storage } from '../../src/interfaces/storage.js';
import { StorageError } from '../../src/interfaces/errors.js';
import { createStorage } from '../../src/storage/index.js';
import { RecordKind, decodeRecord, encodeRecord } from '../kv/record.js';

const PARTITION = 'rlog';
const BLOB = 'entries';
const VERSIONS: readonly [number, number] = [1, 1];
/** Most entries a replica holds; the workload stays far below it. */
export const ENTRIES_MAX = 1 << 20;
/** Re-reads before a record that does not decode is believed to be the torn end of the log. */
const REREADS_MAX = 2;

export class ReplicaLog {
  private readonly entries: Uint8Array[] = [];
  /** Byte offset where each entry's record starts (for truncation). */
  private readonly offsets: number[] = [];
  private endBytes: number;
  private failure: unknown;

  private constructor(private readonly storage: Storage, private readonly blob: Blob, entries: Uint8Array[], offsets: number[],
    endBytes: number, private readonly confirmBeforeSync: boolean) {
    this.entries.push(...entries);
    this.offsets.push(...offsets);
    this.endBytes = endBytes;
  }

  /** Opens and recovers the log in `io`; resolves once a torn tail is durably cut off. */
  static async open(io: Io, confirmBeforeSync = false): Promise<ReplicaLog> {
    const storage = createStorage(io);
    try {
      const { blob, sizeBytes } = await storage.open(PARTITION, BLOB, { versions: VERSIONS });
      let data = await blob.readAt(0, sizeBytes);
      const entries: Uint8Array[] = [];
      const offsets: number[] = [];
      let at = 0;
      for (let rereads = 0; ;) {
        while (at < data.byteLength) {
          const record = decodeRecord(data, at, true);
          if (typeof record === 'string' || record.kind !== RecordKind.put) break;
          if (Buffer.from(record.key).toString('utf8') !== String(entries.length)) {
            throw new StorageError('ERR_BLOB_CORRUPT', 'replica log: entry out of order', { offsetBytes: at, expectedIndex: entries.length });
          }
          entries.push(record.value.slice());
          offsets.push(at);
          at += record.totalBytes;
        }
        if (at >= data.byteLength || rereads >= REREADS_MAX) break;
        // A transient read corruption looks like a torn tail: believe it only if it reads the same again.
        rereads += 1;
        const again = await blob.readAt(0, sizeBytes);
        if (typeof decodeRecord(again, at, true) === 'string') break;
        data = again;
      }
      if (at < sizeBytes) {
        await blob.resize(at);
        await blob.sync();
      }
      return new ReplicaLog(storage, blob, entries, offsets, at, confirmBeforeSync);
    } catch (err) {
      await storage.close().catch(() => undefined);
      throw err;
    }
  }

  /** Entries held (confirmed or recovered). */
  get length(): number {
    return this.entries.length;
  }

  /** Entry `index`'s payload. */
  entry(index: number): Uint8Array | undefined {
    return this.entries[index];
  }

  /** The error that made this replica fail-stop, if any. */
  get failed(): unknown {
    return this.failure;
  }

  /**
   * Appends `payloads` as entries `length, length+1, ...` with one write and one sync. Resolves
   * once they are durable (the `ack-before-sync` variant: once written). Any error fail-stops the
   * replica: later calls reject with it.
   */
  async append(payloads: readonly Uint8Array[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.entries.length + payloads.length > ENTRIES_MAX) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', 'replica log: too many entries', { limit: ENTRIES_MAX });
    }
    const records = payloads.map((payload, i) => encodeRecord(RecordKind.put, Buffer.from(String(this.entries.length + i)), payload));
    const offsetBytes = this.endBytes;
    const sizeBytes = records.reduce((sum, r) => sum + r.byteLength, 0);
    try {
      this.endBytes += sizeBytes;
      await this.blob.writeAt(offsetBytes, records);
      const confirm = (): void => {
        let at = offsetBytes;
        for (let i = 0; i < payloads.length; i++) {
          this.entries.push(payloads[i]!);
          this.offsets.push(at);
          at += records[i]!.byteLength;
        }
      };
      if (this.confirmBeforeSync) {
        confirm();
        void this.blob.sync().catch((err: unknown) => {
          this.failure ??= err;
        });
        return;
      }
      await this.blob.sync();
      confirm();
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
  }

  /**
   * Drops entries from `length` on (a new leader's log disagrees with them), durably: resolves
   * once the shorter log is synced. Errors fail-stop the replica.
   */
  async truncate(length: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (length >= this.entries.length) return;
    const endBytes = this.offsets[length]!;
    try {
      this.entries.length = length;
      this.offsets.length = length;
      this.endBytes = endBytes;
      await this.blob.resize(endBytes);
      await this.blob.sync();
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
  }

  /** Closes the blob (does not sync). */
  async close(): Promise<void> {
    await this.storage.close();
  }
}
