import type { TrustProxy } from '../config.js';

type FastifyTrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * PACTUM_TRUST_PROXY as Fastify's trustProxy option. Fastify 5.12 ignores a numeric hop count (it fails
 * closed: a count cannot tell a proxy from a client that reaches the node directly), but API.md fixes the
 * hop count as a form operators may use. We keep it, as the trust function Fastify documents, for
 * deployments where only the proxies can reach the node; docs/operations.md says so.
 */
export function fastifyTrustProxy(trust: TrustProxy): FastifyTrustProxy {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}
