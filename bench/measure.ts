/** Dispatches one {@link MeasureRequest} to its workload, inside the measuring child. */
import { makeDriver } from './drivers/make-driver.js';
import type { MeasureRequest, MeasureResult } from './types.js';
import { progress } from './worker-progress.js';
import { groupCommit } from './workloads/group-commit.js';
import { metadataChurn } from './workloads/metadata.js';
import { randomIo } from './workloads/random-io.js';
import { sequentialIo } from './workloads/sequential.js';
import { simDisk } from './workloads/sim-disk.js';
import { syncAppend } from './workloads/sync-append.js';

export async function runMeasurement(req: MeasureRequest): Promise<MeasureResult> {
  progress.phase = `measuring ${req.workload}`;
  if (req.workload === 'sim') return simDisk(req);
  progress.phase = `opening ${req.competitor}`;
  const driver = await makeDriver(req.competitor, req);
  progress.phase = `measuring ${req.workload}`;
  try {
    switch (req.workload) {
      case 'randread':
      case 'randread-direct':
        return await randomIo(driver, req, 'read');
      case 'randwrite':
        return await randomIo(driver, req, 'write');
      case 'seqread':
        return await sequentialIo(driver, req, 'read');
      case 'seqwrite':
        return await sequentialIo(driver, req, 'write');
      case 'sync-append':
        return await syncAppend(driver, req);
      case 'group-commit':
        return await groupCommit(driver, req);
      case 'metadata':
        return await metadataChurn(driver, req);
    }
  } finally {
    progress.phase = `shutting down ${req.competitor}`;
    await driver.shutdown();
  }
}
