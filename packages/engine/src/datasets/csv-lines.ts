/**
 * Physical line numbers of CSV records, counted from the bytes the parser reads. csv-parse's own
 * `info.lines` counts a CRLF inside a quoted field as two lines (a field holding "x\r\ny" moved every
 * later line number one down), so the reader counts the breaks itself: CRLF, CR and LF each end one
 * line, inside quotes or not. Break positions are kept only until the record after them is numbered.
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

  /** Notes the line breaks in the next chunk the parser reads. */
  scan(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 0x0a && this.lastWasCr) {
        // The LF of a CRLF (perhaps split across chunks) belongs to the break its CR began.
        this.ends[this.ends.length - 1] = this.offset + i + 1;
        this.lastWasCr = false;
      } else if (c === 0x0a || c === 0x0d) {
        this.starts.push(this.offset + i);
        this.ends.push(this.offset + i + 1);
        this.lastWasCr = c === 0x0d;
      } else this.lastWasCr = false;
    }
    this.offset += chunk.length;
    // Drop what earlier records passed, now and then, so the lists stay as long as the data in flight.
    if (this.head > 4096 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.ends = this.ends.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The 1-based line a record ends on, from csv-parse's `info.bytes` for it (the bytes read through
   * the record and its own line break, if it has one). Records must be asked for in order.
   */
  lineOf(bytes: number): number {
    while (this.head < this.starts.length && (this.starts[this.head] as number) < bytes) {
      this.head++;
      this.passed++;
    }
    // The record's own line break ends its line; it is not a line before it.
    const ownBreak = this.head > 0 && this.ends[this.head - 1] === bytes ? 1 : 0;
    return 1 + this.passed - ownBreak;
  }
}
