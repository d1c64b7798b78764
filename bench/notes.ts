/**
 * Hand-written notes in BENCHMARKS.md that survive a rewrite by `npm run bench`.
 *
 * A notes block is the lines from `<!-- notes:<key> -->` to `<!-- /notes:<key> -->`, each marker on
 * a line of its own. The key names the block's anchor in the generated report: a workload id
 * (`randread`), `extra:<script>` (`extra:uring-reads`) or `top` (after "Key ratios"). The runner
 * reads the blocks out of the old file and the report puts each back at its anchor.
 */

/** Anchor right after the "Key ratios" section. */
export const TOP_NOTES_KEY = 'top';

/** Key of the notes that follow the verbatim output of `bench/<name>`. */
export function extraNotesKey(name: string): string {
  return `extra:${name}`;
}

export function openingMarker(key: string): string {
  return `<!-- notes:${key} -->`;
}

export function closingMarker(key: string): string {
  return `<!-- /notes:${key} -->`;
}

const MARKER = /^<!--\s*(\/?)notes:([A-Za-z0-9][A-Za-z0-9:._-]*)\s*-->$/;
/** Anything that starts like a marker: a typo must not turn a block into text a rewrite drops. */
const MARKER_LIKE = /^<!--\s*\/?\s*notes\s*:/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

interface Marker { readonly closing: boolean; readonly key: string }

interface OpenBlock { readonly key: string; readonly lineNumber: number; readonly lines: string[] }

/** Parses one line as a marker; undefined for ordinary text; throws on a damaged marker. */
function markerOf(line: string, lineNumber: number): Marker | undefined {
  const trimmed = line.trim();
  const match = MARKER.exec(trimmed);
  if (match !== null) return { closing: match[1] === '/', key: match[2]! };
  if (MARKER_LIKE.test(trimmed)) throw new Error(`notes: line ${lineNumber}: malformed marker ${JSON.stringify(trimmed)} (expected ${openingMarker('<key>')} or ${closingMarker('<key>')})`);
  return undefined;
}

/**
 * Tracks fenced code blocks: a marker-like line inside one is text (verbatim script output, or a
 * note showing the syntax), not a marker. Returns the fence still open after `line`.
 */
function nextFence(openFence: string | undefined, line: string): string | undefined {
  const fence = FENCE.exec(line)?.[1];
  if (fence === undefined) return openFence;
  if (openFence === undefined) return fence;
  const closes = fence[0] === openFence[0] && fence.length >= openFence.length && line.trim() === fence;
  return closes ? undefined : openFence;
}

function checkOpening(key: string, lineNumber: number, open: OpenBlock | undefined, blocks: ReadonlyMap<string, { lineNumber: number }>): void {
  if (open !== undefined) {
    throw new Error(`notes: line ${lineNumber}: block '${key}' opens inside block '${open.key}' (opened on line ${open.lineNumber}); blocks cannot nest`);
  }
  const earlier = blocks.get(key);
  if (earlier !== undefined) throw new Error(`notes: line ${lineNumber}: block '${key}' appears twice (first on line ${earlier.lineNumber})`);
}

function checkClosing(key: string, lineNumber: number, open: OpenBlock | undefined): OpenBlock {
  if (open === undefined) throw new Error(`notes: line ${lineNumber}: block '${key}' closes but was never opened`);
  if (open.key !== key) throw new Error(`notes: line ${lineNumber}: block '${key}' closes while block '${open.key}' (opened on line ${open.lineNumber}) is open`);
  return open;
}

/**
 * Every notes block of `markdown`, by key, in document order; each value is the block's lines,
 * markers included. Throws an Error naming the key and line of any unclosed, stray, duplicate or
 * nested marker, so a damaged file stops the rewrite before anything is written.
 */
export function extractNotes(markdown: string): Map<string, string> {
  const found = new Map<string, { lineNumber: number; text: string }>();
  let open: OpenBlock | undefined;
  let fence: string | undefined;
  markdown.split(/\r?\n/).forEach((line, index) => {
    const lineNumber = index + 1;
    const marker = fence === undefined ? markerOf(line, lineNumber) : undefined;
    fence = marker === undefined ? nextFence(fence, line) : fence;
    if (marker === undefined) {
      open?.lines.push(line);
    } else if (!marker.closing) {
      checkOpening(marker.key, lineNumber, open, found);
      open = { key: marker.key, lineNumber, lines: [line] };
    } else {
      const block = checkClosing(marker.key, lineNumber, open);
      block.lines.push(line);
      found.set(block.key, { lineNumber: block.lineNumber, text: block.lines.join('\n') });
      open = undefined;
    }
  });
  if (open !== undefined) {
    const hint = fence === undefined ? '' : `; a code fence left open inside it hides any marker after it`;
    throw new Error(`notes: line ${open.lineNumber}: block '${open.key}' is never closed (expected ${closingMarker(open.key)}${hint})`);
  }
  return new Map([...found].map(([key, block]) => [key, block.text]));
}
