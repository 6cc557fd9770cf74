import type { DocumentStorageConfig } from '../config.js';
import { createLocalStorage } from './local-storage.js';
import type { DocumentStorage } from './storage.js';

/**
 * The one place the configuration picks where documents go. The AWS SDK is loaded only when a bucket is
 * configured: it is large, and on Node 20 it prints a support warning at import.
 */
export async function createDocumentStorage(config: DocumentStorageConfig): Promise<DocumentStorage> {
  if (config.kind === 'local') return createLocalStorage(config.dir);
  const { createS3Storage } = await import('./s3-storage.js');
  return createS3Storage(config);
}
