// npx mocha test/runners/third-party/mocha.spec.mjs (mocha's describe/it are found as globals)
import { defineIoConformance, defineStorageConformance } from 'faultline/conformance';
import { simulationTest } from 'faultline/testing';
import { createBackend, defineFailingCases, supports, syncedRecordSurvives } from './backend.mjs';

if (process.env.FAULTLINE_FIXTURE === 'fail') {
  defineFailingCases(defineIoConformance, simulationTest);
} else {
  defineIoConformance('memfs', createBackend, supports);
  defineStorageConformance('memfs', createBackend, supports);
  simulationTest('a synced record survives a power cut', { seeds: 50 }, syncedRecordSurvives);
}
