import { ApiProblem, problemFrom, type ProblemBody } from '../../api/problem';

/** The export's progress header (decision 0005): how many stored records the workbook holds. */
export const EXPORT_RECORDS_HEADER = 'x-pactum-export-records';
/** Measured at 100,000 line items (decision 0005): about this many compressed bytes per record. */
const BYTES_PER_RECORD = 110;

export interface DownloadProgress {
  bytes: number;
  records: number | null;
  /** 0–1, estimated from the records and the bytes so far (the stream has no length); null if unknown. */
  estimate: number | null;
}

export interface DownloadedFile {
  blob: Blob;
  filename: string;
}

function filenameOf(disposition: string | null, fallback: string): string {
  const match = /filename="([^"]+)"/.exec(disposition ?? '');
  return match?.[1] ?? fallback;
}

/**
 * GET the export and read its body as it streams, reporting bytes as they arrive. A failure answer
 * becomes the same ApiProblem the typed client throws, so callers (and the step-up prompt) branch on `code`.
 */
export async function downloadExport(onProgress: (progress: DownloadProgress) => void, signal?: AbortSignal): Promise<DownloadedFile> {
  let response: Response;
  try {
    response = await fetch('/api/v1/export.xlsx', { credentials: 'same-origin', signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiProblem({ status: 0, code: 'network_error' }, null);
  }
  if (!response.ok) throw await problemFrom(response);
  const declared = Number(response.headers.get(EXPORT_RECORDS_HEADER));
  const records = Number.isFinite(declared) && declared >= 0 && response.headers.has(EXPORT_RECORDS_HEADER) ? declared : null;
  const expectedBytes = records === null ? null : Math.max(records * BYTES_PER_RECORD, 8_000);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  onProgress({ bytes, records, estimate: records === null ? null : 0 });
  const reader = response.body?.getReader();
  if (reader) {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.byteLength;
        onProgress({ bytes, records, estimate: expectedBytes === null ? null : Math.min(bytes / expectedBytes, 0.99) });
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      // The server cuts the connection when an export fails mid-stream: no partial file is saved.
      throw new ApiProblem({ status: 0, code: 'export_interrupted' }, null);
    }
  } else {
    const buffer = new Uint8Array(await response.arrayBuffer());
    chunks.push(buffer);
    bytes = buffer.byteLength;
  }
  onProgress({ bytes, records, estimate: 1 });
  const blob = new Blob(chunks as BlobPart[], { type: response.headers.get('content-type') ?? 'application/octet-stream' });
  return { blob, filename: filenameOf(response.headers.get('content-disposition'), 'pactum-export.xlsx') };
}

/** Hands a downloaded file to the browser's own download: a temporary object URL and a link click. */
export function saveFile({ blob, filename }: DownloadedFile) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the URL is no longer needed once the browser has the blob.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export interface ImportReport {
  creates: number;
  updates: number;
  sheets: Array<{ sheet: string; creates: number; updates: number }>;
  errors: Array<{ sheet: string; cell: string; message: string }>;
}

export interface CsvMapping {
  sheet: string;
  columns?: Record<string, string>;
}

/**
 * POST /api/v1/imports through XMLHttpRequest, whose upload.onprogress reports the bytes sent (fetch has
 * no upload progress). The Origin header is sent by the browser itself, as for every same-origin POST.
 */
export function uploadImport(
  file: File,
  options: { dryRun: boolean; mapping: CsvMapping | null; onProgress: (fraction: number) => void },
): Promise<ImportReport> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    if (options.mapping) form.append('mapping', JSON.stringify(options.mapping));
    form.append('file', file, file.name);
    const request = new XMLHttpRequest();
    request.open('POST', options.dryRun ? '/api/v1/imports?dryRun=true' : '/api/v1/imports');
    request.withCredentials = true;
    request.responseType = 'text';
    request.setRequestHeader('accept', 'application/json, application/problem+json');
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) options.onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new ApiProblem({ status: 0, code: 'network_error' }, null));
    request.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null;
      }
      if (request.status === 200 || request.status === 201) {
        options.onProgress(1);
        resolve(body as ImportReport);
        return;
      }
      const parsed = body as Partial<ProblemBody> | null;
      const problem: ProblemBody =
        parsed && typeof parsed.code === 'string'
          ? { ...parsed, status: request.status, code: parsed.code }
          : { status: request.status, code: request.status >= 500 ? 'internal_error' : 'unexpected_response' };
      const retryAfter = Number(request.getResponseHeader('retry-after'));
      reject(new ApiProblem(problem, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null));
    };
    request.send(form);
  });
}
