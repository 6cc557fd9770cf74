import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupTargetConfig } from './backup-config.js';

/** One stored file of a backup (its archive or its manifest). */
export interface StoredFile {
  name: string;
  size: number;
}

/** Where backups are kept: a directory or a bucket. Names are ours (BACKUP_FILE_NAME), never input. */
export interface BackupTarget {
  /** For messages: the directory, or s3://bucket/prefix (never credentials). */
  readonly description: string;
  put(name: string, body: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void>;
  get(name: string): Promise<Readable>;
  list(): Promise<StoredFile[]>;
  delete(name: string): Promise<void>;
}

export class BackupNotFoundError extends Error {}

/** pactum-20261130T020000Z.archive / .manifest */
export const BACKUP_FILE_NAME = /^pactum-\d{8}T\d{6}Z\.(archive|manifest)$/;

function assertName(name: string) {
  if (!BACKUP_FILE_NAME.test(name)) throw new Error(`not a backup file name: ${name}`);
}

export async function createBackupTarget(config: BackupTargetConfig): Promise<BackupTarget> {
  if (config.kind === 'dir') return createDirTarget(config.dir);
  // Loaded only when a bucket is configured (as for documents): the SDK is large.
  const { createS3Target } = await import('./s3-target.js');
  return createS3Target(config);
}

/**
 * Files in a directory, written under a temporary name, flushed to disk and then renamed, so a file under
 * a backup's name is always complete. Private to the owner (0600 in a 0700 directory).
 */
export function createDirTarget(dir: string): BackupTarget {
  const path = (name: string) => {
    assertName(name);
    return join(dir, name);
  };
  return {
    description: dir,
    async put(name, body) {
      const final = path(name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await pipeline(body, createWriteStream(temporary, { mode: 0o600, flags: 'wx' }));
        const handle = await open(temporary, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, final);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
    async get(name) {
      const file = path(name);
      try {
        await stat(file);
      } catch {
        throw new BackupNotFoundError(`no backup file ${name} in ${dir}`);
      }
      return createReadStream(file);
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return [];
        throw error;
      }
      const files: StoredFile[] = [];
      for (const name of names.filter((entry) => BACKUP_FILE_NAME.test(entry)))
        files.push({ name, size: (await stat(join(dir, name))).size });
      return files;
    },
    async delete(name) {
      await rm(path(name), { force: true });
    },
  };
}
