/**
 * The deliberately broken variants of the KV store. Each one is a real bug class found in real
 * storage engines; the simulator must catch every one within a small seed budget. A variant
 * changes one decision in the store, so the correct code and the bug sit side by side.
 */
export const KV_BUGS = {
  'ack-before-sync': 'acknowledges a write once it is in the page cache, before fsync resolves',
  'no-dir-sync': 'creates a new segment under a temporary name and renames it into place without fsyncing the directory, so the segment name can vanish at a power cut',
  'no-checksum': 'does not verify record checksums during recovery, so a torn or corrupted record is accepted',
  'fsync-retry': 'retries fsync after EIO and trusts the retry (fsyncgate: the dirty pages were already dropped)',
  'trust-size': 'after a crash, appends at the file size instead of after the last valid record, leaving a torn record in the middle of the log',
  'rename-before-sync': 'compaction renames the new snapshot into place before fsyncing its data, then deletes the old segments',
} as const;

/** The name of one broken variant. */
export type KvBug = keyof typeof KV_BUGS;

/** True when `name` names a broken variant. */
export function isKvBug(name: string): name is KvBug {
  return Object.prototype.hasOwnProperty.call(KV_BUGS, name);
}
