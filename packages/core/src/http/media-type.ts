export type Media = 'json' | 'ndjson' | 'unsupported';

/** What a `Content-Type` asks for (RFC 9110 §8.3: the type is case-insensitive, parameters follow `;`). */
export function mediaType(contentType: string | undefined): Media {
  // A missing Content-Type is accepted: minimal challenge clients omit it.
  if (contentType === undefined || contentType === '' || contentType === 'application/json') return 'json';
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json')))
    return 'json';
  if (type === 'application/x-ndjson') return 'ndjson';
  return 'unsupported';
}
