import { expect } from 'chai';
import { extractNotes } from '../notes.js';

const doc = [
  '# Benchmarks',
  '## Key ratios',
  '<!-- notes:top -->',
  'Read the ratios, not the rates.',
  '<!-- /notes:top -->',
  '## 4 KiB random reads',
  '| a | b |',
  '<!-- notes:randread -->',
  '',
  '**What moved.** QD 8: 0.92×.',
  '```text',
  '<!-- notes:in-a-fence -->',
  '```',
  '<!-- /notes:randread -->',
  'generated text after the block',
].join('\n');

function errorOf(markdown: string): string {
  try {
    extractNotes(markdown);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected extractNotes to throw');
}

describe('bench/notes', () => {
  it('extracts each block with its markers, by key, in document order', () => {
    const notes = extractNotes(doc);
    expect([...notes.keys()]).to.deep.equal(['top', 'randread']);
    expect(notes.get('top')).to.equal('<!-- notes:top -->\nRead the ratios, not the rates.\n<!-- /notes:top -->');
    const randread = notes.get('randread')!;
    expect(randread.startsWith('<!-- notes:randread -->\n\n**What moved.**')).to.equal(true);
    expect(randread.endsWith('```\n<!-- /notes:randread -->')).to.equal(true);
  });

  it('reads a marker inside a code fence as text, and keys with a colon', () => {
    const notes = extractNotes('```\n<!-- notes:x -->\n```\n  <!-- notes:extra:uring-reads -->\nfio\n<!-- /notes:extra:uring-reads -->  ');
    expect([...notes.keys()]).to.deep.equal(['extra:uring-reads']);
    expect(notes.get('extra:uring-reads')).to.equal('  <!-- notes:extra:uring-reads -->\nfio\n<!-- /notes:extra:uring-reads -->  ');
  });

  it('finds nothing in a report without markers, and reads CRLF files', () => {
    expect(extractNotes('# Benchmarks\n\nText `<!-- notes:<key> -->` inline.\n').size).to.equal(0);
    expect(extractNotes('<!-- notes:a -->\r\nx\r\n<!-- /notes:a -->\r\n').get('a')).to.equal('<!-- notes:a -->\nx\n<!-- /notes:a -->');
  });

  it('names the key and line of a block never closed', () => {
    expect(errorOf('a\n<!-- notes:randread -->\nb\n')).to.match(/line 2: block 'randread' is never closed/);
    expect(errorOf('<!-- notes:a -->\n```\n<!-- /notes:a -->\n')).to.match(/line 1: block 'a' is never closed.*code fence/);
  });

  it('names the key and lines of a duplicate block', () => {
    const md = '<!-- notes:top -->\n<!-- /notes:top -->\nx\n<!-- notes:top -->\n<!-- /notes:top -->';
    expect(errorOf(md)).to.match(/line 4: block 'top' appears twice \(first on line 1\)/);
  });

  it('refuses nested blocks, stray and mismatched closings', () => {
    expect(errorOf('<!-- notes:a -->\n<!-- notes:b -->\n<!-- /notes:b -->\n<!-- /notes:a -->')).to.match(/line 2: block 'b' opens inside block 'a' \(opened on line 1\)/);
    expect(errorOf('x\n<!-- /notes:a -->')).to.match(/line 2: block 'a' closes but was never opened/);
    expect(errorOf('<!-- notes:a -->\n<!-- /notes:b -->')).to.match(/line 2: block 'b' closes while block 'a' \(opened on line 1\) is open/);
  });

  it('refuses a damaged marker rather than dropping its block as text', () => {
    expect(errorOf('<!-- notes:two words -->\nx\n<!-- /notes:two words -->')).to.match(/line 1: malformed marker/);
    expect(errorOf('<!-- notes: -->')).to.match(/line 1: malformed marker/);
  });
});
