'use strict';
// Mocha's spec reporter (or its dot reporter with `--reporter-option base=dot`), plus one closing
// line in the plain form CI systems read: "tests: N passed, N failed, N skipped". Skipped tests are
// listed with the reason they printed.
const Mocha = require('mocha');
const { Spec, Dot } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

const BASES = { spec: Spec, dot: Dot };

function SummaryReporter(runner, options) {
  const reporterOptions = (options && (options.reporterOption || options.reporterOptions)) || {};
  const baseName = reporterOptions.base || 'spec';
  const Base = BASES[baseName];
  if (Base === undefined) {
    throw new Error(`summary-reporter: unknown base reporter ${JSON.stringify(baseName)} (spec or dot)`);
  }
  const reporter = new Base(runner, options);
  runner.once(EVENT_RUN_END, () => {
    const s = runner.stats || { passes: 0, failures: 0, pending: 0 };
    process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
  });
  return reporter;
}
module.exports = SummaryReporter;
