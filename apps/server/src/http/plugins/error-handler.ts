import type { FastifyError, FastifyInstance } from 'fastify';
import { errorEnvelope } from '@saas-llm/protocol';
import { DomainError } from '../../domain/errors.ts';

/**
 * The one error mapper: every failure leaves as the envelope of 02-client-api.md.
 * Expected failures keep their code; anything else is a bug: logged with the request id, answered 500
 * with no stack, SQL, URL or key in it.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainError | Error, request, reply) => {
    if (error instanceof DomainError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply.status(error.status).send(errorEnvelope(error.code, error.message, error.param, error.extra));
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send(errorEnvelope('request_too_large', 'The request body is larger than the configured limit.'));
    }
    if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      // Fastify's own client errors: malformed JSON, wrong content type, bad URL encoding.
      const message = fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'Unsupported content type: send application/json.'
        : fastifyError.code?.startsWith('FST_ERR_CTP') || fastifyError instanceof SyntaxError
          ? `Malformed request body: ${fastifyError.message}`
          : fastifyError.message;
      return reply.status(fastifyError.statusCode === 415 ? 400 : fastifyError.statusCode).send(errorEnvelope('invalid_request', message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorEnvelope('internal_error', `Internal error (request id ${request.id}).`));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorEnvelope('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`));
  });
}
