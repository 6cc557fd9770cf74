import { hkdfSync } from 'node:crypto';

/** Purpose-bound keys derived from PACTUM_MASTER_KEY, so no two features ever share key material. */
export function deriveKey(masterKey: Buffer, purpose: 'otp-hash' | 'email-key' | 'tenant-key-wrap'): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `pactum:${purpose}`, 32));
}
