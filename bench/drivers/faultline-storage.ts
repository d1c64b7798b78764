/**
 * Competitor adapter for faultline's {@link Storage}: a file is a blob in one partition, a sync is
 * `blob.sync()`. Blobs carry a header, so this driver only runs workloads that create their own
 * files (appends); renames and unlinks are not part of the Blob API.
 */
import type { Io } from '../../src/interfaces/io.js';
import type { Blob, Storage } from '../../src/interfaces/storage.js';
import { NotAvailable, type BenchFile, type Driver, type OpenMode } from './driver.js';

const PARTITION = 'bench';

class BlobFile implements BenchFile {
  constructor(private readonly blob: Blob) {}
  async read(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return (await this.blob.readInto(buffer, offsetBytes)).byteLength;
  }
  async write(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    await this.blob.writeAt(offsetBytes, buffer);
    return buffer.byteLength;
  }
  sync(): Promise<void> {
    return this.blob.sync();
  }
  close(): Promise<void> {
    return this.blob.close();
  }
}

export class StorageDriver implements Driver {
  constructor(readonly label: string, private readonly io: Io, private readonly storage: Storage) {}

  allocAligned(lengthBytes: number): Uint8Array {
    return this.io.allocAligned(lengthBytes);
  }
  async open(path: string, mode: OpenMode): Promise<BenchFile> {
    const { blob } = await this.storage.open(PARTITION, path);
    if (mode.truncate === true) await blob.resize(0);
    return new BlobFile(blob);
  }
  stat(): Promise<number> {
    throw new NotAvailable('Storage has no stat by name');
  }
  rename(): Promise<void> {
    throw new NotAvailable('Storage has no rename');
  }
  unlink(): Promise<void> {
    throw new NotAvailable('Storage has no unlink (remove is durable and is another workload)');
  }
  async shutdown(): Promise<void> {
    await this.storage.close();
    await this.io.shutdown();
  }
}
