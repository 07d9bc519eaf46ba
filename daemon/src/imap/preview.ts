/**
 * A mail's short preview without downloading the mail (issue 17, "rich content"): the server's
 * own PREVIEW (RFC 8970) where offered, else the first bytes of the first text part, decoded.
 * Pure: tests pass body structures and bytes.
 */

/** Longest preview handed on, characters (ChangeSignal: "≤ 200 chars"). */
export const PREVIEW_CHARS = 200;
/**
 * Bytes fetched of the text part (BODY.PEEK[n]<0.N>): enough for 200 characters after
 * quoted-printable or base64 and some leading HTML, never the whole mail.
 */
export const PREVIEW_FETCH_BYTES = 2048;

/** The part of imapflow's MessageStructureObject the preview needs. */
export interface BodyNode {
  part?: string | undefined;
  type: string;
  parameters?: Record<string, string> | undefined;
  encoding?: string | undefined;
  disposition?: string | undefined;
  childNodes?: BodyNode[] | undefined;
}

export interface TextPart {
  /** Section for BODY.PEEK[section]: "1" for a single-part mail. */
  section: string;
  html: boolean;
  encoding: string;
  charset: string;
}

/**
 * The first inline text/plain part, else the first inline text/html one, depth first — what a
 * mail client shows. Attachments (disposition attachment) are skipped.
 */
export function firstTextPart(root: BodyNode | undefined): TextPart | undefined {
  if (!root) return undefined;
  let html: TextPart | undefined;
  const visit = (node: BodyNode, depth: number): TextPart | undefined => {
    if (depth > 16) return undefined;
    const type = node.type.toLowerCase();
    if (node.childNodes?.length) {
      for (const c of node.childNodes) {
        const found = visit(c, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    if (node.disposition?.toLowerCase() === 'attachment') return undefined;
    if (type !== 'text/plain' && type !== 'text/html') return undefined;
    const part: TextPart = {
      section: node.part ?? '1',
      html: type === 'text/html',
      encoding: (node.encoding ?? '7bit').toLowerCase(),
      charset: node.parameters?.charset ?? 'utf-8',
    };
    if (!part.html) return part;
    html ??= part;
    return undefined;
  };
  return visit(root, 0) ?? html;
}

/** Decodes quoted-printable (RFC 2045 §6.7); a cut-off escape at the end is dropped. */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  const text = input.toString('latin1').replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d /* = */) {
      const hex = text.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out.push(Number.parseInt(hex, 16));
        i += 2;
        continue;
      }
      if (i + 3 > text.length) break;
    }
    out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Decodes base64, ignoring a trailing partial quantum (the fetch was cut at a byte count). */
export function decodeBase64Prefix(input: Buffer): Buffer {
  const clean = input.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
  return Buffer.from(clean.slice(0, clean.length - (clean.length % 4)), 'base64');
}

/** Bytes in a charset → text; an unknown charset falls back to UTF-8 with replacement. */
export function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.trim().toLowerCase() || 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Collapses whitespace, drops quoted lines and a signature, cuts to PREVIEW_CHARS. */
export function tidyPreview(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  for (const line of lines) {
    if (line === '-- ') break; // RFC 3676 §4.3 signature separator
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  const flat = kept.join(' ').replace(/\s+/g, ' ').trim();
  if (!flat) return undefined;
  return flat.length <= PREVIEW_CHARS ? flat : `${flat.slice(0, PREVIEW_CHARS - 1)}…`;
}

/** Strips tags, scripts, styles and the common entities from an HTML prefix. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[^>]*>[\s\S]*?(<\/\1>|$)/gi, ' ')
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
    .replace(/<[^>]*>?/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The preview from the bytes of a text part's prefix. */
export function previewFromPart(part: TextPart, raw: Buffer): string | undefined {
  const bytes =
    part.encoding === 'quoted-printable'
      ? decodeQuotedPrintable(raw)
      : part.encoding === 'base64'
        ? decodeBase64Prefix(raw)
        : raw;
  const text = decodeCharset(bytes, part.charset);
  return tidyPreview(part.html ? htmlToText(text) : text);
}
