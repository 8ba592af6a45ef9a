// Go's text/tabwriter (elastic tabstops), as docker renders its tables with
// tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). Cells are tab-terminated: the text after a
// line's last tab is not part of a column. A column block is a run of consecutive lines
// that have a cell in that column; each block gets its own width.
//
// Widths: Go's package counts runes (runeCount, the default); docker's fork
// (cli/command/formatter/tabwriter) counts terminal cells with go-runewidth, for which
// displayWidth is an approximation (East Asian wide and emoji 2, combining marks 0).
// Go's Escape byte 0xff cannot occur in a JS string of text; ESCAPE (U+FFFF, a Unicode
// noncharacter) plays its part here.

export const FILTER_HTML = 1;
export const STRIP_ESCAPE = 2;
export const ALIGN_RIGHT = 4;
export const DISCARD_EMPTY_COLUMNS = 8;
export const TAB_INDENT = 16;
export const DEBUG = 32;

export const ESCAPE = '\uffff';

export type CellWidth = (text: string) => number;

/** Go's text/tabwriter: one rune, one column. */
export const runeCount: CellWidth = (text) => {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || text.charCodeAt(i - 1) < 0xd800 || text.charCodeAt(i - 1) > 0xdbff) n++;
  }
  return n;
};

const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;
const EMOJI = /\p{Emoji_Presentation}/u;
// East Asian Wide and Fullwidth blocks (UAX #11), condensed
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf],
  [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4], [0x17000, 0x18aff], [0x1b000, 0x1b2ff],
  [0x1f200, 0x1f251], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

function runeWidth(r: number, ch: string): number {
  if (r === 0xffff) return 1; // ESCAPE counts as one, as Go's 0xff byte does
  if (r < 0x20 || (r >= 0x7f && r < 0xa0) || ZERO_WIDTH.test(ch)) return 0;
  if (r < 0x1100) return 1;
  if (r >= 0x1f1e6 && r <= 0x1f1ff) return 1; // regional indicators are narrow (East Asian Width N)
  return WIDE.some(([lo, hi]) => r >= lo && r <= hi) || EMOJI.test(ch) ? 2 : 1;
}

// made on first use: constructing a Segmenter costs ~8 ms, too much for every command's start
let graphemes: Intl.Segmenter | undefined;
const PLAIN = /^[\x20-\x7e]*$/;

/**
 * Terminal cells of TEXT as go-runewidth's StringWidth counts them (measured against
 * docker 28's tables): per grapheme cluster, the width of its first rune, so a skin-tone
 * or ZWJ emoji sequence is 2, a letter with combining marks 1, a flag 1, "❤️" 1.
 */
export const displayWidth: CellWidth = (text) => {
  if (PLAIN.test(text)) return text.length;
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let n = 0;
  for (const { segment } of graphemes.segment(text)) {
    const r = segment.codePointAt(0)!;
    n += runeWidth(r, String.fromCodePoint(r));
  }
  return n;
};

interface Cell {
  text: string;
  width: number; // columns, not counting ignored HTML/escapes
  htab: boolean; // terminated by '\t' (not '\v')
}

const newCell = (): Cell => ({ text: '', width: 0, htab: false });

export interface Output {
  write(text: string): unknown;
}

export class TabWriter {
  // Go keeps all text in one buffer; a JS string grown by += and sliced would be flattened
  // again and again, so each cell keeps its own text
  private measured = 0; // the length of the current cell's text its width covers
  private cell: Cell = newCell();
  private endChar = ''; // the end of an escaped run: ESCAPE, '>' or ';'
  private lines: Cell[][] = [[]];
  private widths: number[] = [];
  private pending = '';
  private readonly flags: number;

  constructor(
    private readonly output: Output,
    private readonly minwidth: number,
    private readonly tabwidth: number,
    private readonly padding: number,
    private readonly padchar: string,
    flags: number,
    private readonly cellWidth: CellWidth = runeCount,
  ) {
    if (minwidth < 0 || tabwidth < 0 || padding < 0) throw new RangeError('negative minwidth, tabwidth, or padding');
    // tab padding enforces left alignment
    this.flags = padchar === '\t' ? flags & ~ALIGN_RIGHT : flags;
  }

