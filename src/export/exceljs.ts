import type ExcelJS from 'exceljs';

/**
 * ExcelJS, loaded on the first export or import rather than at start: with the archive and CSV libraries
 * under it, it is about a third of what `pactum serve` loads, and a node started during a failover should
 * not wait for code that no request has asked for yet (docs/operations.md, "Replication").
 */
export async function loadExcelJS(): Promise<typeof ExcelJS> {
  return (await import('exceljs')).default;
}
