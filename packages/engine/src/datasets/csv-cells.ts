/**
 * Strict cell parsers for the CSV readers. Each returns `undefined` when the text is not a valid
 * value of its type, so the caller can raise an error with the line and column.
 */

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Decimal or scientific notation only: no hex, no '1,000', no 'Infinity', no empty string. */
export function parseNumberCell(text: string): number | undefined {
  const t = text.trim();
  if (!NUMBER.test(t)) return undefined;
  const value = Number(t);
  return Number.isFinite(value) ? value : undefined;
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

/** true/false, t/f, yes/no, y/n, 1/0 (any case). */
export function parseBooleanCell(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds of a UTC date and time; unlike Date.UTC, the years 0–99 are not read as 1900–1999. */
function utc(year: number, month: number, day: number, h: number, mi: number, s: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/**
 * ISO-8601 dates: `2012-03-01`, `2012-03-01 00:05`, `2012-03-01T00:05:00.250Z`, `…+01:00`.
 * A time without a zone is read as UTC, so results do not depend on the machine's time zone.
 * Impossible dates (2012-02-30) are rejected rather than rolled over.
 */
export function parseDateCell(text: string): Date | undefined {
  const m = ISO_DATE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zoneRaw] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const probe = new Date(utc(year, month, day, 0, 0, 0, 0));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const ms = frac ? Math.round(Number(`0${frac}`) * 1000) : 0;
  let offsetMinutes = 0;
  if (zoneRaw && zoneRaw !== 'Z') {
    const z = zoneRaw.replace(':', '');
    const sign = z.startsWith('-') ? -1 : 1;
    const zh = Number(z.slice(1, 3));
    const zm = Number(z.slice(3, 5));
    if (zh > 23 || zm > 59) return undefined;
    offsetMinutes = sign * (zh * 60 + zm);
  }
  const time = utc(year, month, day, Number(h), Number(mi), Number(s), ms) - offsetMinutes * 60000;
  return new Date(time);
}
