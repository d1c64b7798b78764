/**
 * Child process for fs.test.ts's symlink-swap race: flips `<root>/x` between a directory inside
 * the root and a symbolic link to `outside`, as fast as it can, until `stop` appears in the root
 * or `roundsMax` flips are done. Prints the number of flips.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

const [root, outside, roundsMaxText] = process.argv.slice(2) as [string, string, string];
const roundsMax = Number(roundsMaxText);
const name = join(root, 'x');
const parked = join(root, 'x.parked');
const stop = join(root, 'stop');
let rounds = 0;
while (rounds < roundsMax) {
  if (rounds % 64 === 0 && fs.existsSync(stop)) break;
  try {
    fs.renameSync(name, parked);
    fs.symlinkSync(outside, name);
    fs.unlinkSync(name);
    fs.renameSync(parked, name);
  } catch {
    // The parent may have created or removed entries under x meanwhile; keep flipping.
    if (!fs.existsSync(name) && fs.existsSync(parked)) fs.renameSync(parked, name);
  }
  rounds += 1;
}
process.stdout.write(`${rounds}\n`);
