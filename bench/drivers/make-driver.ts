/** Builds the {@link Driver} of a competitor inside the measuring child. */
import { Volume } from 'memfs';
import { competitorById } from '../competitors.js';
import type { MeasureRequest } from '../types.js';
import { createFsIo, createStorageOn, createUringIo } from './backends.js';
import { NotAvailable, type Driver } from './driver.js';
import { IoDriver } from './faultline-io.js';
import { StorageDriver } from './faultline-storage.js';
import { MemfsDriver } from './memfs.js';
import { NodeCallbacksDriver } from './node-callbacks.js';
import { NodePromisesDriver } from './node-promises.js';

/** Root of the in-memory volume FsIo runs on in the `fsio-memfs` competitor. */
const MEMFS_ROOT = '/bench';

export async function makeDriver(competitorId: string, req: MeasureRequest): Promise<Driver> {
  const { label } = competitorById(competitorId);
  switch (competitorId) {
    case 'uring':
      return new IoDriver(label, await createUringIo(req.dirPath, req.queueDepth));
    case 'uring-linked':
      return new IoDriver(label, await createUringIo(req.dirPath, req.queueDepth), true, true);
    case 'fsio':
      return new IoDriver(label, await createFsIo(req.dirPath));
    case 'storage-uring': {
      const io = await createUringIo(req.dirPath, req.queueDepth);
      return new StorageDriver(label, io, await createStorageOn(io));
    }
    case 'storage-fsio': {
      const io = await createFsIo(req.dirPath);
      return new StorageDriver(label, io, await createStorageOn(io));
    }
    case 'node-promises':
    case 'node-promises-uvuring':
      return new NodePromisesDriver(label, req.dirPath);
    case 'node-callbacks':
    case 'node-callbacks-uvuring':
      return new NodeCallbacksDriver(label, req.dirPath);
    case 'memfs':
      return new MemfsDriver();
    case 'fsio-memfs': {
      const volume = new Volume();
      volume.mkdirSync(MEMFS_ROOT);
      return new IoDriver(label, await createFsIo(MEMFS_ROOT, volume));
    }
    default:
      throw new NotAvailable(`competitor ${competitorId} has no driver (it runs elsewhere)`);
  }
}
