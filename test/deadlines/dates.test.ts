import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  currentTerm,
  daysBetween,
  daysInMonth,
  fromDayNumber,
  isLeapYear,
  noticeDeadline,
  parseDate,
  toDayNumber,
  todayUtc,
} from '../../src/deadlines/dates.js';

const FIRST = toDayNumber('1900-01-01');
const LAST = toDayNumber('2400-12-31');

const anyDate = fc.integer({ min: FIRST, max: LAST }).map(fromDayNumber);
const monthEnd = fc
  .record({ year: fc.integer({ min: 1900, max: 2400 }), month: fc.integer({ min: 1, max: 12 }) })
  .map(({ year, month }) => `${year}-${String(month).padStart(2, '0')}-${daysInMonth(year, month)}`);
const leapDay = fc
  .integer({ min: 475, max: 600 })
  .map((q) => q * 4)
  .filter(isLeapYear)
  .map((year) => `${year}-02-29`);
/** Ordinary days, and — as often — the month ends and leap days where date arithmetic goes wrong. */
const date = fc.oneof(anyDate, monthEnd, leapDay);
const noticeDays = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3650 }), fc.constantFrom(1, 28, 29, 30, 31, 60, 90, 365, 366));
const termMonths = fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constantFrom(1, 3, 6, 12, 24, 36));

/** The obvious but slow reading of the rule: renew term by term until the notice date is not past. */
function naiveTerm(endsOn: string, notice: number, months: number, today: string) {
  for (let k = 0; ; k += 1) {
    const end = addMonths(endsOn, k * months);
    if (noticeDeadline(end, notice) >= today) return { endsOn: end, noticeDeadline: noticeDeadline(end, notice), renewals: k };
  }
}

describe('day arithmetic (properties)', () => {
  it('agrees with UTC milliseconds since the epoch', () => {
    fc.assert(
      fc.property(date, (d) => {
        const { year, month, day } = parseDate(d);
        expect(toDayNumber(d)).toBe(Date.UTC(year, month - 1, day) / 86_400_000);
      }),
    );
  });

  it('round-trips day numbers and adds days invertibly', () => {
    fc.assert(
      fc.property(date, fc.integer({ min: -20_000, max: 20_000 }), (d, n) => {
        expect(fromDayNumber(toDayNumber(d))).toBe(d);
        const moved = addDays(d, n);
        expect(daysBetween(d, moved)).toBe(n);
        expect(addDays(moved, -n)).toBe(d);
        expect(moved < d).toBe(n < 0);
      }),
    );
  });

  it('steps through every calendar day exactly once', () => {
    fc.assert(
      fc.property(date, (d) => {
        const next = parseDate(addDays(d, 1));
        const { year, month, day } = parseDate(d);
        if (day < daysInMonth(year, month)) expect(next).toEqual({ year, month, day: day + 1 });
        else if (month < 12) expect(next).toEqual({ year, month: month + 1, day: 1 });
        else expect(next).toEqual({ year: year + 1, month: 1, day: 1 });
      }),
    );
  });
});

describe('addMonths (properties)', () => {
  it('lands in the right month on the same day, clamped to the month end', () => {
    fc.assert(
      fc.property(date, fc.integer({ min: -1200, max: 1200 }), (d, n) => {
        const from = parseDate(d);
        const to = parseDate(addMonths(d, n));
        expect(to.year * 12 + to.month - (from.year * 12 + from.month)).toBe(n);
        expect(to.day).toBe(Math.min(from.day, daysInMonth(to.year, to.month)));
      }),
    );
  });

  it('is invertible for days that every month has', () => {
    fc.assert(
      fc.property(
        date.filter((d) => parseDate(d).day <= 28),
        fc.integer({ min: -1200, max: 1200 }),
        (d, n) => {
          expect(addMonths(addMonths(d, n), -n)).toBe(d);
        },
      ),
    );
  });

  it('keeps a 31st at the month end along any chain of terms (no drift to the 28th)', () => {
    fc.assert(
      fc.property(
        monthEnd.filter((d) => d.endsWith('-31')),
        termMonths,
        fc.integer({ min: 0, max: 40 }),
        (end, months, k) => {
          const { year, month } = parseDate(addMonths(end, k * months));
          expect(addMonths(end, k * months)).toBe(`${year}-${String(month).padStart(2, '0')}-${daysInMonth(year, month)}`);
        },
      ),
    );
  });
});

