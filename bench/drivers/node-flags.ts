/** Maps the workloads' open modes onto numeric node:fs flags (shared by both Node competitors). */
import { constants } from 'node:fs';
import type { OpenMode } from './driver.js';

export function nodeOpenFlags(mode: OpenMode): number {
  let flags = mode.write === true ? constants.O_RDWR : constants.O_RDONLY;
  if (mode.create === true) flags |= constants.O_CREAT;
  if (mode.truncate === true) flags |= constants.O_TRUNC;
  if (mode.direct === true) flags |= constants.O_DIRECT;
  return flags;
}
