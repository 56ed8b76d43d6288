// Free slots as a voice agent says them: in the business's time zone, relative to today
// ("today at 3 PM", "tomorrow at 9:30 AM", "Tuesday at 10 AM", "Tuesday, December 8 at 9 AM"),
// joined as people list choices ("a, b, or c").
import type { CalcomSlots } from "./calcom-client.ts";

export type OfferedSlot = { start: string; spoken: string };

const DAY_MS = 86_400_000;

/** The calendar date `instant` falls on in `timeZone`, as a UTC midnight (for day arithmetic). */
function localDay(instant: Date, timeZone: string): number {
  const [year, month, day] = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(instant)
    .split("-")
    .map(Number);
  return Date.UTC(year, month - 1, day);
}

/** "9 AM", "9:30 AM". */
function spokenTime(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hour: "numeric", minute: "2-digit", hour12: true }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const minute = part("minute");
  return `${part("hour")}${minute === "00" ? "" : `:${minute}`} ${part("dayPeriod").toUpperCase()}`;
}

/** "today", "tomorrow", "Tuesday" within the week, "Tuesday, December 8" further out. */
export function speakDay(instant: Date, timeZone: string, now = new Date()): string {
  const daysAway = Math.round((localDay(instant, timeZone) - localDay(now, timeZone)) / DAY_MS);
  if (daysAway === 0) return "today";
  if (daysAway === 1) return "tomorrow";
  const weekday = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "long" }).format(instant);
  if (daysAway > 1 && daysAway < 7) return weekday;
  return `${weekday}, ${new Intl.DateTimeFormat("en-US", { timeZone, month: "long", day: "numeric" }).format(instant)}`;
}

export function speakSlot(start: string | Date, timeZone: string, now = new Date()): string {
  const instant = new Date(start);
  return `${speakDay(instant, timeZone, now)} at ${spokenTime(instant, timeZone)}`;
}

/** "a", "a or b", "a, b, or c". */
export function speakChoices(items: string[]): string {
  if (items.length <= 2) return items.join(" or ");
  return `${items.slice(0, -1).join(", ")}, or ${items[items.length - 1]}`;
}

/**
 * The first `count` slots, at most `perDay` of them on one day so the caller hears a choice of
 * days, keeping only starts `keep` accepts (e.g. "mornings").
 */
export function offerSlots(
  slots: CalcomSlots,
  timeZone: string,
  options: { count?: number; perDay?: number; keep?: (start: Date) => boolean; now?: Date } = {},
): OfferedSlot[] {
  const { count = 3, perDay = 2, keep = () => true, now = new Date() } = options;
  const starts = Object.values(slots)
    .flat()
    .map((slot) => slot.start)
    .filter((start) => Date.parse(start) > now.getTime() && keep(new Date(start)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const offered: OfferedSlot[] = [];
  const perDayCount = new Map<number, number>();
  for (const start of starts) {
    const day = localDay(new Date(start), timeZone);
    if ((perDayCount.get(day) ?? 0) >= perDay) continue;
    perDayCount.set(day, (perDayCount.get(day) ?? 0) + 1);
    offered.push({ start, spoken: speakSlot(start, timeZone, now) });
    if (offered.length === count) break;
  }
  return offered;
}

/** The local hour (0-23) of `instant` in `timeZone`. */
export function localHour(instant: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat("en-US", { timeZone, hour: "numeric", hourCycle: "h23" }).format(instant));
}

/** The instant local midnight begins on `date` (YYYY-MM-DD) in `timeZone`. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const wall = Date.parse(`${date}T00:00:00Z`);
  // The zone's offset at that wall time, found by reading the wall clock back; twice for DST edges.
  const offsetAt = (instant: number) => localWallClock(new Date(instant), timeZone) - instant;
  const guess = wall - offsetAt(wall);
  return new Date(wall - offsetAt(guess));
}

/** `instant`'s wall-clock time in `timeZone`, as milliseconds of a UTC timeline. */
function localWallClock(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", hourCycle: "h23",
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
}
