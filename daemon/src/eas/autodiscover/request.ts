/** MS-ASCMD 2.2.2.1: the request and response schemas of the mobilesync Autodiscover provider. */
export const MOBILESYNC_REQUEST_SCHEMA =
  'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006';
export const MOBILESYNC_RESPONSE_SCHEMA =
  'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006';

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The POX request body for `email` (MS-ASCMD 4.2.1). */
export function buildPoxRequest(email: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="${MOBILESYNC_REQUEST_SCHEMA}">
  <Request>
    <EMailAddress>${xmlText(email)}</EMailAddress>
    <AcceptableResponseSchema>${MOBILESYNC_RESPONSE_SCHEMA}</AcceptableResponseSchema>
  </Request>
</Autodiscover>
`;
}
