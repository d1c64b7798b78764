/**
 * The checked count of a campaign: which seeds of its plan have a result (by index in the plan:
 * a range `from..from+count-1`, a shard of one, or a seeded stream). A campaign's verdict
 * and exit code come from this ledger, never from a bare counter, so a seed whose worker vanished
 * without a result cannot pass unnoticed: it is missing, named, and the campaign fails.
 *
 * One bit per seed (a 100-million-seed range is 12.5 MB), and the lowest seed without a result is
 * tracked as results arrive (amortised O(1)), which gives the `--from` a campaign resumes at and
 * the point up to which failures can be printed in seed order.
 */

/** Missing seeds named in a report; the count is always exact. */
export const MISSING_NAMED_MAX = 20;

export class SeedLedger {
  private readonly bits: Uint8Array;
  private doneCount = 0;
  private duplicateCount = 0;
  private lowestOpen = 0;

  constructor(readonly seedCount: number) {
    this.bits = new Uint8Array(Math.ceil(seedCount / 8));
  }

  /** Records a result for the seed at `index`. False when outside the plan or already recorded. */
  mark(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.seedCount) return false;
    const byte = index >> 3;
    const bit = 1 << (index & 7);
    if ((this.bits[byte]! & bit) !== 0) {
      this.duplicateCount += 1;
      return false;
    }
    this.bits[byte]! |= bit;
    this.doneCount += 1;
    while (this.lowestOpen < this.seedCount && this.has(this.lowestOpen)) this.lowestOpen += 1;
    return true;
  }

  private has(index: number): boolean {
    return (this.bits[index >> 3]! & (1 << (index & 7))) !== 0;
  }

  /** Seeds with a result. */
  get done(): number {
    return this.doneCount;
  }

  /** Results that arrived twice for the same seed (a bug in the runner; counted, not recorded). */
  get duplicates(): number {
    return this.duplicateCount;
  }

  /** Every index below this one has a result (where a range resumes). */
  get doneBelow(): number {
    return this.lowestOpen;
  }

  /** How many seeds have no result. */
  get missingCount(): number {
    return this.seedCount - this.doneCount;
  }

  /** The first `max` indices without a result, in order. */
  missing(max = MISSING_NAMED_MAX): number[] {
    const out: number[] = [];
    let index = this.lowestOpen;
    while (index < this.seedCount && out.length < max) {
      if ((index & 7) === 0 && this.bits[index >> 3] === 0xff) {
        index += 8;
        continue;
      }
      if (!this.has(index)) out.push(index);
      index += 1;
    }
    return out;
  }
}
