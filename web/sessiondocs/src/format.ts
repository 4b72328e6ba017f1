const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

/** A moment (milliseconds since the epoch) as a date and time, e.g. "24 Nov 2025, 08:30". */
export function formatDateTime(ms: number): string {
  return dateTime.format(new Date(ms));
}

/** A moment as a time of day with seconds, e.g. "08:30:12". */
export function formatTime(ms: number): string {
  return timeOnly.format(new Date(ms));
}

/** The moment as an ISO string, for a <time dateTime> attribute. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** "1 word", "3 words". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A session's heading: its title, or where it was captured. */
export function sessionTitle(session: { title?: string; pcName: string }): string {
  return session.title || `Session on ${session.pcName}`;
}
