import type { paths } from './schema';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = M extends keyof paths[P] ? paths[P][M] : never;
type Responses<P extends keyof paths, M extends Method> = Operation<P, M> extends { responses: infer R } ? R : never;
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type RequestJsonOf<O> = O extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;

/** The JSON a route answers on success (200, 201 or 202), straight from the OpenAPI document. */
export type Success<P extends keyof paths, M extends Method = 'get'> = JsonOf<
  Responses<P, M>[Extract<keyof Responses<P, M>, 200 | 201 | 202>]
>;

/** The JSON body a route takes. */
export type RequestBody<P extends keyof paths, M extends Method> = RequestJsonOf<Operation<P, M>>;
