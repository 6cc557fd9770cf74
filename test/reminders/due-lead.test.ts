import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { addDays, fromDayNumber, toDayNumber } from '../../src/deadlines/dates.js';
import { dueLead } from '../../src/reminders/job.js';

const LEADS = [90, 30, 7];

describe('dueLead', () => {
  it('is due from deadline − lead through the deadline, smallest due lead first', () => {
    const deadline = '2030-10-02';
    const at = (daysBefore: number) => dueLead(deadline, addDays(deadline, -daysBefore), LEADS);
    expect([91, 90, 31, 30, 8, 7, 1, 0, -1].map(at)).toEqual([null, 90, 90, 30, 30, 7, 7, 7, null]);
    expect(dueLead(deadline, deadline, [90, 30, 7, 0])).toBe(0);
  });

  it('always answers a configured lead no smaller than the days left, and the smallest such (property)', () => {
    const day = fc.integer({ min: toDayNumber('2000-01-01'), max: toDayNumber('2100-12-31') }).map(fromDayNumber);
    const leads = fc.uniqueArray(fc.integer({ min: 0, max: 3650 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(day, fc.integer({ min: -100, max: 4000 }), leads, (deadline, daysLeft, leadDays) => {
        const lead = dueLead(deadline, addDays(deadline, -daysLeft), leadDays);
        const candidates = leadDays.filter((l) => daysLeft >= 0 && daysLeft <= l);
        expect(lead).toBe(candidates.length ? Math.min(...candidates) : null);
      }),
    );
  });
});

describe('reminder configuration', () => {
  const key = Buffer.alloc(32, 7).toString('base64');

  it('defaults to 90, 30 and 7 days and reads PACTUM_REMINDER_LEAD_DAYS', () => {
    expect(loadConfig({ PACTUM_MASTER_KEY: key }).reminderLeadDays).toEqual([90, 30, 7]);
    expect(loadConfig({ PACTUM_MASTER_KEY: key, PACTUM_REMINDER_LEAD_DAYS: '14, 60,0' }).reminderLeadDays).toEqual([60, 14, 0]);
  });

  it('refuses lead days that are not distinct whole days from 0 to 3650', () => {
    for (const value of ['90,,7', '90,90', '-1', '3651', '7.5', 'soon']) {
      expect(() => loadConfig({ PACTUM_MASTER_KEY: key, PACTUM_REMINDER_LEAD_DAYS: value }), value).toThrow(/PACTUM_REMINDER_LEAD_DAYS/);
    }
  });

  it('accepts smtp and smtps URLs and never echoes a refused one (it may hold a password)', () => {
    expect(loadConfig({ PACTUM_MASTER_KEY: key, PACTUM_SMTP_URL: 'smtps://u:p@mail.example:465' }).mail.smtpUrl).toBe(
      'smtps://u:p@mail.example:465',
    );
    expect(loadConfig({ PACTUM_MASTER_KEY: key, PACTUM_PUBLIC_URL: 'https://pactum.example' }).mail.from).toBe(
      'Pactum <no-reply@pactum.example>',
    );
    expect(() => loadConfig({ PACTUM_MASTER_KEY: key, PACTUM_SMTP_URL: 'http://user:hunter2@mail.example' })).toThrow(
      /^(?!.*hunter2).*PACTUM_SMTP_URL/,
    );
  });
});
