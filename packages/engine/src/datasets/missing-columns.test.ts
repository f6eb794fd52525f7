import { describe, expect, it } from 'vitest';
import { readCsvAll, readNumericMatrix } from './csv';
import { missingColumns } from './missing-columns';

// The same look at a header lacking columns was written four times: the engine's readCsv (typed columns
// not found) and readNumericMatrix (a row read as one field), traffic's readSeriesCsv (its timestamp,
// sensor and value columns), text's readTextCsv (text and label columns) and the fraud demo's
// transaction files (card, amount, timestamp; and a JSONL record's fields). One look now, here; the
// cases below are each copy's.

describe('missingColumns', () => {
  it('is undefined when every required name is there, whatever else the header holds', () => {
    expect(missingColumns(['text', 'label', 'id'], ['text', 'label'])).toBeUndefined();
    expect(missingColumns(['a'], [])).toBeUndefined();
    expect(missingColumns(['text;label'], [])).toBeUndefined();
  });

  it('lists the missing names in the order they were required, matched exactly (readCsv typed columns)', () => {
    expect(missingColumns(['b', 'a'], ['z', 'a', 'y'])).toEqual({ missing: ['z', 'y'], near: new Map() });
    expect(missingColumns([], ['a'])).toEqual({ missing: ['a'], near: new Map() });
    // Exact: a name with other case or spaces is missing (and near).
    expect(missingColumns(['Amount'], ['amount'])?.missing).toEqual(['amount']);
  });

  it('a header read as one column holding ; tab or | names that delimiter, and no near names (traffic, text, fraud demo)', () => {
    expect(missingColumns(['text;label'], ['text', 'label'])).toEqual({ missing: ['text', 'label'], otherDelimiter: ';', near: new Map() });
    expect(missingColumns(['time\ts1\ts2'], ['time'])?.otherDelimiter).toBe('\t');
    expect(missingColumns(['card|amount|timestamp'], ['card'], { contains: true })).toEqual({
      missing: ['card'],
      otherDelimiter: '|',
      near: new Map(),
    });
    // ';' is looked for before tab and '|'.
    expect(missingColumns(['a|b;c\td'], ['x'])?.otherDelimiter).toBe(';');
  });

  it('never suggests the delimiter the file was read with (traffic), and only for a one-column header', () => {
    // Read with ';', a quoted one-column header holding ';' is not a ';' file read wrongly; '|' still is.
    expect(missingColumns(['text;label'], ['text'], { delimiter: ';' })?.otherDelimiter).toBeUndefined();
    expect(missingColumns(['a;b|c'], ['x'], { delimiter: ';' })?.otherDelimiter).toBe('|');
    expect(missingColumns(['a\tb'], ['x'], { delimiter: '\t' })?.otherDelimiter).toBeUndefined();
    // Two columns: split already; a ';' inside one is data.
    expect(missingColumns(['id', 'a;b'], ['x'])?.otherDelimiter).toBeUndefined();
    // A comma is the default delimiter, not another one.
    expect(missingColumns(['a,b'], ['x'])?.otherDelimiter).toBeUndefined();
  });

  it('near: a column equal but for case and surrounding spaces (text)', () => {
    const found = missingColumns(['id', 'Text', 'LABEL'], ['text', 'label']);
    expect(found?.missing).toEqual(['text', 'label']);
    expect([...found!.near]).toEqual([
      ['text', 'Text'],
      ['label', 'LABEL'],
    ]);
    expect(missingColumns([' label '], ['label'])?.near.get('label')).toBe(' label ');
    // A required name written with spaces finds the column without them.
    expect(missingColumns(['text'], [' Text '])?.near.get(' Text ')).toBe('text');
    // Without `contains`, a column holding the name is not near.
    expect(missingColumns(['text', 'label_name'], ['text', 'label'])).toEqual({ missing: ['label'], near: new Map() });
  });

  it('near with contains: an equal name first, else a column holding the name in any case (fraud demo)', () => {
    expect(missingColumns(['card_id', 'amount', 'timestamp'], ['card', 'amount', 'timestamp'], { contains: true })?.near).toEqual(
      new Map([['card', 'card_id']]),
    );
    // 'Card' (equal but for case) wins over 'card_id' listed before it.
    expect(missingColumns(['card_id', 'Card'], ['card'], { contains: true })?.near.get('card')).toBe('Card');
    expect(missingColumns(['Card', 'Amount', 'timestamp'], ['card', 'amount', 'timestamp'], { contains: true })?.near).toEqual(
      new Map([
        ['card', 'Card'],
        ['amount', 'Amount'],
      ]),
    );
    expect(missingColumns(['CARD_NUMBER'], ['card'], { contains: true })?.near.get('card')).toBe('CARD_NUMBER');
    // Nothing near: the name only, no hint.
    expect(missingColumns(['card', 'amount', 'created_at'], ['card', 'amount', 'timestamp'], { contains: true })).toEqual({
      missing: ['timestamp'],
      near: new Map(),
    });
    // An empty required name is near no column by containment.
    expect(missingColumns(['a'], [''], { contains: true })?.near.size).toBe(0);
  });

  it("is what readCsv's typed columns and readNumericMatrix's one-field rows are refused with", async () => {
    await expect(readCsvAll(Buffer.from('a,b\n1,2\n'), { columns: { z: 'number', a: 'number', y: 'string' } })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: "CSV input: typed column(s) 'z', 'y' not found; the columns are: a, b.",
      details: { missingColumns: ['z', 'y'] },
    });
    await expect(readNumericMatrix(Buffer.from('1;2\n3;4\n'), { header: false })).rejects.toMatchObject({
      message: expect.stringContaining("The rows are one field holding ';': if the file is separated by ';', pass delimiter: ';'."),
    });
    await expect(readNumericMatrix(Buffer.from('1|2\n'), { header: false, delimiter: ';' })).rejects.toMatchObject({
      message: expect.stringContaining("one field holding '|'"),
    });
  });
});
