import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertStorageKey,
  BlobNotFoundError,
  BlobTooLargeError,
  isUuid,
  type DocumentStorage,
  type StoredBlob,
  type StoredEntry,
} from './storage.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

const LEFTOVER = /^\.upload-[0-9a-f]{16}\.tmp$/;

/** Reads an open file front to back into the caller's buffers; closing twice is harmless. */
function blobFromFile(handle: FileHandle, size: number): StoredBlob {
  let position = 0;
  let closing: Promise<void> | null = null;
  return {
    size,
    async read(target) {
      const { bytesRead } = await handle.read(target, 0, target.length, position);
      position += bytesRead;
      return bytesRead;
    },
    close: () => (closing ??= handle.close()),
  };
}

/**
 * Blobs as files under `<dir>/<tenant id>/<document id>`, directories 0700 and files 0600. A blob is
 * written to a temporary name as it arrives, flushed, and renamed into place, so a crash never leaves
 * half a document under a real key — only a `.upload-*.tmp` file, which the orphan sweep removes.
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

  async function syncDirectory(path: string) {
    const directory = await open(path, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  return {
    async put(key, source) {
      const { tenantDir, file } = pathOf(key);
      await ensureDir(dir);
      await ensureDir(tenantDir);
      const temporary = join(tenantDir, `.upload-${randomBytes(8).toString('hex')}.tmp`);
      const handle = await open(temporary, 'wx', 0o600);
      try {
        // One piece at a time, each awaited: the source is pulled only as fast as the disk takes it.
        for await (const piece of source) await handle.write(piece);
        await handle.sync();
        await handle.close();
        await rename(temporary, file);
      } catch (error) {
        await handle.close().catch(() => {});
        await unlink(temporary).catch(() => {});
        throw error;
      }
      await syncDirectory(tenantDir);
    },

    async get(key, maxBytes) {
      const { file } = pathOf(key);
      let handle;
      try {
        handle = await open(file, 'r');
      } catch (error) {
        if (isMissing(error)) throw new BlobNotFoundError(key);
        throw error;
      }
      try {
        const { size } = await handle.stat();
        if (size > maxBytes) throw new BlobTooLargeError(key, size);
        return blobFromFile(handle, size);
      } catch (error) {
        await handle.close();
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

    async *list(): AsyncGenerator<StoredEntry> {
      let tenants: string[];
      try {
        tenants = await readdir(dir);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      for (const tenantId of tenants.filter(isUuid)) {
        let names: string[];
        try {
          names = await readdir(join(dir, tenantId));
        } catch (error) {
          if (isMissing(error)) continue;
          throw error;
        }
        for (const name of names) {
          const kind = isUuid(name) ? 'blob' : LEFTOVER.test(name) ? 'leftover' : null;
          if (!kind) continue;
          let modifiedAt: Date;
          try {
            modifiedAt = (await stat(join(dir, tenantId, name))).mtime;
          } catch (error) {
            if (isMissing(error)) continue;
            throw error;
          }
          yield kind === 'blob' ? { kind, key: `${tenantId}/${name}`, modifiedAt } : { kind, name: `${tenantId}/${name}`, modifiedAt };
        }
      }
    },

    async deleteLeftover(name) {
      const [tenantId, file] = name.split('/');
      if (name.split('/').length !== 2 || !tenantId || !isUuid(tenantId) || !file || !LEFTOVER.test(file))
        throw new Error('invalid leftover name');
      try {
        await unlink(join(dir, tenantId, file));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    },
  };
}