describe('notice deadline (properties)', () => {
  it('is exactly the notice period before the end, never after it', () => {
    fc.assert(
      fc.property(date, noticeDays, (end, days) => {
        const notice = noticeDeadline(end, days);
        expect(daysBetween(notice, end)).toBe(days);
        expect(notice <= end).toBe(true);
        if (days === 0) expect(notice).toBe(end);
      }),
    );
  });
});

describe('currentTerm (properties)', () => {
  const contract = fc.record({ endsOn: date, noticePeriodDays: noticeDays, renewalTermMonths: termMonths });
  const today = fc.integer({ min: toDayNumber('1950-01-01'), max: toDayNumber('2300-12-31') }).map(fromDayNumber);

  it('rolls an auto-renewing contract to the first term whose notice date is today or later', () => {
    fc.assert(
      fc.property(contract, today, (c, now) => {
        const term = currentTerm({ ...c, autoRenew: true }, now);
        expect(term).toEqual(naiveTerm(c.endsOn, c.noticePeriodDays, c.renewalTermMonths, now));
        expect(term.noticeDeadline >= now).toBe(true);
        expect(daysBetween(term.noticeDeadline, term.endsOn)).toBe(c.noticePeriodDays);
        // Counted from the original end date, not by re-clamping the previous term.
        expect(term.endsOn).toBe(addMonths(c.endsOn, term.renewals * c.renewalTermMonths));
        if (term.renewals > 0) {
          const previous = addMonths(c.endsOn, (term.renewals - 1) * c.renewalTermMonths);
          expect(noticeDeadline(previous, c.noticePeriodDays) < now).toBe(true);
        }
      }),
    );
  });

  it('never rolls a contract without auto-renewal, nor one whose notice date is still ahead', () => {
    fc.assert(
      fc.property(contract, today, (c, now) => {
        const fixed = currentTerm({ ...c, autoRenew: false }, now);
        expect(fixed).toEqual({ endsOn: c.endsOn, noticeDeadline: noticeDeadline(c.endsOn, c.noticePeriodDays), renewals: 0 });
        if (noticeDeadline(c.endsOn, c.noticePeriodDays) >= now) expect(currentTerm({ ...c, autoRenew: true }, now).renewals).toBe(0);
      }),
    );
  });

  it('moves forward monotonically as days pass', () => {
    fc.assert(
      fc.property(contract, today, fc.integer({ min: 0, max: 2000 }), (c, now, later) => {
        const a = currentTerm({ ...c, autoRenew: true }, now);
        const b = currentTerm({ ...c, autoRenew: true }, addDays(now, later));
        expect(b.renewals >= a.renewals).toBe(true);
        expect(b.endsOn >= a.endsOn).toBe(true);
      }),
    );
  });
});

