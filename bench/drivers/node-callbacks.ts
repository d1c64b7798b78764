/**
 * Competitor: Node's callback `fs` API, wrapped in one promise per call (what a user of the
 * callback API writing async code does). It skips FileHandle's bookkeeping, so it is the cheapest
 * way through libuv from JavaScript.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { AlignedAllocator } from './aligned.js';
import type { BenchFile, Driver, OpenMode } from './driver.js';
import { nodeOpenFlags } from './node-flags.js';

class CallbackFile implements BenchFile {
  constructor(private readonly fd: number) {}
  read(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buffer, 0, buffer.byteLength, offsetBytes, (err, bytesRead) => {
        if (err) reject(err); else resolve(bytesRead);
      });
    });
  }
  write(buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.write(this.fd, buffer, 0, buffer.byteLength, offsetBytes, (err, bytesWritten) => {
        if (err) reject(err); else resolve(bytesWritten);
      });
    });
  }
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }
  close(): Promise<void> {
    return new Promise((resolve, reject) => fs.close(this.fd, (err) => (err ? reject(err) : resolve())));
  }
}

export class NodeCallbacksDriver implements Driver {
  /** Built on first use; `null` once O_DIRECT proved impossible here (plain buffers then). */
  private aligned: AlignedAllocator | null | undefined;

  constructor(readonly label: string, private readonly dirPath: string) {}

  allocAligned(lengthBytes: number): Uint8Array {
    this.aligned ??= AlignedAllocator.tryCreate(this.dirPath);
    return this.aligned === null ? Buffer.alloc(lengthBytes) : this.aligned.alloc(lengthBytes);
  }
  open(path: string, mode: OpenMode): Promise<BenchFile> {
    return new Promise((resolve, reject) => {
      fs.open(join(this.dirPath, path), nodeOpenFlags(mode), 0o644, (err, fd) => {
        if (err) reject(err); else resolve(new CallbackFile(fd));
      });
    });
  }
  stat(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.stat(join(this.dirPath, path), (err, stats) => (err ? reject(err) : resolve(stats.size)));
    });
  }
  rename(fromPath: string, toPath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.rename(join(this.dirPath, fromPath), join(this.dirPath, toPath), (err) => (err ? reject(err) : resolve()));
    });
  }
  unlink(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.unlink(join(this.dirPath, path), (err) => (err ? reject(err) : resolve()));
    });
  }
  async shutdown(): Promise<void> {
    this.aligned?.close();
  }
}
