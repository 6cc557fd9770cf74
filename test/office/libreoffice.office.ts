import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGroup, addUser, createContract } from '../contracts/helpers.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { downloadExport, seedVault } from '../export/helpers.js';

const run = promisify(execFile);

/**
 * Opens the exported workbook with a real office suite: LibreOffice headless (Debian's
 * libreoffice-calc-nogui, which .ci/run installs) converts every sheet to UTF-8 CSV — the 12th filter
 * token, -1, writes one file per sheet — and the test reads what LibreOffice understood.
 */
async function sheetsAsLibreOfficeReadsThem(workbook: Buffer): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-office-'));
  try {
    const file = join(dir, 'export.xlsx');
    writeFileSync(file, workbook);
    await run(
      'soffice',
      [
        '--headless',
        '--norestore',
        `-env:UserInstallation=file://${join(dir, 'profile')}`,
        '--convert-to',
        // separator, quote, UTF-8, from line 1, -, -, -, -, as shown, no formulas, -, every sheet
        'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1',
        '--outdir',
        join(dir, 'out'),
        file,
      ],
      { timeout: 120_000 },
    );
    const sheets = new Map<string, string>();
    for (const name of readdirSync(join(dir, 'out'))) {
      sheets.set(name.replace(/^export-/, '').replace(/\.csv$/, ''), readFileSync(join(dir, 'out', name), 'utf8'));
    }
    return sheets;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the exported workbook in LibreOffice', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('opens with every sheet, literal text, typed dates and money, and no restricted contract for an outsider', async () => {
    const company = await registerCompany(t);
    const outsider = await addUser(t, company);
    const groupId = await addGroup(t, company.tenantId, 'Board', [company.userId]);
    const { vendorId, productId } = await seedVault(company.client, { contract: '=1+1' });
    const secret = await createContract(company.client, {
      vendorId,
      title: 'Secret merger licences',
      startsOn: '2025-01-01',
      currency: 'USD',
      groupIds: [groupId],
      lineItems: [{ productId, quantity: 777, listUnitPrice: '1' }],
    });

    const sheets = await sheetsAsLibreOfficeReadsThem(await downloadExport(outsider.client));
    expect([...sheets.keys()].sort()).toEqual(
      ['Contracts', 'Line items', 'Proposals', 'Vendors', 'Products', 'Holdings', 'Deadlines', 'Documents', 'Metric definitions'].sort(),
    );
    const contracts = sheets.get('Contracts')!.trim().split('\n');
    expect(contracts[0]).toMatch(/^"?Id"?,"?Vendor id"?,/);
    expect(contracts).toHaveLength(2);
    // The title =1+1 arrives as those characters: LibreOffice did not compute a formula (which would give 2).
    expect(contracts[1]).toContain(',=1+1,active,');
    // Cells as shown: dates in the column's yyyy-mm-dd format, money as numbers with thousands separators
    // and four decimals (text would show neither), the boolean as LibreOffice's FALSE.
    expect(contracts[1]).toContain(',2025-01-01,2099-12-31,90,FALSE,,EUR,"11,202.4280",');
    const lines = sheets.get('Line items')!;
    expect(lines).toMatch(/1,234\.5678/);
    expect(lines).toMatch(/1,080\.2468/);
    for (const [name, csv] of sheets) {
      expect(csv, name).not.toContain(secret.id);
      expect(csv, name).not.toContain('Secret merger');
      // 777 as a cell of its own (the quantity, perhaps with decimals), not as digits inside a random UUID.
      expect(csv, name).not.toMatch(/(^|,)"?777(\.0+)?"?(,|$)/m);
    }

    const insider = await sheetsAsLibreOfficeReadsThem(await downloadExport(company.client));
    expect(insider.get('Contracts')).toContain('Secret merger licences');
  });
});
