import { ApiProblem, type ProblemBody } from '../../api/problem';

export const MAX_DOCUMENT_BYTES = 25 * 1024 * 1024;
export const DOCUMENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];

/**
 * Uploads one document as multipart field `file`. fetch() reports no upload progress, so this one call uses
 * XMLHttpRequest and its `upload.onprogress`. It is same-origin, so the browser sends the session cookie and
 * the Origin header itself, as for any other state-changing request; failures become an ApiProblem like
 * every other call (413 payload_too_large, 415 unsupported_media_type, …).
 */
export function uploadDocument(
  contractId: string,
  file: File,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<{ id: string; filename: string }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/contracts/${encodeURIComponent(contractId)}/documents`);
    request.withCredentials = true;
    request.responseType = 'text';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status === 201) {
        onProgress(1);
        resolve(JSON.parse(request.responseText) as { id: string; filename: string });
        return;
      }
      reject(problemOf(request));
    };
    request.onerror = () => reject(new ApiProblem({ status: 0, code: 'network_error' }, null));
    request.onabort = () => reject(new ApiProblem({ status: 0, code: 'network_error' }, null));
    signal?.addEventListener('abort', () => request.abort());
    const form = new FormData();
    form.append('file', file, file.name);
    request.send(form);
  });
}

function problemOf(request: XMLHttpRequest): ApiProblem {
  const fallback: ProblemBody = { status: request.status, code: request.status >= 500 ? 'internal_error' : 'unexpected_response' };
  if (request.status === 413) fallback.code = 'payload_too_large';
  if (request.status === 415) fallback.code = 'unsupported_media_type';
  let body = fallback;
  if ((request.getResponseHeader('content-type') ?? '').includes('json')) {
    try {
      const parsed = JSON.parse(request.responseText) as Partial<ProblemBody>;
      if (typeof parsed.code === 'string') body = { ...parsed, status: request.status, code: parsed.code };
    } catch {
      // Keep the fallback.
    }
  }
  const retryAfter = Number(request.getResponseHeader('retry-after'));
  return new ApiProblem(body, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
}
