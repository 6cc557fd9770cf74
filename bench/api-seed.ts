/**
 * Seeding for bench/api.ts: tenants with one master, one live session, one vendor, five products and
 * CONTRACTS contracts of five line items each, written set-based (generate_series) by the owner.
 *
 * The rows are what the app would write (same columns, tenant ids, numeric money, valid statuses), but
 * they are not written through it: a million contracts through the API would take hours. Tenants are
 * seeded in chunks on two connections at once, each chunk in tenant order, so every index is filled one
 * tenant's key range at a time.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export interface SeedScale {
  tenants: number;
  contractsPerTenant: number;
  lineItemsPerContract: number;
}

export interface BenchTenant {
  tenantId: string;
  userId: string;
  /** The session cookie's value; only its SHA-256 is stored, as the app does. */
  token: string;
}

const CHUNK_TENANTS = 50;
const CONNECTIONS = 2;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const progress = (text: string) => process.stdout.write(text);

export async function seed(url: string, scale: SeedScale): Promise<{ tenants: BenchTenant[]; seconds: Record<string, number> }> {
  const seconds: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const begin = performance.now();
    const result = await work();
    seconds[label] = (performance.now() - begin) / 1000;
    return result;
  };

  // Tokens are made here, like newSessionToken does; the database stores sha256(token), as the app does.
  const tokens = Array.from({ length: scale.tenants }, () => randomBytes(32).toString('base64url'));
  await timed('tenants', () =>
    withClient(url, async (client) => {
      await client.query(`
        CREATE TABLE bench_tenants (
          n          integer PRIMARY KEY,
          tenant_id  uuid NOT NULL,
          user_id    uuid NOT NULL,
          vendor_id  uuid NOT NULL,
          token      text NOT NULL
        )`);
      await client.query(
        `INSERT INTO bench_tenants (n, tenant_id, user_id, vendor_id, token)
         SELECT t.n, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), t.token
           FROM unnest($1::text[]) WITH ORDINALITY AS t(token, n)`,
        [tokens],
      );
      await client.query(`
        INSERT INTO tenants (id, name, status, created_at)
        SELECT tenant_id, 'Bench Tenant ' || n || ' AG', 'active', now() - interval '3 years' FROM bench_tenants ORDER BY n`);
      await client.query(`
        INSERT INTO users (tenant_id, id, name, email, role, status, created_at, activated_at)
        SELECT tenant_id, user_id, 'Bench Master ' || n, 'master.' || n || '@bench.pactum.example', 'master', 'active',
               now() - interval '3 years', now() - interval '3 years'
          FROM bench_tenants ORDER BY n`);
      await client.query(`
        INSERT INTO vendors (tenant_id, id, name, website, aliases)
        SELECT tenant_id, vendor_id, 'Polaris Data Systems', 'https://polaris-data.example', '{Polaris,PDS}' FROM bench_tenants ORDER BY n`);
      // Five products per tenant; line item k of every contract names product k.
      await client.query(`
        CREATE TABLE bench_products AS
        SELECT b.n, b.tenant_id, b.vendor_id, k, gen_random_uuid() AS product_id,
               (ARRAY['core', 'user', 'named_user', 'instance', 'subscription'])[k] AS metric,
               (ARRAY[2, 25, 1, 10, 1])[k] AS block_size,
               (ARRAY[9500, 36, 720, 180, 12000])[k]::numeric(19, 4) AS list_price
          FROM bench_tenants b CROSS JOIN generate_series(1, ${scale.lineItemsPerContract}) k`);
      await client.query(`
        INSERT INTO products (tenant_id, id, vendor_id, name, sku, metric, block_size)
        SELECT tenant_id, product_id, vendor_id, 'Product ' || k, 'PDS-' || k, metric, block_size FROM bench_products ORDER BY n, k`);
      await client.query('CREATE INDEX ON bench_products (tenant_id)');
    }),
  );

  progress(`  contracts and line items (${scale.tenants} tenants in chunks of ${CHUNK_TENANTS} on ${CONNECTIONS} connections) `);
  await timed('contracts and line items', async () => {
    let next = 1;
    const worker = () =>
      withClient(url, async (client) => {
        // Seeding only: a crash would lose the bench database anyway.
        await client.query("SET synchronous_commit = off; SET work_mem = '64MB'");
        while (next <= scale.tenants) {
          const from = next;
          const to = Math.min(scale.tenants, from + CHUNK_TENANTS - 1);
          next = to + 1;
          await seedChunk(client, from, to, scale);
          progress('.');
        }
      });
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    progress('\n');
  });

  await timed('sessions', () =>
    withClient(url, async (client) => {
      // Live sessions, inserted last so that their idle timeout starts when the measurement is near.
      await client.query(`
        INSERT INTO sessions (tenant_id, user_id, token_hash, expires_at, client_ip, user_agent)
        SELECT tenant_id, user_id, sha256(convert_to(token, 'UTF8')), now() + interval '12 hours', '127.0.0.1', 'pactum-bench'
          FROM bench_tenants ORDER BY n`);
    }),
  );

  await timed('vacuum analyze', () =>
    Promise.all(
      [['contracts', 'tenants', 'users', 'sessions', 'vendors', 'products'], ['line_items']].map((tables) =>
        withClient(url, async (client) => {
          for (const table of tables) await client.query(`VACUUM (ANALYZE) ${table}`);
        }),
      ),
    ),
  );

  const tenants = await withClient(url, async (client) => {
    const { rows } = await client.query<{ tenant_id: string; user_id: string; token: string }>(
      'SELECT tenant_id, user_id, token FROM bench_tenants ORDER BY n',
    );
    await client.query('DROP TABLE bench_tenants, bench_products');
    return rows.map((row) => ({ tenantId: row.tenant_id, userId: row.user_id, token: row.token }));
  });
  return { tenants, seconds };
}

