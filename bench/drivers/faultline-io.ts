/** Competitor adapter for any faultline {@link Io} (UringIo, FsIo, a simulated node's Io). */
import type { Io } from '../../src/interfaces/io.js';
import type { BenchFile, Driver, OpenMode } from './driver.js';

class IoFile implements BenchFile {
  readonly writeSynced: ((buffer: Uint8Array, offsetBytes: number) => Promise<number>) | undefined;
  constructor(private readonly io: Io, private readonly fd: number, linked: boolean) {
    this.writeSynced = linked ? (buffer, offsetBytes) => this.io.writeDurable(this.fd, buffer, offsetBytes, { dataOnly: true }) : undefined;
  }
  read(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return this.io.read(this.fd, buffer, offsetBytes);
  }
  write(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return this.io.write(this.fd, buffer, offsetBytes);
  }
  sync(): Promise<void> {
    return this.io.fsync(this.fd, { dataOnly: true });
  }
  close(): Promise<void> {
    return this.io.close(this.fd);
  }
}

export class IoDriver implements Driver {
  /**
   * @param ownsIo shut the Io down with the driver (false when a simulation owns it).
   * @param linked files offer `writeSynced` (Io.writeDurable) to workloads that write then sync.
   */
  constructor(readonly label: string, readonly io: Io, private readonly ownsIo = true, private readonly linked = false) {}

  allocAligned(lengthBytes: number): Uint8Array {
    return this.io.allocAligned(lengthBytes);
  }
  async open(path: string, mode: OpenMode): Promise<BenchFile> {
    const fd = await this.io.open(path, {
      read: true,
      write: mode.write === true,
      create: mode.create === true,
      truncate: mode.truncate === true,
      direct: mode.direct === true,
    });
    return new IoFile(this.io, fd, this.linked);
  }
  async stat(path: string): Promise<number> {
    return (await this.io.stat(path)).sizeBytes;
  }
  rename(fromPath: string, toPath: string): Promise<void> {
    return this.io.rename(fromPath, toPath);
  }
  unlink(path: string): Promise<void> {
    return this.io.unlink(path);
  }
  async shutdown(): Promise<void> {
    if (this.ownsIo) await this.io.shutdown();
  }
}
