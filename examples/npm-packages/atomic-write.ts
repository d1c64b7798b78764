/**
 * A correct atomic file replacement on POSIX, written against plain `node:fs/promises` (so it runs
 * unmodified on a real disk and, under interception, on a simulated node's disk):
 *
 * 1. write the new content to a temporary file in the same directory,
 * 2. fsync the temporary file (its data is durable before any name points at it),
 * 3. rename it over the target (atomic in the namespace: readers see old or new, never a mix),
 * 4. fsync the directory (the rename itself becomes durable).
 *
 * Skip 2 and a power cut can leave the target name on an empty or partial file; skip 4 and the
 * rename can be undone by a power cut after the call resolved (the old content comes back).
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomicDurable(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.tmp`);
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
  await file.close();
  await rename(temporary, path);
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
