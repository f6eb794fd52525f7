/**
 * Physical line numbers of CSV records, counted from the bytes the parser reads. csv-parse's own
 * `info.lines` counts a CRLF inside a quoted field as two lines (a field holding "x\r\ny" moved every
 * later line number one down), so the reader counts the breaks itself: CRLF, CR and LF each end one
 * line, inside quotes or not. A file that starts with a UTF-16LE byte-order mark (csv-parse reads
 * those too) is counted in 2-byte code units. Break positions are kept only until the record after
 * them is numbered.
 */
export class CsvLineCounter {
  /** Start and end (exclusive) byte offsets of line breaks not yet passed by a numbered record. */
  private starts: number[] = [];
  private ends: number[] = [];
  private head = 0;
  /** Breaks already passed. */
  private passed = 0;
  private offset = 0;
  private lastWasCr = false;
  /** Decided from the first two bytes: 'utf16le' after an FF FE byte-order mark. */
  private encoding: 'unknown' | 'utf8' | 'utf16le' = 'unknown';
  private firstBytes: number[] = [];
  /** UTF-16LE: the low byte of a code unit whose high byte is in the next chunk. */
  private low = 0;

  /** Notes the line breaks in the next chunk the parser reads. */
  scan(chunk: Uint8Array): void {
    let from = 0;
    if (this.encoding === 'unknown') {
      while (this.firstBytes.length < 2 && from < chunk.length) this.firstBytes.push(chunk[from++] as number);
      if (this.firstBytes.length < 2) {
        this.offset += chunk.length;
        return;
      }
      this.encoding = this.firstBytes[0] === 0xff && this.firstBytes[1] === 0xfe ? 'utf16le' : 'utf8';
      // The first two bytes were held back until the encoding was known: count them now.
      this.countBytes(Uint8Array.from(this.firstBytes), 0, this.offset - (this.firstBytes.length - from));
    }
    this.countBytes(chunk, from, this.offset);
    this.offset += chunk.length;
    this.compact();
  }

  /** Counts `chunk[from..]`, whose byte 0 is at `base` in the input. */
  private countBytes(chunk: Uint8Array, from: number, base: number): void {
    if (this.encoding === 'utf16le') {
      for (let i = from; i < chunk.length; i++) {
        const at = base + i;
        if (at % 2 === 0) this.low = chunk[i] as number;
        else this.unit(this.low | ((chunk[i] as number) << 8), at - 1, at + 1);
      }
      return;
    }
    for (let i = from; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (c === 0x0a || c === 0x0d) this.unit(c, base + i, base + i + 1);
      else this.lastWasCr = false;
    }
  }

  private unit(c: number, start: number, end: number): void {
    if (c === 0x0a && this.lastWasCr) {
      // The LF of a CRLF (perhaps split across chunks) belongs to the break its CR began.
      this.ends[this.ends.length - 1] = end;
      this.lastWasCr = false;
    } else if (c === 0x0a || c === 0x0d) {
      this.starts.push(start);
      this.ends.push(end);
      this.lastWasCr = c === 0x0d;
    } else this.lastWasCr = false;
  }

  /** Drops what earlier records passed, now and then, so the lists stay as long as the data in flight. */
  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.starts.length) {
      // The last passed break stays: lineOf asks whether it was the record's own.
      this.starts = this.starts.slice(this.head - 1);
      this.ends = this.ends.slice(this.head - 1);
      this.head = 1;
    }
  }

  /**
   * The 1-based line a record ends on, from csv-parse's `info.bytes` for it (the bytes read through
   * the record and its own line break, if it has one). Records must be asked for in order.
   */
  lineOf(bytes: number): number {
    const before = this.breaksBefore(bytes);
    // The record's own line break ends its line; it is not a line before it.
    return 1 + before - (this.head > 0 && this.ends[this.head - 1] === bytes ? 1 : 0);
  }

  /**
   * The 1-based line a parser error names, from its `bytes`: the line of that byte, past any blank lines
   * that start there (an unclosed quote is reported at the end of the last whole row before it).
   */
  lineAt(bytes: number): number {
    let line = 1 + this.breaksBefore(bytes);
    let at = bytes;
    for (let k = this.head; k < this.starts.length && this.starts[k] === at; k++) {
      line++;
      at = this.ends[k] as number;
    }
    return line;
  }

  private breaksBefore(bytes: number): number {
    while (this.head < this.starts.length && (this.starts[this.head] as number) < bytes) {
      this.head++;
      this.passed++;
    }
    this.compact();
    return this.passed;
  }
}
