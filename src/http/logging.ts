import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

/**
 * Logs must never carry secrets: cookies, authorization headers, passwords, one-time codes, session,
 * invitation and reset tokens, provider credentials. Bodies are not logged at all; the paths below catch
 * anything that is passed to the logger by mistake, and URLs have their token segments masked.
 */
export const redactedPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.authToken',
  '*.accountSid',
  '*.secret',
  '*.cookie',
];

const TOKEN_SEGMENT = /\/(invitations|password-reset|tokens)\/[^/?#]+/g;

export function maskUrl(url: string): string {
  const [path, query] = url.split('?', 2);
  const masked = (path ?? '').replace(TOKEN_SEGMENT, '/$1/[redacted]');
  return query === undefined ? masked : `${masked}?[redacted]`;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      req(request: FastifyRequest) {
        return { method: request.method, url: maskUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}
