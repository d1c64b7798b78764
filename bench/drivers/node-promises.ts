/** Competitor: Node's `fs.promises` FileHandle API (libuv thread pool, or io_uring with UV_USE_IO_URING=1). */
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { AlignedAllocator } from './aligned.js';
import type { BenchFile, Driver, OpenMode } from './driver.js';
import { FileHandleFile } from './filehandle-file.js';
import { nodeOpenFlags } from './node-flags.js';

export class NodePromisesDriver implements Driver {
  /** Built on first use; `null` once O_DIRECT proved impossible here (plain buffers then). */
  private aligned: AlignedAllocator | null | undefined;

  constructor(readonly label: string, private readonly dirPath: string) {}

  allocAligned(lengthBytes: number): Uint8Array {
    this.aligned ??= AlignedAllocator.tryCreate(this.dirPath);
    return this.aligned === null ? Buffer.alloc(lengthBytes) : this.aligned.alloc(lengthBytes);
  }
  async open(path: string, mode: OpenMode): Promise<BenchFile> {
    return new FileHandleFile(await fsp.open(join(this.dirPath, path), nodeOpenFlags(mode), 0o644));
  }
  async stat(path: string): Promise<number> {
    return (await fsp.stat(join(this.dirPath, path))).size;
  }
  rename(fromPath: string, toPath: string): Promise<void> {
    return fsp.rename(join(this.dirPath, fromPath), join(this.dirPath, toPath));
  }
  unlink(path: string): Promise<void> {
    return fsp.unlink(join(this.dirPath, path));
  }
  async shutdown(): Promise<void> {
    this.aligned?.close();
  }
}
