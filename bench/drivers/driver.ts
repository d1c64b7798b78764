/**
 * The one small surface every competitor is driven through, so each does exactly the same work:
 * the workloads in `bench/workloads/` are written once against {@link Driver} and
 * {@link BenchFile}, and every competitor only maps these calls onto its own API.
 */

/** How a workload opens a file. */
export interface OpenMode {
  readonly write?: boolean;
  readonly create?: boolean;
  readonly truncate?: boolean;
  /** O_DIRECT: buffers come from {@link Driver.allocAligned}. */
  readonly direct?: boolean;
}

/** An open file as the workloads see it. */
export interface BenchFile {
  /** Resolves with the bytes read (short at end of file), like pread. */
  read(buffer: Uint8Array, offsetBytes: number): Promise<number>;
  /** Resolves with the bytes written (may be short), like pwrite. */
  write(buffer: Uint8Array, offsetBytes: number): Promise<number>;
  /** Resolves once everything written so far is durable (fdatasync, or the blob's sync). */
  sync(): Promise<void>;
  /**
   * Optional: a write and an fdatasync as one operation (faultline's `Io.writeDurable`); resolves
   * with the bytes written once durable. Workloads that write then sync use it when present.
   */
  readonly writeSynced?: ((buffer: Uint8Array, offsetBytes: number) => Promise<number>) | undefined;
  close(): Promise<void>;
}

/** A competitor: a file API over one directory. Paths are relative to that directory. */
export interface Driver {
  /** Human label used in reports. */
  readonly label: string;
  /** A zeroed buffer usable for O_DIRECT transfers. */
  allocAligned(lengthBytes: number): Uint8Array;
  open(path: string, mode: OpenMode): Promise<BenchFile>;
  /** Resolves with the file size. */
  stat(path: string): Promise<number>;
  rename(fromPath: string, toPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Frees everything; the driver is unusable afterwards. */
  shutdown(): Promise<void>;
}

/** Thrown while building a driver that cannot run here; the runner prints the reason. */
export class NotAvailable extends Error {
  override readonly name = 'NotAvailable';
}
