import { describe, expect, it } from 'vitest';
import { csvCell, parseCsv } from '../../src/export/import-file.js';

describe('csvCell (formula injection in CSV)', () => {
  it('neutralises every cell a spreadsheet would read as a formula', () => {
    for (const value of ['=1+1', '+cmd|/c calc', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      const cell = csvCell(value);
      const [[parsed]] = parseCsv(cell) as [[string]];
      expect(parsed, JSON.stringify(value)).toBe(`'${value}`);
    }
  });

  it('leaves other text and numbers alone, quoting only what needs quotes', () => {
    expect(csvCell('Oracle')).toBe('Oracle');
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
  });
});
