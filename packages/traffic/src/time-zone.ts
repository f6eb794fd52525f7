import { AppliedMLError } from '@appliedml/engine';

// Local clock time in an IANA time zone, for traffic that follows the local clock across daylight-saving
// changes. Offsets come from the platform's Intl data (full ICU in Node). A 15-minute stretch whose
// offset is the same at both ends (nearly all of them) is cached as one value; one with a change inside
// (St John's changed at 00:01 local for some years) is looked up to the minute.

const QUARTER_HOUR_MS = 900_000;

interface ZoneCache {
  format: Intl.DateTimeFormat;
  offsets: Map<number, number>;
}

const zones = new Map<string, ZoneCache>();

/** The zone's canonical IANA name, or E_INPUT_INVALID for a name the platform does not know. */
export function checkTimeZone(zone: unknown): string {
  if (typeof zone !== 'string' || zone.trim() === '')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `timeZone must be an IANA time zone name such as 'America/Los_Angeles'; got ${String(zone)}.`,
      {
        details: { field: 'timeZone' },
      },
    );
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch (cause) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `timeZone '${zone.slice(0, 60)}' is not a time zone this platform knows (IANA names such as 'Europe/Berlin').`,
      {
        cause,
        details: { field: 'timeZone' },
      },
    );
  }
}

function cacheOf(zone: string): ZoneCache {
  let c = zones.get(zone);
  if (!c) {
    c = {
      format: new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }),
      offsets: new Map(),
    };
    zones.set(zone, c);
  }
  return c;
}

/** The offset at instant `at` (whole seconds), from the formatted local fields. */
function lookupOffset(c: ZoneCache, at: number): number {
  const second = Math.floor(at / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of c.format.formatToParts(new Date(second))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = new Date(0);
  local.setUTCFullYear(parts.year!, parts.month! - 1, parts.day!); // setUTCFullYear keeps years 0–99 as they are
  local.setUTCHours(parts.hour!, parts.minute!, parts.second!, 0);
  return local.getTime() - second;
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (local = UTC + offset). */
export function zoneOffsetMs(zone: string, ms: number): number {
  const c = cacheOf(zone);
  const bucket = Math.floor(ms / QUARTER_HOUR_MS);
  const cached = c.offsets.get(bucket);
  if (cached !== undefined) return Number.isNaN(cached) ? lookupOffset(c, Math.floor(ms / 60_000) * 60_000) : cached;
  const at = bucket * QUARTER_HOUR_MS;
  const first = lookupOffset(c, at);
  const same = lookupOffset(c, at + QUARTER_HOUR_MS - 60_000) === first;
  if (c.offsets.size > 100_000) c.offsets.clear();
  // NaN marks a stretch with a change inside: its instants are looked up to the minute.
  c.offsets.set(bucket, same ? first : NaN);
  return same ? first : lookupOffset(c, Math.floor(ms / 60_000) * 60_000);
}

/** Wall-clock time in the zone at instant `ms`, as epoch ms read in UTC fields. */
export function localWallMs(zone: string, ms: number): number {
  return ms + zoneOffsetMs(zone, ms);
}

/**
 * The instant at which the zone's clocks read `wallMs` (a wall-clock time in UTC fields); a time skipped
 * when clocks go forward is undefined. In the hour repeated when clocks go back, the earliest instant
 * after the previous reading's instant `after` is taken (so a local export in time order reads its first
 * 01:30 before its second), except when that previous reading read the same wall time and the feed's step
 * `stepMs` is shorter than the jump to the second pass: then it is the same instant again, a reading sent
 * twice (5-minute data's "01:05, 01:05"), while hourly data's "01:00, 01:00" stays the two passes.
 */
export function instantOfWall(zone: string, wallMs: number, after = -Infinity, stepMs?: number): number | undefined {
  const candidates = wallInstants(zone, wallMs);
  const next = candidates.find((t) => t > after);
  if (next !== undefined && candidates.includes(after) && stepMs !== undefined && stepMs > 0 && stepMs < next - after) return after;
  return next ?? candidates.at(-1);
}

/** Every instant at which the zone's clocks read `wallMs`, earliest first: two in the hour repeated when clocks go back, none in a skipped one. */
export function wallInstants(zone: string, wallMs: number): number[] {
  return [...new Set([zoneOffsetMs(zone, wallMs - 86_400_000), zoneOffsetMs(zone, wallMs + 86_400_000), zoneOffsetMs(zone, wallMs)])]
    .map((offset) => wallMs - offset)
    .filter((t) => localWallMs(zone, t) === wallMs)
    .sort((a, b) => a - b);
}

/**
 * The first instant in (`lo`, `hi`] whose offset differs from the offset at `lo`, when the offset at `hi`
 * differs (one change between them); offsets change on whole minutes, and this is that minute's instant.
 */
export function offsetChangeAt(zone: string, lo: number, hi: number): number {
  const before = zoneOffsetMs(zone, lo);
  let a = Math.floor(lo / 60_000);
  let b = Math.floor(hi / 60_000);
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (zoneOffsetMs(zone, mid * 60_000) === before) a = mid;
    else b = mid;
  }
  return b * 60_000;
}

/**
 * The first instant of the local day starting at `midnightWall` (a local midnight in UTC fields): the first
 * instant reading midnight, or, when clocks go forward at midnight and skip it (America/Santiago on 6
 * September 2026, 00:00 -> 01:00), the instant they jump past it, which reads 01:00; as d3's local days.
 * Undefined for a day the clocks skip whole (Pacific/Apia, 30 December 2011).
 */
export function dayStart(zone: string, midnightWall: number): number | undefined {
  const at = wallInstants(zone, midnightWall)[0];
  if (at !== undefined) return at;
  const early = zoneOffsetMs(zone, midnightWall - 86_400_000);
  const late = zoneOffsetMs(zone, midnightWall + 86_400_000);
  if (!(late > early)) return undefined;
  // Read with the later offset, the midnight is an instant before the jump; with the earlier one, after it.
  const jump = offsetChangeAt(zone, midnightWall - late, midnightWall - early);
  const wall = localWallMs(zone, jump);
  return wall >= midnightWall && wall < midnightWall + 86_400_000 ? jump : undefined;
}

/**
 * For a duplicate-time refusal: when instant `ms` is the first pass of the hour repeated when clocks go
 * back in `zone`, a sentence saying that a zone-less time there was read as a resent reading (see
 * `instantOfWall`) and how to give the second pass after a gap in the feed (with its UTC offset); '' otherwise.
 */
export function secondPassHint(zone: string | undefined, ms: number): string {
  if (zone === undefined) return '';
  const wall = localWallMs(zone, ms);
  const later = wallInstants(zone, wall).at(-1);
  if (later === undefined || later === ms) return '';
  const minutes = Math.round((wall - later) / 60_000);
  const abs = Math.abs(minutes);
  const offset = `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return ` It falls in the hour repeated when clocks go back in ${zone}, read there as the same reading sent again; if it is the second pass, after a gap in the feed, give it with its UTC offset (${new Date(wall).toISOString().slice(0, 19)}${offset}).`;
}
