/**
 * How Storage hands a durable write to the Io: `blob.writeAtDurable` and the header of a new blob
 * go to `Io.writeDurable` as one call where the strategy allows it (buffered mode, one buffer), so
 * io_uring links the write to its sync; otherwise they are written as writeAt does, then synced.
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import type { Blob } from '../../src/interfaces/storage.js';
import { createStorage, type StorageOptions } from '../../src/storage/index.js';
import { WrappedIo } from './wrapped-io.js';

async function operationsOf(options: StorageOptions | undefined, call: (blob: Blob) => Promise<unknown>,
  wrap: { readonly directAlignmentBytes?: number; readonly shortTransferRate?: number } = {}): Promise<{ opening: string[]; call: string[] }> {
  const node = new Simulation({ seed: 'write-durable', profile: 'posix' }).node('n');
  let log: string[] = [];
  const io = new WrappedIo(node.io, { ...wrap, seed: 7, passWriteDurable: true, beforeOperation: (operation) => log.push(operation) });
  const storage = createStorage(io, options);
  try {
    const opened = await storage.open('p', 'b');
    const opening = log;
    log = [];
    await call(opened.blob);
    return { opening, call: [...log] };
  } finally {
    await storage.close();
  }
}

describe('storage/writeAtDurable: what reaches the Io', () => {
  it('buffered, one buffer: one Io.writeDurable and nothing else; a new blob\'s header too', async () => {
    const { opening, call } = await operationsOf(undefined, (blob) => blob.writeAtDurable(0, new Uint8Array(4096).fill(1)));
    expect(call).to.deep.equal(['writeDurable']);
    expect(opening.filter((op) => op === 'writeDurable')).to.have.length(1);
  });

  it('buffered, several buffers: the writes, then one fsync', async () => {
    const { call } = await operationsOf(undefined, (blob) => blob.writeAtDurable(0, [new Uint8Array(10).fill(1), new Uint8Array(20).fill(2)]));
    expect(call.at(-1)).to.equal('fsync');
    expect(call.filter((op) => op === 'fsync')).to.have.length(1);
    expect(call).to.not.include('writeDurable');
  });

  it('buffered, a short writeDurable: the rest by plain writes, then one fsync; every byte arrives', async () => {
    const data = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff);
    let readBack: Uint8Array[] = [];
    const { call } = await operationsOf(undefined, async (blob) => {
      for (let i = 0; i < 8; i++) await blob.writeAtDurable(i * data.byteLength, data);
      readBack = await Promise.all(Array.from({ length: 8 }, (_, i) => blob.readAt(i * data.byteLength, data.byteLength)));
    }, { shortTransferRate: 0.5 });
    const perCall = call.filter((op) => op !== 'read').join(' ').split(/ ?writeDurable ?/).slice(1);
    expect(perCall).to.have.length(8);
    // A whole writeDurable needs nothing after it; a short one is finished, then synced once.
    expect(perCall.some((after) => after === ''), 'some whole').to.equal(true);
    expect(perCall.some((after) => after !== ''), 'some short').to.equal(true);
    for (const after of perCall.filter((a) => a !== '')) expect(after).to.match(/^(write )*write fsync$/);
    for (const got of readBack) expect(Buffer.from(got).equals(Buffer.from(data))).to.equal(true);
  });

  it('direct mode keeps its aligned path: the write, then one fsync, never writeDurable', async () => {
    const { opening, call } = await operationsOf({ direct: true }, (blob) => blob.writeAtDurable(0, new Uint8Array(4096).fill(1)), { directAlignmentBytes: 512 });
    expect(call).to.not.include('writeDurable');
    expect(call.at(-1)).to.equal('fsync');
    expect(opening).to.not.include('writeDurable');
  });
});
