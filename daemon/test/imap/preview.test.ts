import { describe, expect, it } from 'vitest';
import { parsePreviewFetch } from '../../src/imap/commands/preview';
import {
  decodeBase64Prefix,
  decodeQuotedPrintable,
  firstTextPart,
  PREVIEW_CHARS,
  previewFromPart,
  tidyPreview,
} from '../../src/imap/preview';

describe('firstTextPart', () => {
  it('a single-part mail is section 1', () => {
    expect(
      firstTextPart({
        type: 'text/plain',
        parameters: { charset: 'iso-8859-1' },
        encoding: 'quoted-printable',
      }),
    ).toEqual({
      section: '1',
      html: false,
      encoding: 'quoted-printable',
      charset: 'iso-8859-1',
    });
  });

  it('prefers text/plain over html in an alternative, skips attachments, descends into mixed', () => {
    const tree = {
      type: 'multipart/mixed',
      childNodes: [
        {
          type: 'multipart/alternative',
          part: '1',
          childNodes: [
            { type: 'text/html', part: '1.1', encoding: 'base64' },
            { type: 'text/plain', part: '1.2', encoding: '7bit' },
          ],
        },
        { type: 'text/plain', part: '2', disposition: 'attachment' },
      ],
    };
    expect(firstTextPart(tree)?.section).toBe('1.2');
    expect(
      firstTextPart({ type: 'multipart/mixed', childNodes: [{ type: 'text/html', part: '1' }] }),
    ).toMatchObject({
      section: '1',
      html: true,
    });
    expect(
      firstTextPart({ type: 'multipart/mixed', childNodes: [{ type: 'image/png', part: '1' }] }),
    ).toBeUndefined();
    expect(firstTextPart(undefined)).toBeUndefined();
  });
});

describe('decoding a cut-off prefix', () => {
  it('quoted-printable: soft breaks joined, a cut escape dropped', () => {
    expect(decodeQuotedPrintable(Buffer.from('Gr=C3=BC=\r\nße =3D ok =C')).toString('utf8')).toBe(
      'Grüße = ok ',
    );
  });

  it('base64: a trailing partial quantum is ignored', () => {
    const b64 = Buffer.from('Hello world, this is long').toString('base64');
    // 14 characters: three whole quanta (9 bytes), two characters of the fourth left out.
    expect(decodeBase64Prefix(Buffer.from(`${b64.slice(0, 10)}\r\n${b64.slice(10, 14)}`)).toString()).toBe(
      'Hello wor',
    );
  });

  it('charset: latin-1 bytes read as such; an unknown charset falls back to UTF-8', () => {
    const part = { section: '1', html: false, encoding: 'quoted-printable', charset: 'ISO-8859-1' };
    expect(previewFromPart(part, Buffer.from('Caf=E9 au lait'))).toBe('Café au lait');
    expect(previewFromPart({ ...part, encoding: '8bit', charset: 'x-unknown' }, Buffer.from('naïve'))).toBe(
      'naïve',
    );
  });

  it('html: tags, styles and entities out', () => {
    const part = { section: '1', html: true, encoding: '7bit', charset: 'utf-8' };
    expect(
      previewFromPart(part, Buffer.from('<html><head><style>p{}</style></head><p>Hi &amp; bye</p><br>next')),
    ).toBe('Hi & bye next');
  });
});

describe('tidyPreview', () => {
  it('drops quoted lines and the signature, collapses whitespace, cuts at 200 characters', () => {
    expect(tidyPreview('Yes.\n> earlier\n>> older\n\nThanks\n-- \nAnn')).toBe('Yes. Thanks');
    const long = tidyPreview('x'.repeat(500))!;
    expect(long).toHaveLength(PREVIEW_CHARS);
    expect(long.endsWith('…')).toBe(true);
    expect(tidyPreview('  \n ')).toBeUndefined();
  });
});

describe('parsePreviewFetch', () => {
  it('reads RFC 8970 PREVIEW and the SNIPPET draft; NIL is no preview', () => {
    const atom = (value: string) => ({ type: 'ATOM', value });
    expect(
      parsePreviewFetch({
        command: '3',
        attributes: [
          atom('FETCH'),
          [atom('UID'), atom('12'), atom('PREVIEW'), { type: 'STRING', value: 'Hi  there\r\n' }],
        ],
      }),
    ).toEqual({ uid: 12, preview: 'Hi there' });
    expect(
      parsePreviewFetch({
        command: '3',
        attributes: [
          atom('FETCH'),
          [atom('UID'), atom('13'), atom('SNIPPET'), [atom('FUZZY'), { type: 'STRING', value: 'Yo' }]],
        ],
      }),
    ).toEqual({ uid: 13, preview: 'Yo' });
    expect(
      parsePreviewFetch({
        command: '3',
        attributes: [
          atom('FETCH'),
          [atom('UID'), atom('14'), atom('PREVIEW'), { type: 'ATOM', value: null }],
        ],
      }),
    ).toEqual({ uid: 14 });
    expect(
      parsePreviewFetch({ command: '3', attributes: [atom('FETCH'), [atom('PREVIEW'), atom('x')]] }),
    ).toBeUndefined();
  });
});
