import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { auditingRefusals, createRefusalLog } from '../audit/refusals.js';
import { auditRoutes } from '../audit/routes.js';
import type { BillingSummaryOf } from '../billing/setup.js';
import type { Config } from '../config.js';
import type { Database } from '../db/engine.js';
import { contractRoutes } from '../contracts/routes.js';
import { demoDataRoutes } from '../demo/routes.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { deadlineRoutes } from '../deadlines/routes.js';
import { createDownloadSlots } from '../documents/download-slots.js';
import { documentRoutes } from '../documents/routes.js';
import { exportRoutes } from '../export/routes.js';
import { createDocumentService } from '../documents/service.js';
import type { DocumentStorage } from '../documents/storage.js';
import { createDocumentStorage } from '../documents/storage-from-config.js';
import { groupRoutes } from '../groups/routes.js';
import type { BackupStatus } from '../backup/schedule.js';
import { healthRoutes } from '../health/routes.js';
import { holdingRoutes } from '../holdings/routes.js';
import { createPwnedPasswordsClient } from '../identity/breached-passwords.js';
import { deriveKey } from '../identity/keys.js';
import type { CodeSender } from '../identity/messaging/code-sender.js';
import { createConsoleCodeSender } from '../identity/messaging/console-code-sender.js';
import { createTwilioCodeSender } from '../identity/messaging/twilio-code-sender.js';
import { createPasswordPolicy } from '../identity/password-policy.js';
import { parseAllowedCountries } from '../identity/phone.js';
import { identityRoutes } from '../identity/routes.js';
import type { IdentityDeps } from '../identity/service.js';
import { createSessionTenants } from '../identity/session-tenants.js';
import { createSessionCookies, createSessionGuard } from '../identity/sessions.js';
import { createMailer } from '../mail/mailer.js';
import { productRoutes } from '../products/routes.js';
import { tenancyRoutes } from '../tenancy/routes.js';
import { vendorRoutes } from '../vendors/routes.js';
import { registerAuthenticationGate } from './authentication-gate.js';
import { registerDraining } from './draining.js';
import { frameworkErrors, registerErrorHandling } from './errors.js';
import { refuseUnboundedLists } from './list-bounds.js';
import { registerLoadShedding } from './load-shedding.js';
import { loggerOptions } from './logging.js';
import { enforceDocumentedProblems, registerOpenApi } from './openapi.js';
import { openApiRoutes, registerApiDocs } from './openapi-routes.js';
import { ProblemError } from './problem.js';
import { registerSecurity } from './security.js';
import { createTenantGate } from './tenant-gate.js';
import { fastifyTrustProxy } from './trust-proxy.js';
import { validatorCompiler } from './validation.js';
import { registerWebApp } from './web-app.js';

export interface AppOptions {
  config: Config;
  database: Database;
  /** Where logs go; stdout unless a test captures them. */
  logStream?: DestinationStream;
  /** Where document blobs go; from the configuration unless given (`serve` shares it with the orphan sweep). */
  documentStorage?: DocumentStorage;
  /**
   * A problem a route answers that its OpenAPI documentation does not list becomes a 500 internal_error
   * with an error log naming route and code (src/http/openapi.ts). The test suite turns it on so a new
   * code cannot go undocumented; a server leaves it off and answers what the route threw.
   */
  enforceDocumentedProblems?: boolean;
  /** The scheduled backup's last outcome for /readyz; absent when no backup is configured (src/backup/schedule.ts). */
  backupStatus?: () => BackupStatus;
  /** The built web app to serve on `/` (`serve` passes dist/web); without it the process serves the API only. */
  webAppDir?: string;
}

/** With billing off (no STRIPE_SECRET_KEY) everything is allowed and GET /api/v1/me says so. */
const billingOff: BillingSummaryOf = async () => ({ enabled: false });

export function createCodeSender(config: Config): CodeSender {
  if (config.sms.provider === 'console') return createConsoleCodeSender();
  return createTwilioCodeSender({
    accountSid: config.sms.accountSid,
    authToken: config.sms.authToken,
    fromNumber: config.sms.fromNumber,
    apiUrl: config.sms.apiUrl,
  });
}

/**
 * Four of the PostgreSQL pool's ten connections per company: two companies flooding at once still leave
 * two for everyone else. PGlite runs one transaction at a time, so there each company gets one turn and a
 * flood waits in its own queue instead of in front of everyone in the engine's.
 */
function defaultTenantConcurrency(database: Database): number {
  return database.engine === 'embedded' ? 1 : 4;
}

