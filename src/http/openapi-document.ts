import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../config.js';
import { openEmbedded } from '../db/engine.js';
import { buildApp } from './app.js';

/**
 * The OpenAPI document without a server or a database to talk to: the real app is built, so every route
 * registers exactly as it serves, against a throwaway in-memory engine that is never migrated nor queried
 * (routes only use the database when they answer) and a configuration of its own. The document takes
 * nothing from the configuration, so it is the one any deployment serves at /api/v1/openapi.json.
 * Billing registers its routes only when Stripe is configured, so placeholder Stripe settings (never used:
 * nothing is called) turn it on here and the document describes every route a deployment may serve.
 */
export async function generateOpenApiDocument(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pactum-openapi-'));
  const database = await openEmbedded('memory://');
  try {
    const config = loadConfig({
      PACTUM_DATA_DIR: dataDir,
      PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
      STRIPE_SECRET_KEY: 'sk_test_openapidocument',
      STRIPE_WEBHOOK_SECRET: 'whsec_openapidocument',
      STRIPE_PRICE_ID: 'price_openapidocument',
    });
    const app = await buildApp({ config, database, logStream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    try {
      await app.ready();
      return app.swagger() as unknown as Record<string, unknown>;
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** As committed for the web app's typed client: two-space JSON and a final newline, so diffs stay readable. */
export function formatOpenApiDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
