/** A BenchFile over anything shaped like Node's promises FileHandle (node:fs/promises, memfs). */
import type { BenchFile } from './driver.js';

/** The FileHandle methods a benchmark file uses. */
export interface FileHandleLike {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export class FileHandleFile implements BenchFile {
  constructor(private readonly handle: FileHandleLike) {}
  async read(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return (await this.handle.read(buffer, 0, buffer.byteLength, offsetBytes)).bytesRead;
  }
  async write(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return (await this.handle.write(buffer, 0, buffer.byteLength, offsetBytes)).bytesWritten;
  }
  sync(): Promise<void> {
    return this.handle.datasync();
  }
  close(): Promise<void> {
    return this.handle.close();
  }
}
