/**
 * Storage: partitions of named blobs, built once (in `src/storage/`) over any {@link Io}.
 *
 * On disk, a partition is a directory under the Io root and a blob is a file in it, named by the
 * lowercase hex of the blob name's bytes. Every blob file starts with a {@link BLOB_HEADER_BYTES}
 * header (magic, layout version, application version, CRC32C, zero padding); offsets given to a
 * {@link Blob} are relative to the data that follows it.
 */

/** A blob name: a non-empty string (its UTF-8 bytes are the name) or raw bytes. */
export type BlobName = string | Uint8Array;

/** Options of {@link Storage.open}. */
export interface BlobOpenOptions {
  /**
   * Inclusive range `[min, max]` of application versions this caller understands (u16 each,
   * `min <= max`). A new blob is created with version `max`; an existing blob whose version is
   * outside the range fails with `ERR_VERSION_MISMATCH`. Default `[0, 0]`.
   */
  readonly versions?: readonly [number, number];
}

/** What {@link Storage.open} resolves with. */
export interface OpenedBlob {
  readonly blob: Blob;
  /** Data length in bytes (the file length less the header) at open time. */
  readonly sizeBytes: number;
  /** The application version stored in the header. */
  readonly version: number;
}

/**
 * An open blob. Operations may run concurrently; concurrent writes to the same bytes land in an
 * unspecified order. Nothing is durable until {@link Blob.sync} resolves.
 */
export interface Blob {
  /** Current data length in bytes, as seen by this handle (grows with writes, changes with resize). */
  readonly sizeBytes: number;
  /** The application version stored in the header. */
  readonly version: number;

  /**
   * Resolves with exactly `lengthBytes` bytes read from `offsetBytes` (short reads are retried
   * inside). `ERR_OUT_OF_RANGE` if `offsetBytes + lengthBytes > sizeBytes`. A zero-length read at
   * or before the end resolves with an empty array.
   */
  readAt(offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;

  /**
   * Reads `lengthBytes` (default: all of `buffer`) from `offsetBytes` into the start of `buffer`
   * and resolves with the filled view `buffer.subarray(0, lengthBytes)`. `ERR_INVALID_ARGUMENT`
   * when `lengthBytes > buffer.byteLength`; `ERR_OUT_OF_RANGE` past the end. The Io may read
   * straight into `buffer` (in buffered mode always; in direct mode when it is allocAligned memory
   * and the range is whole sectors), so `buffer` must not be used until the promise settles, and
   * after a rejection its first `lengthBytes` bytes are unspecified; bytes past them are never
   * touched.
   */
  readInto(buffer: Uint8Array, offsetBytes: number, lengthBytes?: number): Promise<Uint8Array>;

  /**
   * Writes `data` (one buffer, or several written back to back) at `offsetBytes`, retrying short
   * writes, and resolves once all of it is visible to reads (not durable). Writing past the end
   * extends the blob; a gap reads as zeros. Empty chunks are allowed; up to
   * `BLOB_WRITE_BUFFERS_MAX` chunks are accepted (written in writev groups of `IOV_COUNT_MAX`), more
   * are `ERR_LIMIT_EXCEEDED`. A list is read as the Io reads a buffer list: its `length` once, then
   * each element once by index; its iterator, `map` and species are never used, and a getter or
   * Proxy trap that throws is `ERR_INVALID_ARGUMENT`. Bad arguments change nothing.
   */
  writeAt(offsetBytes: number, data: Uint8Array | readonly Uint8Array[]): Promise<void>;

  /**
   * {@link writeAt} then {@link sync} as one operation (a synced append or overwrite): resolves
   * once `data` is written and the blob is durable (this write, and every write and resize that
   * resolved before the call). Where the Io allows (buffered mode, one buffer) it goes to the Io as
   * one {@link Io.writeDurable}: on io_uring one kernel round trip (see there).
   * Crash semantics: until it resolves nothing is promised for these bytes (any mix of old and new
   * may survive); once it resolves they and the blob's length survive a crash. An empty write
   * still syncs. After a rejection some bytes may have been written, `sizeBytes` is unchanged, and
   * an `EIO` carries sync's meaning: treat the blob as failed. Errors: those of writeAt and sync.
   */
  writeAtDurable(offsetBytes: number, data: Uint8Array | readonly Uint8Array[]): Promise<void>;

  /** Sets the data length: shrinking drops bytes, growing adds zeros. Not durable until sync. */
  resize(lengthBytes: number): Promise<void>;

  /**
   * Makes every write and resize that resolved before this call durable. An `EIO` here means data
   * may be lost: the blob should be treated as failed (reopen and recover), never retried blindly.
   */
  sync(): Promise<void>;

  /**
   * Closes the handle once operations in flight have settled. Does not sync. Later calls reject
   * with `ERR_CLOSED`; closing again resolves.
   */
  close(): Promise<void>;
}

/** Partitions of named blobs. */
export interface Storage {
  /**
   * Opens blob `name` in `partition`, creating both when missing. Resolves only once a creation is
   * durable: the new file (with its header) is fsynced, then the partition directory, then the
   * root when the partition is new. A header torn by a crash during creation (a file shorter than
   * the header, or an all-zero header) is rewritten; any other damage is `ERR_BLOB_CORRUPT`.
   * Errors: `ERR_INVALID_ARGUMENT` (partition not `[A-Za-z0-9_-]+`, empty or too long name, bad
   * versions), `ERR_VERSION_MISMATCH`, `ERR_BLOB_CORRUPT`, and the Io's errors.
   */
  open(partition: string, name: BlobName, options?: BlobOpenOptions): Promise<OpenedBlob>;

  /**
   * Removes one blob, or with no `name` the whole partition, and resolves once the removal is
   * durable (directory fsync). Handles opened before keep reading their data until closed.
   * `ENOENT` when the blob or partition does not exist.
   */
  remove(partition: string, name?: BlobName): Promise<void>;

  /**
   * Names of the blobs in `partition` decoded as UTF-8, sorted by their bytes. `ENOENT` when the
   * partition does not exist. Names that are not valid UTF-8 make it reject with
   * `ERR_INVALID_ARGUMENT`: use {@link Storage.scanBytes} for binary names.
   */
  scan(partition: string): Promise<string[]>;

  /** Names of the blobs in `partition` as bytes, sorted bytewise. `ENOENT` when it does not exist. */
  scanBytes(partition: string): Promise<Uint8Array[]>;

  /**
   * Replaces the whole blob with `data` so that after any crash either the old or the new content
   * is there: it writes a temporary file (with header), fsyncs it, renames it over the blob and
   * fsyncs the partition directory. Resolves once the new content is durable. Handles open on the
   * old blob keep seeing the old content.
   */
  writeAtomic(partition: string, name: BlobName, data: Uint8Array, options?: BlobOpenOptions): Promise<void>;

  /**
   * Closes every blob this Storage opened (after their operations settle). Does not sync and does
   * not shut the Io down. Later calls reject with `ERR_CLOSED`.
   */
  close(): Promise<void>;
}
