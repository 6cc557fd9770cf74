import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, stat, unlink, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertStorageKey, BlobNotFoundError, BlobTooLargeError, type DocumentStorage } from './storage.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/**
 * Blobs as files under `<dir>/<tenant id>/<document id>`, directories 0700 and files 0600. A blob is
 * written to a temporary name, flushed, and renamed into place, so a crash never leaves half a document
 * under a real key.
 */
export function createLocalStorage(dir: string): DocumentStorage {
  const pathOf = (key: string) => {
    const [tenantId, documentId] = assertStorageKey(key).split('/') as [string, string];
    return { tenantDir: join(dir, tenantId), file: join(dir, tenantId, documentId) };
  };

  async function ensureDir(path: string) {
    await mkdir(path, { recursive: true, mode: 0o700 });
    // mkdir's mode is filtered by the umask and ignored for directories that already exist.
    await chmod(path, 0o700);
  }

  return {
    async put(key, bytes) {
      const { tenantDir, file } = pathOf(key);
      await ensureDir(dir);
      await ensureDir(tenantDir);
      const temporary = join(tenantDir, `.upload-${randomBytes(8).toString('hex')}.tmp`);
      const handle = await open(temporary, 'wx', 0o600);
      try {
        for (const piece of Buffer.isBuffer(bytes) ? [bytes] : bytes) await handle.write(piece);
        await handle.sync();
      } catch (error) {
        await handle.close();
        await unlink(temporary).catch(() => {});
        throw error;
      }
      await handle.close();
      await rename(temporary, file);
      const directory = await open(tenantDir, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    },

    async get(key, maxBytes) {
      const { file } = pathOf(key);
      try {
        const { size } = await stat(file);
        if (size > maxBytes) throw new BlobTooLargeError(key, size);
        return await readFile(file);
      } catch (error) {
        if (isMissing(error)) throw new BlobNotFoundError(key);
        throw error;
      }
    },

    async delete(key) {
      try {
        await unlink(pathOf(key).file);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    },
  };
}
