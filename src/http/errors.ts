import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { DatabaseUnavailableError, isDataException, isQueryCanceled } from '../db/errors.js';
import { ProblemError, problemBody, type ProblemCode } from './problem.js';
import { fieldErrors } from './validation.js';

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Fastify's own errors that reach clients, by their `code`, mapped to ours. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: ProblemCode }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'malformed_body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_body' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'unsupported_media_type' },
};

export function sendProblem(reply: FastifyReply, error: ProblemError) {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .status(error.status)
    .type('application/problem+json; charset=utf-8')
    .send(problemBody(error.status, error.code, error.detail, error.extensions));
}

/** The database away (or a connection lost mid-request) and a full pool are retryable: 503, told apart by code. */
function databaseUnavailable(error: DatabaseUnavailableError): ProblemError {
  const retryAfter = { 'retry-after': '5' };
  return error.reason === 'pool_exhausted'
    ? new ProblemError(503, 'overloaded', 'The service is busy; try again shortly.', {}, retryAfter)
    : new ProblemError(503, 'service_unavailable', 'The database is unavailable; try again shortly.', {}, retryAfter);
}

function toProblem(error: FastifyError & { validationContext?: string }, reply: FastifyReply): ProblemError | null {
  if (error instanceof ProblemError) return error;
  if (error instanceof DatabaseUnavailableError) return databaseUnavailable(error);
  if (error.validation) {
    return new ProblemError(400, 'validation_failed', 'Some fields are missing or not valid.', {
      errors: fieldErrors(error.validation, error.validationContext),
    });
  }
  const known = error.code ? FRAMEWORK_ERRORS[error.code] : undefined;
  if (known) return new ProblemError(known.status, known.code, error.message);
  if (error.statusCode === 429) {
    // The wait is ours to announce (a plugin may have set it on the reply), never the client's header.
    const retryAfter = Number(reply.getHeader('retry-after') ?? 0) || 60;
    return new ProblemError(429, 'rate_limited', 'Too many requests; slow down.', {}, { 'retry-after': String(retryAfter) });
  }
  if (error.statusCode === 400 && error.code?.startsWith('FST_')) return new ProblemError(400, 'malformed_body', error.message);
  if (isDataException(error)) {
    // The schemas should have refused the value: logged (SQLSTATE only, the message quotes the input) to find that gap.
    reply.log.warn({ sqlState: error.code }, 'data exception answered as 400');
    return new ProblemError(400, 'validation_failed', 'A value is out of range or not in a form that can be stored.');
  }
  // A statement that ran into statement_timeout met a busy database, not a bug: ask to come back later.
  if (isQueryCanceled(error))
    return new ProblemError(503, 'overloaded', 'The service is busy; try again shortly.', {}, { 'retry-after': '5' });
  return null;
}

/**
 * Fastify answers a URL it cannot route (bad percent-encoding, an over-long path parameter) before hooks
 * and the error handler run, in its own JSON shape that quotes the path. Such a URL names nothing here.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendProblem(reply, new ProblemError(404, 'not_found', 'Nothing here, or nothing you may see.'));
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(reply, new ProblemError(500, 'internal_error', 'The request could not be completed. It has been logged.'));
}

/**
 * One error style for every path: problem+json with a stable code. Unexpected errors are logged with
 * their stack and answered with a generic 500 that reveals no stack, SQL or internals.
 */
export function registerErrorHandling(app: FastifyInstance) {
  const knownRoutes = FindMyWay();
  app.addHook('onRoute', (route) => {
    // The web app's catch-all (GET /*) answers every path; it must not turn an unknown POST into a 405.
    if (route.url.endsWith('*')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (METHODS.includes(method as HTTPMethod) && !knownRoutes.find(method as HTTPMethod, route.url)) {
        knownRoutes.on(method as HTTPMethod, route.url, () => {});
      }
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error, reply);
    if (problem) {
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, problem);
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, new ProblemError(500, 'internal_error', 'The request could not be completed. It has been logged.'));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    const allowed = METHODS.filter((method) => method !== request.method && knownRoutes.find(method, path));
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, new ProblemError(405, 'method_not_allowed', `${request.method} is not allowed here.`));
    }
    return sendProblem(reply, new ProblemError(404, 'not_found', 'Nothing here, or nothing you may see.'));
  });
}