describe('the classic traps (examples)', () => {
  it('clamps Jan 31 + 1 month to the end of February, leap year or not', () => {
    expect(addMonths('2023-01-31', 1)).toBe('2023-02-28');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2024-03-31', -1)).toBe('2024-02-29');
    expect(addMonths('2024-08-31', 1)).toBe('2024-09-30');
  });

  it('walks a monthly chain from Jan 31 without drifting to the 28th', () => {
    const chain = Array.from({ length: 12 }, (_, k) => addMonths('2024-01-31', k + 1));
    expect(chain).toEqual([
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
      '2024-05-31',
      '2024-06-30',
      '2024-07-31',
      '2024-08-31',
      '2024-09-30',
      '2024-10-31',
      '2024-11-30',
      '2024-12-31',
      '2025-01-31',
    ]);
    // What repeated clamping would produce instead: Feb 29 → Mar 29 → Apr 29 …
    expect(addMonths(addMonths('2024-01-31', 1), 1)).toBe('2024-03-29');
  });

  it('renews a Feb 29 term to Feb 28 and back to Feb 29 four years on', () => {
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2024-02-29', 48)).toBe('2028-02-29');
    const term = currentTerm({ endsOn: '2024-02-29', noticePeriodDays: 30, autoRenew: true, renewalTermMonths: 12 }, '2027-02-01');
    expect(term).toEqual({ endsOn: '2028-02-29', noticeDeadline: '2028-01-30', renewals: 4 });
  });

  it('knows the century rules: 2000 and 2400 are leap years, 1900 and 2100 are not', () => {
    expect([1900, 2000, 2100, 2400].map(isLeapYear)).toEqual([false, true, false, true]);
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addDays('2000-02-28', 1)).toBe('2000-02-29');
    expect(() => parseDate('2100-02-29')).toThrow(RangeError);
    expect(() => parseDate('2024-13-01')).toThrow(RangeError);
    expect(() => parseDate('2024-1-01')).toThrow(RangeError);
  });

  it('counts notice periods in days across month ends and leap days', () => {
    expect(noticeDeadline('2025-12-31', 90)).toBe('2025-10-02');
    expect(noticeDeadline('2024-03-01', 1)).toBe('2024-02-29');
    expect(noticeDeadline('2025-03-01', 1)).toBe('2025-02-28');
    expect(noticeDeadline('2025-01-15', 0)).toBe('2025-01-15');
    expect(noticeDeadline('2025-01-01', 365)).toBe('2024-01-02');
  });

  it('is immune to daylight saving time: the days around a change are ordinary days', () => {
    expect(addDays('2025-03-29', 2)).toBe('2025-03-31');
    expect(addDays('2025-10-25', 2)).toBe('2025-10-27');
    expect(daysBetween('2025-03-01', '2025-04-01')).toBe(31);
  });

  it('rolls a yearly auto-renewal forward only once the notice date has passed', () => {
    const contract = { endsOn: '2024-12-31', noticePeriodDays: 90, autoRenew: true, renewalTermMonths: 12 };
    expect(currentTerm(contract, '2024-10-02')).toEqual({ endsOn: '2024-12-31', noticeDeadline: '2024-10-02', renewals: 0 });
    expect(currentTerm(contract, '2024-10-03')).toEqual({ endsOn: '2025-12-31', noticeDeadline: '2025-10-02', renewals: 1 });
    expect(currentTerm(contract, '2030-06-01')).toEqual({ endsOn: '2030-12-31', noticeDeadline: '2030-10-02', renewals: 6 });
  });

  it('with no notice period, a term stays current through its last day', () => {
    const contract = { endsOn: '2025-05-31', noticePeriodDays: 0, autoRenew: true, renewalTermMonths: 1 };
    expect(currentTerm(contract, '2025-05-31').endsOn).toBe('2025-05-31');
    expect(currentTerm(contract, '2025-06-01').endsOn).toBe('2025-06-30');
    expect(currentTerm(contract, '2025-07-01').endsOn).toBe('2025-07-31');
    // A term ending on the 30th renews on the 30th: the day of the original end date is kept where it exists.
    expect(currentTerm({ ...contract, endsOn: '2025-06-30' }, '2025-07-01').endsOn).toBe('2025-07-30');
  });

  it('follows a long monthly chain from a month end for decades', () => {
    const term = currentTerm({ endsOn: '2000-01-31', noticePeriodDays: 10, autoRenew: true, renewalTermMonths: 1 }, '2040-02-20');
    // The February 2040 term (ends Feb 29, notice Feb 19) has just passed without notice.
    expect(term).toEqual({ endsOn: '2040-03-31', noticeDeadline: '2040-03-21', renewals: 482 });
  });

  it('takes the UTC date, whatever the local time zone says', () => {
    expect(todayUtc(new Date('2025-01-01T23:30:00-05:00'))).toBe('2025-01-02');
  });
});
