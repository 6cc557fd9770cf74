import { describe, expect, it } from 'vitest';
import { sniffContentType, SNIFF_LENGTH } from '../../src/documents/magic-bytes.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Buffer.from(text, 'latin1');

describe('magic-byte sniffing', () => {
  it('recognises PDF, PNG and JPEG by their signatures', () => {
    expect(sniffContentType(ascii('%PDF-1.7\n'))).toBe('application/pdf');
    expect(sniffContentType(ascii('%PDF-'))).toBe('application/pdf');
    expect(sniffContentType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13))).toBe('image/png');
    expect(sniffContentType(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10))).toBe('image/jpeg');
    expect(sniffContentType(bytes(0xff, 0xd8, 0xff))).toBe('image/jpeg');
  });

  it('needs no more than 8 bytes to decide', () => {
    expect(SNIFF_LENGTH).toBe(8);
  });

  it.each([
    ['a Windows executable', ascii('MZ\x90\x00\x03\x00\x00\x00')],
    ['an ELF binary', ascii('\x7fELF\x02\x01\x01\x00')],
    ['a ZIP archive (and so DOCX, XLSX)', bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0)],
    ['plain text', ascii('Hello, this is a contract.')],
    ['HTML', ascii('<!doctype html><script>alert(1)</script>')],
    ['SVG', ascii('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['a GIF', ascii('GIF89a\x01\x00')],
    ['an empty file', bytes()],
    ['"%PDF" without the dash', ascii('%PDF1.7')],
    ['a PDF signature after leading whitespace', ascii(' %PDF-1.7')],
    ['a PDF signature further in', ascii('junk%PDF-1.7')],
    ['a PNG signature one byte short', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a)],
    ['a PNG signature with one byte wrong', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b)],
    ['two JPEG bytes', bytes(0xff, 0xd8)],
    ['a UTF-8 BOM before %PDF-', bytes(0xef, 0xbb, 0xbf, 0x25, 0x50, 0x44, 0x46, 0x2d)],
  ])('refuses %s', (_name, head) => {
    expect(sniffContentType(head)).toBeNull();
  });
});
