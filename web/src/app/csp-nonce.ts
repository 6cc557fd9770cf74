/**
 * The per-page-load nonce the server put on `<meta property="csp-nonce">` (see src/http/web-app.ts).
 * Browsers hide a nonce from attribute reads; the `nonce` property still returns it to our own script.
 */
export function styleNonce(): string | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  return meta?.nonce || undefined;
}