export async function buildApp({
  config,
  database,
  logStream,
  documentStorage,
  backupStatus,
  webAppDir,
  ...options
}: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logStream ? { ...loggerOptions(config.logLevel), stream: logStream } : loggerOptions(config.logLevel),
    trustProxy: fastifyTrustProxy(config.trustProxy),
    bodyLimit: 1024 * 1024,
    // Slow clients must not pin sockets: whole request in 30 s, headers in 10 s.
    requestTimeout: 30_000,
    connectionTimeout: 35_000,
    keepAliveTimeout: 5_000,
    // Closing is ours (registerDraining): problem+json 503 with Retry-After, not Fastify's plain JSON.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: false },
    genReqId: () => crypto.randomUUID(),
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The API speaks JSON only: Fastify's built-in text/plain parser would turn a text body into a string
  // that then fails validation as 400 instead of the 415 unsupported_media_type clients expect.
  app.removeContentTypeParser('text/plain');
  refuseUnboundedLists(app);
  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app);
  // Before every route: the document is collected from the routes as they are registered.
  await registerOpenApi(app);
  if (options.enforceDocumentedProblems) enforceDocumentedProblems(app);
  await app.register(cookie);
  const cookies = createSessionCookies(config.publicUrl);
  await registerSecurity(app, { publicUrl: config.publicUrl, sessionCookieName: cookies.name });
  registerDraining(app);
  registerAuthenticationGate(app, cookies.name);
  await registerLoadShedding(app, {
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.maxHeapUsedBytes,
    maxRssBytes: config.maxRssBytes,
    maxPoolWaiting: config.maxPoolWaiting,
    poolPressure: () => database.poolPressure(),
  });
  // A coarse per-node guard against floods. Security-relevant limits (logins, codes) are counted in
  // PostgreSQL so every node enforces the same numbers.
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: '1 minute',
    errorResponseBuilder: (_request, context) =>
      new ProblemError(429, 'rate_limited', 'Too many requests; slow down.', {}, { 'retry-after': String(Math.ceil(context.ttl / 1000)) }),
  });

  const mailer = createMailer(config.mail, app.log);
  app.addHook('onClose', async () => mailer.close());
  const identityDeps: IdentityDeps = {
    kysely: database.kysely,
    codeSender: createCodeSender(config),
    passwordPolicy: createPasswordPolicy({
      breachedPasswords: config.pwned.enabled ? createPwnedPasswordsClient({ baseUrl: config.pwned.apiUrl }) : null,
    }),
    allowedCountries: parseAllowedCountries(config.otpCountries),
    otpKey: deriveKey(config.masterKey, 'otp-hash'),
    emailKey: deriveKey(config.masterKey, 'email-key'),
    caps: {
      numberHourly: config.otpCaps.perNumberPerHour,
      resendsHourly: config.otpCaps.resendsPerNumberPerHour,
      tenantHourly: config.otpCaps.perTenantPerHour,
      globalHourly: config.otpCaps.globalPerHour,
      unverifiedNumberHourly: config.otpCaps.unverifiedPerNumberPerHour,
      unverifiedGlobalHourly: config.otpCaps.unverifiedGlobalPerHour,
      signupsPerActiveNumberDaily: config.otpCaps.signupsPerActiveNumberPerDay,
    },
    loginIpLimit: config.loginIpLimit,
    signupIpLimit: config.signupIpLimit,
    passwordResetLimit: config.passwordResetLimit,
    mailer,
    publicUrl: config.publicUrl,
    logger: app.log,
  };
  // Refused attempts at changing who may see or do what are audited in a transaction of their own.
  const sessionTenants = createSessionTenants(database.kysely);
  const sessionGuard = createSessionGuard(database.kysely, cookies, {
    tenants: sessionTenants,
    gate: createTenantGate({
      ...config.tenantFairness,
      concurrency: config.tenantFairness.concurrency ?? defaultTenantConcurrency(database),
    }),
  });
  const withSession = auditingRefusals(sessionGuard, createRefusalLog({ kysely: database.kysely }), app.log);
  const documents = createDocumentService({
    storage: documentStorage ?? (await createDocumentStorage(config.documentStorage)),
    wrappingKey: deriveKey(config.masterKey, 'tenant-key-wrap'),
    downloadSlots: createDownloadSlots(config.documentDownloads),
  });

  // Billing's read-only gate and seat-sync hook must precede the routes they watch; off without Stripe.
  let billingSummary = billingOff;
  if (config.billing) {
    // Loaded only when on: the Stripe client is a large module, and start-up is what a failover waits for.
    const { registerBilling } = await import('../billing/setup.js');
    billingSummary = await registerBilling(app, {
      config: config.billing,
      publicUrl: config.publicUrl,
      kysely: database.kysely,
      cookies,
      sessionTenants,
      withSession,
    });
  }

  await app.register(healthRoutes, { database, replicationReadiness: config.replicationReadiness, backupStatus });
  await app.register(identityRoutes, {
    deps: identityDeps,
    cookies,
    withSession,
    authRateLimitPerMinute: config.authRateLimitPerMinute,
    billingSummary,
  });
  await app.register(tenancyRoutes, {
    deps: identityDeps,
    cookies,
    withSession,
    authRateLimitPerMinute: config.authRateLimitPerMinute,
    invitationLimits: config.invitationLimits,
  });
  await app.register(vendorRoutes, { withSession });
  await app.register(productRoutes, { withSession });
  await app.register(contractRoutes, { withSession });
  await app.register(holdingRoutes, { withSession });
  await app.register(deadlineRoutes, { withSession });
  await app.register(dashboardRoutes, { withSession });
  await app.register(demoDataRoutes, { withSession });
  await app.register(documentRoutes, { withSession, documents, downloadTimeoutMs: config.documentDownloads.timeoutSeconds * 1000 });
  await app.register(groupRoutes, { withSession });
  await app.register(auditRoutes, { withSession });
  await app.register(exportRoutes, { withSession });
  await app.register(openApiRoutes);
  await registerApiDocs(app);
  if (webAppDir !== undefined) await registerWebApp(app, webAppDir);
  return app;
}
