/**
 * Seed markers: where each campaign worker records, without waking anyone, how many seeds it has
 * started and how many it has finished. Workers send their results in batches (one message per
 * chunk of seeds or per flush interval, not one per seed: every message wakes the campaign's
 * process, which then competes with the workers for the cores). A worker that dies takes its
 * unsent results with it; its marker says which seed it was running when it died (that seed fails)
 * and which seeds it had finished without reporting them (those run again: seeds are deterministic,
 * so the re-run gives the result that was lost).
 *
 * The markers live in one small file per campaign, unlinked as soon as it is open (nothing is left
 * behind, even when the campaign is killed). Each worker gets the descriptor and its own 8-byte
 * slot; a marker update is one `pwrite` of 8 bytes to the page cache, and the campaign reads a
 * slot once, after its worker has exited. Where the file cannot be made, workers fall back to
 * sending each result before starting the next seed.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes of one worker's marker: seeds started, then seeds finished (two little-endian uint32). */
export const SEED_MARKER_BYTES = 8;

/** What a worker's marker said when it was read. */
export interface SeedMarkerCounts {
  readonly started: number;
  readonly finished: number;
}

/** The campaign side: the file, and a slot for each worker started. */
export class SeedMarkerFile {
  private nextSlot = 0;
  private constructor(readonly fd: number) {}

  /** Opens the file, or returns undefined when the temporary directory refuses it. */
  static open(): SeedMarkerFile | undefined {
    const path = join(tmpdir(), `faultline-markers-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);
    let fd: number;
    try {
      fd = openSync(path, 'wx+', 0o600);
    } catch {
      return undefined;
    }
    try {
      unlinkSync(path);
    } catch {
      // A system that cannot unlink an open file: give up on markers rather than leave files behind.
      closeSync(fd);
      return undefined;
    }
    return new SeedMarkerFile(fd);
  }

  /** A fresh slot's offset for a new worker (slots are never reused, so a stale marker never misleads). */
  allocate(): number {
    const offsetBytes = this.nextSlot * SEED_MARKER_BYTES;
    this.nextSlot += 1;
    return offsetBytes;
  }

  /** The counts in a slot (zeros when the worker never wrote it), or undefined when unreadable. */
  read(offsetBytes: number): SeedMarkerCounts | undefined {
    const bytes = Buffer.alloc(SEED_MARKER_BYTES);
    try {
      const got = readSync(this.fd, bytes, 0, SEED_MARKER_BYTES, offsetBytes);
      if (got === 0) return { started: 0, finished: 0 };
      if (got !== SEED_MARKER_BYTES) return undefined;
    } catch {
      return undefined;
    }
    return { started: bytes.readUInt32LE(0), finished: bytes.readUInt32LE(4) };
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed: nothing to release.
    }
  }
}

/** The worker side: updates its slot in place. */
export class SeedMarkerWriter {
  private readonly bytes = Buffer.alloc(SEED_MARKER_BYTES);
  private started = 0;
  private finished = 0;
  constructor(private readonly fd: number, private readonly offsetBytes: number) {}

  /** Writes zeros: throws when the descriptor is not a usable marker file. */
  reset(): void {
    this.write();
  }

  /** Called just before a seed starts. */
  start(): void {
    this.started += 1;
    this.write();
  }

  /** Called as soon as the seed's result exists (before it is sent). */
  finish(): void {
    this.finished = this.started;
    this.write();
  }

  private write(): void {
    this.bytes.writeUInt32LE(this.started, 0);
    this.bytes.writeUInt32LE(this.finished, 4);
    writeSync(this.fd, this.bytes, 0, SEED_MARKER_BYTES, this.offsetBytes);
  }
}
