/**
 * Which backups to keep: the newest of each of the last `keepDaily` UTC days (today included) and the
 * newest of each of the last `keepMonthly` UTC months (this month included). Everything else goes,
 * including a second backup of a day that is kept. Ids sort by time (pactum-YYYYMMDDTHHMMSSZ).
 */
export function backupsToDelete(ids: string[], now: Date, keepDaily: number, keepMonthly: number): string[] {
  const newestFirst = [...ids].sort().reverse();
  const keep = new Set<string>();
  const firstDay = dayKey(addUtcDays(now, -(keepDaily - 1)));
  const firstMonth = monthKey(addUtcMonths(now, -(keepMonthly - 1)));
  const seenDays = new Set<string>();
  const seenMonths = new Set<string>();
  for (const id of newestFirst) {
    const day = id.slice('pactum-'.length, 'pactum-'.length + 8);
    const month = day.slice(0, 6);
    if (!seenDays.has(day)) {
      seenDays.add(day);
      if (keepDaily > 0 && day >= firstDay) keep.add(id);
    }
    if (!seenMonths.has(month)) {
      seenMonths.add(month);
      if (keepMonthly > 0 && month >= firstMonth) keep.add(id);
    }
  }
  return newestFirst.filter((id) => !keep.has(id));
}

/** pactum-20261130T020000Z for a moment (seconds precision, UTC). */
export function backupIdAt(moment: Date): string {
  return `pactum-${moment.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** The moment a backup id names. */
export function backupTime(id: string): Date {
  const m = /^pactum-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(id);
  if (!m) throw new Error(`not a backup id: ${id}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

const dayKey = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '');
const monthKey = (date: Date) => dayKey(date).slice(0, 6);

function addUtcDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

function addUtcMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}