/**
 * One chunk of tenants in one statement: contracts spread over five years, created in date order (so
 * created_at order and heap order agree as they would in real use), one in twenty a proposal; and the
 * five line items of each, written from the contracts' RETURNING rows.
 */
async function seedChunk(client: pg.Client, from: number, to: number, scale: SeedScale): Promise<void> {
  await client.query(
    `
    WITH new_contracts AS (
      INSERT INTO contracts (tenant_id, vendor_id, kind, reference, title, status, signed_on, starts_on, ends_on,
                             notice_period_days, auto_renew, renewal_term_months, currency, manager_id, terms, created_at, updated_at)
      SELECT b.tenant_id, b.vendor_id,
             CASE WHEN i % 20 = 0 THEN 'proposal' ELSE 'contract' END,
             'PDS-' || to_char(d.starts_on, 'YYYY') || '-' || lpad(i::text, 5, '0'),
             (ARRAY['Database licences', 'Office suite subscription', 'Design tools', 'Monitoring commitment', 'Support renewal'])[1 + i % 5]
               || ' ' || i,
             CASE WHEN i % 20 = 0 THEN 'pending' WHEN i < $3::integer * 6 / 10 THEN 'expired' WHEN i % 97 = 0 THEN 'terminated' ELSE 'active' END,
             d.starts_on - 14, d.starts_on, d.starts_on + 364,
             (ARRAY[30, 60, 90])[1 + i % 3], i % 4 = 0, CASE WHEN i % 4 = 0 THEN 12 END,
             (ARRAY['CHF', 'EUR', 'USD'])[1 + i % 3], b.user_id,
             CASE WHEN i % 10 = 0 THEN 'Prices fixed for the term; maintenance billed annually in advance.' END,
             d.created_at, d.created_at
        FROM bench_tenants b
       CROSS JOIN generate_series(1, $3::integer) i
       CROSS JOIN LATERAL (SELECT date '2020-01-01' + i * 1825 / $3::integer AS starts_on,
                                  now() - interval '5 years' + i * (interval '5 years' / $3::integer) AS created_at) d
       WHERE b.n BETWEEN $1::integer AND $2::integer
       ORDER BY b.tenant_id, i
      RETURNING tenant_id, id, created_at
    )
    INSERT INTO line_items (tenant_id, contract_id, position, product_id, quantity, block_size, list_unit_price,
                            discount_percent, net_unit_price, maintenance_percent)
    SELECT c.tenant_id, c.id, p.k - 1, p.product_id, q.quantity, p.block_size, p.list_price, q.discount,
           round(p.list_price * (100 - q.discount) * 0.01, 4), CASE WHEN p.metric = 'subscription' THEN NULL ELSE 20 END
      FROM new_contracts c
      JOIN bench_products p ON p.tenant_id = c.tenant_id
     CROSS JOIN LATERAL (SELECT p.block_size * (1 + (hashtext(c.id::text || p.k) & 15)) AS quantity,
                                ((hashtext(c.id::text) & 7) * 5)::numeric(7, 4) AS discount) q
     ORDER BY c.tenant_id, c.created_at, p.k`,
    [from, to, scale.contractsPerTenant],
  );
}
