/**
 * The README is read on the registry's page, where only absolute links work: every link is an
 * in-page anchor or an absolute URL, and every link into the repository names a file that exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { packageRoot } from '../../src/native/binding.js';

const REPOSITORY = 'https://github.com/faultline-dev/faultline';

describe('README links', function () {
  const root = packageRoot() ?? '.';
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');

  it('are anchors or absolute URLs, never paths relative to a checkout', function () {
    expect(targets.length).to.be.greaterThan(0);
    expect(targets.filter((target) => !target.startsWith('#') && !/^https:\/\//.test(target))).to.deep.equal([]);
  });

  it('into the repository name files that exist', function () {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { repository?: { url?: string } };
    expect(manifest.repository?.url).to.equal(`git+${REPOSITORY}.git`);
    const missing = targets
      .filter((target) => target.startsWith(`${REPOSITORY}/`))
      .map((target) => target.slice(REPOSITORY.length + 1).replace(/^(blob|raw)\/main\//, '').replace(/#.*$/, ''))
      .filter((path) => !existsSync(join(root, path)));
    expect(missing).to.deep.equal([]);
  });
});
