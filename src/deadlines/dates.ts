/**
 * Calendar arithmetic on 'YYYY-MM-DD' strings with plain integers: no Date, so no time zone, no DST and
 * no server locale can move a deadline by a day. Days are counted on the proleptic Gregorian calendar
 * (days_from_civil / civil_from_days after Howard Hinnant), valid for years 0001–9999.
 */

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function parseDate(value: string): CivilDate {
  const match = DATE.exec(value);
  if (match) {
    const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
    if (date.year >= 1 && date.month >= 1 && date.month <= 12 && date.day >= 1 && date.day <= daysInMonth(date.year, date.month))
      return date;
  }
  throw new RangeError(`not a calendar date: "${value}"`);
}

export function formatDate({ year, month, day }: CivilDate): string {
  if (year < 1 || year > 9999) throw new RangeError(`year ${year} is outside 0001–9999`);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Days since 1970-01-01 (negative before). */
export function toDayNumber(value: string): number {
  const { year, month, day } = parseDate(value);
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export function fromDayNumber(dayNumber: number): string {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return formatDate({ year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day });
}

export function addDays(value: string, days: number): string {
  return fromDayNumber(toDayNumber(value) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return toDayNumber(to) - toDayNumber(from);
}

/**
 * The same day `months` later, clamped to the end of a shorter month: Jan 31 + 1 month = Feb 28 (29 in a
 * leap year). Always count from the original date — Jan 31 + 2 months is Mar 31, whereas clamping twice
 * (Jan 31 → Feb 28 → Mar 28) drifts.
 */
export function addMonths(value: string, months: number): string {
  const { year, month, day } = parseDate(value);
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = index - targetYear * 12 + 1;
  return formatDate({ year: targetYear, month: targetMonth, day: Math.min(day, daysInMonth(targetYear, targetMonth)) });
}

/** The last day on which notice can still be given (API.md): the end date minus the notice period. */
export function noticeDeadline(endsOn: string, noticePeriodDays: number): string {
  return addDays(endsOn, -noticePeriodDays);
}

export interface TermInput {
  endsOn: string;
  noticePeriodDays: number;
  autoRenew: boolean;
  renewalTermMonths: number | null;
}

export interface Term {
  endsOn: string;
  noticeDeadline: string;
  /** How many renewal terms have passed since the contract's own end date (0 without auto-renewal). */
  renewals: number;
}

/**
 * The term a contract is in on `today`. Without auto-renewal that is simply its end date. An auto-renewing
 * contract renews for `renewalTermMonths` whenever a notice deadline passes without notice, so the current
 * term is the first one, counted from the ORIGINAL end date (term k ends endsOn + k × months, never by
 * re-clamping the previous term's end), whose notice deadline is today or later.
 */
export function currentTerm(input: TermInput, today: string): Term {
  const first = { endsOn: input.endsOn, noticeDeadline: noticeDeadline(input.endsOn, input.noticePeriodDays), renewals: 0 };
  if (!input.autoRenew || first.noticeDeadline >= today) return first;
  const months = input.renewalTermMonths;
  if (months == null || !Number.isInteger(months) || months < 1)
    throw new RangeError('an auto-renewing contract needs a renewal term of at least one month');

  // Term k is still open while its end is at least today + notice. Every term ending in a calendar month
  // before that target's month is certainly over, so start just below the answer and step up (≤ 2 steps).
  const target = parseDate(addDays(today, input.noticePeriodDays));
  const end = parseDate(input.endsOn);
  const monthsToTarget = (target.year - end.year) * 12 + (target.month - end.month);
  let k = Math.max(1, Math.floor((monthsToTarget - 1) / months));
  for (;;) {
    const endsOn = addMonths(input.endsOn, k * months);
    const notice = noticeDeadline(endsOn, input.noticePeriodDays);
    if (notice >= today) return { endsOn, noticeDeadline: notice, renewals: k };
    k += 1;
  }
}

/** Today's date in UTC: the one calendar every node and the database agree on. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
