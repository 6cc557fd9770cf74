import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupIdAt, backupsToDelete } from '../../src/backup/retention.js';
import { applyRetention } from '../../src/backup/service.js';
import { createDirTarget } from '../../src/backup/targets.js';

const dir = mkdtempSync(join(tmpdir(), 'pactum-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (iso: string) => backupIdAt(new Date(iso));

describe('backup retention', () => {
  it('keeps the newest backup of each of the last N days and M months, nothing else', () => {
    const now = new Date('2026-11-30T03:00:00Z');
    const ids = [
      at('2026-11-30T02:00:00Z'), // today: kept (daily)
      at('2026-11-30T01:00:00Z'), // today, older: deleted
      at('2026-11-29T02:00:00Z'), // yesterday: kept (daily)
      at('2026-11-28T02:00:00Z'), // 3rd day back: outside keepDaily 2
      at('2026-10-31T02:00:00Z'), // newest of October: kept (monthly)
      at('2026-10-01T02:00:00Z'), // older October: deleted
      at('2026-09-30T02:00:00Z'), // newest of September: kept (monthly, 3rd month)
      at('2026-08-31T02:00:00Z'), // August: outside keepMonthly 3
    ];
    expect(backupsToDelete(ids, now, 2, 3).sort()).toEqual(
      [at('2026-11-30T01:00:00Z'), at('2026-11-28T02:00:00Z'), at('2026-10-01T02:00:00Z'), at('2026-08-31T02:00:00Z')].sort(),
    );
  });

  it('deletes the right objects from a destination of dated fixtures, leftovers of failed runs included', async () => {
    const target = createDirTarget(dir);
    const now = new Date('2026-11-30T02:30:00Z');
    // 45 daily backups, one at 02:00 each day up to today.
    const days = Array.from({ length: 45 }, (_, i) => backupIdAt(new Date(now.getTime() - i * 86_400_000 - 30 * 60_000)));
    for (const id of days) {
      writeFileSync(join(dir, `${id}.archive`), 'a');
      writeFileSync(join(dir, `${id}.manifest`), 'm');
    }
    // A failed run two days ago (archive without manifest) and one from this morning (may still be running).
    const stale = at('2026-11-28T05:00:00Z');
    const fresh = at('2026-11-30T02:20:00Z');
    writeFileSync(join(dir, `${stale}.archive`), 'a');
    writeFileSync(join(dir, `${fresh}.archive`), 'a');
    writeFileSync(join(dir, 'notes.txt'), 'not ours');

    const removed = await applyRetention(target, now, 30, 12);

    const left = readdirSync(dir).sort();
    const keptIds = [...new Set(left.filter((name) => name.startsWith('pactum-')).map((name) => name.replace(/\.\w+$/, '')))].sort();
    // The last 30 days, plus the newest of each earlier month within 12 months (31 Oct is inside the 30 days; 16-31 Oct from the 45).
    const expected = [...days.slice(0, 30), at('2026-10-31T02:00:00Z'), fresh].sort();
    expect(keptIds).toEqual([...new Set(expected)].sort());
    expect(removed).toContain(stale);
    // 30 Oct: past the 30 days, and not the newest of its month.
    expect(removed).toContain(days[31]);
    expect(removed).not.toContain(days[30]);
    expect(left).toContain('notes.txt');
    // Each kept complete backup still has both files.
    for (const id of days.slice(0, 30)) expect(left).toEqual(expect.arrayContaining([`${id}.archive`, `${id}.manifest`]));
  });
});
