/** Competitor: memfs's promises API on a fresh in-memory Volume (the usual in-memory fs for Node tests). */
import { Volume } from 'memfs';
import type { BenchFile, Driver, OpenMode } from './driver.js';
import { FileHandleFile } from './filehandle-file.js';

function memfsFlags(mode: OpenMode): string {
  if (mode.write !== true) return 'r';
  if (mode.truncate === true) return 'w+';
  return mode.create === true ? 'a+' : 'r+';
}

export class MemfsDriver implements Driver {
  readonly label = 'memfs promises';
  private readonly volume = new Volume();

  allocAligned(lengthBytes: number): Uint8Array {
    return new Uint8Array(lengthBytes);
  }
  async open(path: string, mode: OpenMode): Promise<BenchFile> {
    // 'a+' appends on write; reopen as 'r+' so positioned writes land where asked.
    const flags = memfsFlags(mode);
    if (flags === 'a+') await (await this.volume.promises.open(`/${path}`, 'a+')).close();
    return new FileHandleFile(await this.volume.promises.open(`/${path}`, flags === 'a+' ? 'r+' : flags));
  }
  async stat(path: string): Promise<number> {
    return Number((await this.volume.promises.stat(`/${path}`)).size);
  }
  rename(fromPath: string, toPath: string): Promise<void> {
    return this.volume.promises.rename(`/${fromPath}`, `/${toPath}`);
  }
  unlink(path: string): Promise<void> {
    return this.volume.promises.unlink(`/${path}`);
  }
  async shutdown(): Promise<void> {
    this.volume.reset();
  }
}
