/**
 * Seed markers: a worker's counts of seeds started and finished, read back by the campaign after
 * the worker died, tell it which seed the worker died in and which results it never sent.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SeedMarkerFile, SeedMarkerWriter } from '../../src/cli/seed-marker.js';

describe('cli: seed markers', () => {
  it('each worker slot reads back its own counts; a slot never written reads as zeros', () => {
    const file = SeedMarkerFile.open();
    expect(file, 'the temporary directory refused the marker file').to.not.equal(undefined);
    try {
      const first = file!.allocate();
      const second = file!.allocate();
      const third = file!.allocate();
      expect(new Set([first, second, third]).size).to.equal(3);
      const a = new SeedMarkerWriter(file!.fd, first);
      const b = new SeedMarkerWriter(file!.fd, second);
      a.reset();
      b.reset();
      a.start();
      a.finish();
      a.start();
      b.start();
      b.finish();
      // a died inside its second seed, b between seeds; the third worker never wrote its slot.
      expect(file!.read(first)).to.deep.equal({ started: 2, finished: 1 });
      expect(file!.read(second)).to.deep.equal({ started: 1, finished: 1 });
      expect(file!.read(third)).to.deep.equal({ started: 0, finished: 0 });
    } finally {
      file?.close();
    }
  });

  it('leaves no file behind: it is unlinked as soon as it is open', () => {
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith(`faultline-markers-${process.pid}-`));
    const file = SeedMarkerFile.open();
    const during = readdirSync(tmpdir()).filter((name) => name.startsWith(`faultline-markers-${process.pid}-`));
    file?.close();
    expect(file).to.not.equal(undefined);
    expect(during).to.deep.equal(before);
  });
});