  write(text: string): void {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (this.endChar === '') {
        if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
          this.append(text.slice(n, i));
          this.updateWidth();
          n = i + 1;
          const ncells = this.terminateCell(ch === '\t');
          if (ch === '\n' || ch === '\f') {
            this.lines.push([]);
            // a line of one cell cannot change the columns of the lines after it
            if (ch === '\f' || ncells === 1) {
              this.flushBuffered();
              if (ch === '\f' && this.flags & DEBUG) this.pending += '---\n';
            }
          }
        } else if (ch === ESCAPE) {
          this.append(text.slice(n, i));
          this.updateWidth();
          n = this.flags & STRIP_ESCAPE ? i + 1 : i;
          this.endChar = ESCAPE;
        } else if ((ch === '<' || ch === '&') && this.flags & FILTER_HTML) {
          this.append(text.slice(n, i));
          this.updateWidth();
          n = i;
          this.endChar = ch === '<' ? '>' : ';';
        }
      } else if (ch === this.endChar) {
        const j = ch === ESCAPE && this.flags & STRIP_ESCAPE ? i : i + 1;
        this.append(text.slice(n, j));
        n = i + 1;
        this.endEscape();
      }
    }
    this.append(text.slice(n));
    this.emit();
  }

  /** Format and write out everything buffered (an unfinished escape counts as finished). */
  flush(): void {
    this.flushBuffered();
    this.emit();
  }

  private emit(): void {
    if (this.pending) this.output.write(this.pending);
    this.pending = '';
  }

  private reset(): void {
    this.measured = 0;
    this.cell = newCell();
    this.endChar = '';
    this.lines = [[]];
    this.widths = [];
  }

  private append(text: string): void {
    this.cell.text += text;
  }

  private updateWidth(): void {
    this.cell.width += this.cellWidth(this.cell.text.slice(this.measured));
    this.measured = this.cell.text.length;
  }

  private endEscape(): void {
    if (this.endChar === ESCAPE) {
      this.updateWidth();
      if (!(this.flags & STRIP_ESCAPE)) this.cell.width -= 2; // the Escape characters take no room
    } else if (this.endChar === ';') this.cell.width++; // an entity is one character
    // a tag ('>') has no width
    this.measured = this.cell.text.length;
    this.endChar = '';
  }

  private terminateCell(htab: boolean): number {
    this.cell.htab = htab;
    const line = this.lines[this.lines.length - 1]!;
    line.push(this.cell);
    this.cell = newCell();
    this.measured = 0;
    return line.length;
  }

  private flushBuffered(): void {
    if (this.cell.text.length > 0) {
      if (this.endChar !== '') this.endEscape();
      this.terminateCell(false);
    }
    this.format(0, this.lines.length);
    this.reset();
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.padchar === '\t' || useTabs) {
      if (this.tabwidth === 0) return; // tabs have no width: no padding possible
      cellw = Math.ceil(cellw / this.tabwidth) * this.tabwidth;
      const n = cellw - textw;
      if (n < 0) throw new Error('tabwriter: internal error');
      this.pending += '\t'.repeat(Math.ceil(n / this.tabwidth));
      return;
    }
    this.pending += this.padchar.repeat(Math.max(cellw - textw, 0));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      let useTabs = (this.flags & TAB_INDENT) !== 0; // pad leading empty cells with tabs
      line.forEach((c, j) => {
        if (j > 0 && this.flags & DEBUG) this.pending += '|';
        if (c.text.length === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, useTabs);
        } else {
          useTabs = false;
          if (!(this.flags & ALIGN_RIGHT)) {
            this.pending += c.text;
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, false);
          } else {
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, false);
            this.pending += c.text;
          }
        }
      });
      // the last buffered line has no newline yet: write the text of its unfinished cell
      if (i + 1 === this.lines.length) this.pending += this.cell.text;
      else this.pending += '\n';
    }
  }

  /** Format lines [line0, line1). */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= this.lines[current]!.length - 1) continue;
      // this line has a cell in this column (its last cell, the text before the line break, never does)
      this.writeLines(line0, current);
      line0 = current;
      let width = this.minwidth;
      let discardable = true; // every cell in the block is empty and soft
      for (; current < line1; current++) {
        const line = this.lines[current]!;
        if (column >= line.length - 1) break;
        const c = line[column]!;
        width = Math.max(width, c.width + this.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.flags & DISCARD_EMPTY_COLUMNS) width = 0;
      // format the columns right of this one, now that this one's width is known
      this.widths.push(width);
      this.format(line0, current);
      this.widths.pop();
      line0 = current;
    }
    this.writeLines(line0, line1);
  }
}

/** Align TEXT as docker's tables are (minwidth 10, tabwidth 1, padding 3, spaces, docker's cell widths). */
export function alignTable(text: string, cellWidth: CellWidth = displayWidth): string {
  let out = '';
  const w = new TabWriter({ write: (s) => (out += s) }, 10, 1, 3, ' ', 0, cellWidth);
  w.write(text);
  w.flush();
  return out;
}
