import { describe, expect, it } from 'vitest';
import { contentDisposition, sanitizeFilename } from '../../src/documents/filenames.js';

describe('filename sanitising', () => {
  it('keeps an ordinary name as it is', () => {
    expect(sanitizeFilename('Master agreement 2025.pdf', 'application/pdf')).toBe('Master agreement 2025.pdf');
    expect(sanitizeFilename('Scan.JPEG', 'image/jpeg')).toBe('Scan.JPEG');
  });

  it('keeps the last path component only', () => {
    expect(sanitizeFilename('../../etc/passwd.pdf', 'application/pdf')).toBe('passwd.pdf');
    expect(sanitizeFilename('C:\\Users\\hank\\Desktop\\scan.png', 'image/png')).toBe('scan.png');
    expect(sanitizeFilename('/absolute/path/', 'application/pdf')).toBe('document.pdf');
  });

  it('removes control characters, quotes, bidi overrides and Windows-reserved characters', () => {
    expect(sanitizeFilename('a\u0000b\u0007c\r\n"d\'e`.pdf', 'application/pdf')).toBe('abcde.pdf');
    expect(sanitizeFilename('invoice\u202Efdp.exe', 'application/pdf')).toBe('invoicefdp.exe.pdf');
    expect(sanitizeFilename('re<port>:1|2?*.pdf', 'application/pdf')).toBe('report12.pdf');
    expect(sanitizeFilename('zero\u200Bwidth\uFEFF.pdf', 'application/pdf')).toBe('zerowidth.pdf');
  });

  it('drops leading dots and trailing dots and spaces', () => {
    expect(sanitizeFilename('.hidden.pdf', 'application/pdf')).toBe('hidden.pdf');
    expect(sanitizeFilename('..', 'application/pdf')).toBe('document.pdf');
    expect(sanitizeFilename('name.pdf. . ', 'application/pdf')).toBe('name.pdf');
  });

  it('falls back to document.<ext> when nothing is left', () => {
    expect(sanitizeFilename(undefined, 'application/pdf')).toBe('document.pdf');
    expect(sanitizeFilename('', 'image/png')).toBe('document.png');
    expect(sanitizeFilename('"\u0000\u202E', 'image/jpeg')).toBe('document.jpg');
  });

  it('gives the name the extension of what the bytes are', () => {
    expect(sanitizeFilename('photo.pdf', 'image/png')).toBe('photo.pdf.png');
    expect(sanitizeFilename('evil.html', 'application/pdf')).toBe('evil.html.pdf');
    expect(sanitizeFilename('contract', 'application/pdf')).toBe('contract.pdf');
    expect(sanitizeFilename('picture.jpeg', 'image/jpeg')).toBe('picture.jpeg');
  });

  it('caps the name at 255 characters and keeps the extension', () => {
    const long = sanitizeFilename(`${'a'.repeat(400)}.pdf`, 'application/pdf');
    expect([...long]).toHaveLength(255);
    expect(long.endsWith('.pdf')).toBe(true);
    const emoji = sanitizeFilename(`${'📄'.repeat(300)}.png`, 'image/png');
    expect([...emoji]).toHaveLength(255);
    expect(emoji.endsWith('📄.png')).toBe(true);
  });

  it('keeps Unicode names, normalised to NFC', () => {
    expect(sanitizeFilename('Re\u0301sume\u0301.pdf', 'application/pdf')).toBe('Résumé.pdf');
    expect(sanitizeFilename('契約書.pdf', 'application/pdf')).toBe('契約書.pdf');
  });

  it('replaces lone surrogates rather than failing later', () => {
    expect(sanitizeFilename('bad\uD800name.pdf', 'application/pdf')).toBe('bad\uFFFDname.pdf');
  });
});

describe('Content-Disposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('Résumé 2025.pdf')).toBe(
      `attachment; filename="Resume 2025.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%202025.pdf`,
    );
    expect(contentDisposition('契約書.pdf')).toBe(`attachment; filename="___.pdf"; filename*=UTF-8''%E5%A5%91%E7%B4%84%E6%9B%B8.pdf`);
  });

  it('escapes what RFC 8187 does not allow unencoded and keeps the fallback inert', () => {
    const header = contentDisposition(`it's (final) 100%*.pdf`);
    expect(header).toBe(`attachment; filename="it's (final) 100_*.pdf"; filename*=UTF-8''it%27s%20%28final%29%20100%25%2A.pdf`);
    expect(contentDisposition('a"b\\c.pdf')).toContain('filename="a_b_c.pdf"');
  });

  it('never puts a line break or quote into the header', () => {
    for (const name of ['x\r\nSet-Cookie: a=b.pdf', 'q"uote.pdf', '\u2028sep.pdf']) {
      const header = contentDisposition(sanitizeFilename(name, 'application/pdf'));
      expect(header).not.toMatch(/[\r\n\u2028]/);
      expect(header.match(/"/g)).toHaveLength(2);
    }
  });
});
