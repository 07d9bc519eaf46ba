import { describe, expect, it } from 'vitest';
import { el, fromXml, toXml } from '../src/index';
import { expectWbxmlError } from './support/bytes';

const tree = el(
  'AirSync',
  'Sync',
  el(
    'AirSync',
    'Collections',
    el(
      'AirSync',
      'Collection',
      el('AirSync', 'SyncKey', '5'),
      el('Email', 'Subject', 'a < b & "c"\r\n\ttab'),
      el('AirSyncBase', 'Data', new Uint8Array([0, 1, 2, 250])),
      el('AirSync', 'MoreAvailable'),
    ),
  ),
);

describe('toXml', () => {
  it('uses the EAS namespace convention: default for the root page, lowercased prefixes for the rest', () => {
    const x = toXml(tree);
    expect(x).toBe(
      '<?xml version="1.0" encoding="utf-8"?><Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:airsyncbase="AirSyncBase:">' +
        '<Collections><Collection><SyncKey>5</SyncKey><email:Subject>a &lt; b &amp; &quot;c&quot;&#xd;\n\ttab</email:Subject>' +
        '<airsyncbase:Data opaque="base64">AAEC+g==</airsyncbase:Data><MoreAvailable/></Collection></Collections></Sync>',
    );
  });

  it('indents element-only content when pretty, never touching text', () => {
    const x = toXml(tree, { pretty: true, declaration: false });
    expect(x.split('\n').slice(0, 4)).toEqual([
      '<Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:airsyncbase="AirSyncBase:">',
      '  <Collections>',
      '    <Collection>',
      '      <SyncKey>5</SyncKey>',
    ]);
    expect(fromXml(x)).toEqual(tree);
  });

  it('refuses OPAQUE mixed with other content', () => {
    const e = expectWbxmlError(
      () => toXml(el('Email', 'Subject', 'x', new Uint8Array([1]))),
      'WBXML_ERR_XML_UNREPRESENTABLE',
    );
    expect(e.path).toBe('Subject');
  });
});

describe('fromXml', () => {
  it('round-trips toXml output, compact and pretty', () => {
    expect(fromXml(toXml(tree))).toEqual(tree);
    expect(fromXml(toXml(tree, { pretty: true }))).toEqual(tree);
  });

  it('resolves prefixes per scope, with or without the trailing colon, and accepts CDATA and references', () => {
    const x = `<s:Sync xmlns:s="AirSync"><e:Subject xmlns:e="Email:">x&#233;&#x1F600;<![CDATA[<raw>&amp;]]></e:Subject><Status xmlns="AirSync:">1</Status></s:Sync>`;
    expect(fromXml(x)).toEqual(
      el('AirSync', 'Sync', el('Email', 'Subject', 'xé😀<raw>&amp;'), el('AirSync', 'Status', '1')),
    );
  });

  it('keeps whitespace inside text-only elements', () => {
    expect(fromXml('<Subject xmlns="Email:">  two  spaces </Subject>')).toEqual(
      el('Email', 'Subject', '  two  spaces '),
    );
  });

  it('accepts libwbxml spellings and the Gal: namespace when asked', () => {
    const x = `<Sync xmlns="AirSync:"><Recurrence_Type xmlns="Calendar:">1</Recurrence_Type><Data xmlns="Gal:">x</Data></Sync>`;
    expectWbxmlError(() => fromXml(x), 'WBXML_ERR_UNKNOWN_TAG');
    expect(fromXml(x, { libwbxmlNames: true })).toEqual(
      el('AirSync', 'Sync', el('Calendar', 'Type', '1'), el('GAL', 'Data', 'x')),
    );
  });

  it('accepts a bare DOCTYPE (libwbxml writes one) but refuses internal subsets and entities', () => {
    const ok =
      '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/"><Sync xmlns="AirSync:"/>';
    expect(fromXml(ok)).toEqual(el('AirSync', 'Sync'));
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Sync xmlns="AirSync:">&lol2;</Sync>';
    const e = expectWbxmlError(() => fromXml(bomb), 'WBXML_ERR_XML_HOSTILE', 21);
    expect(e.message).toMatch(/internal subset/);
    expectWbxmlError(
      () => fromXml('<!ENTITY x SYSTEM "file:///etc/passwd"><Sync xmlns="AirSync:"/>'),
      'WBXML_ERR_XML_HOSTILE',
      0,
    );
    expectWbxmlError(() => fromXml('<Sync xmlns="AirSync:">&xxe;</Sync>'), 'WBXML_ERR_XML_SYNTAX');
    expectWbxmlError(() => fromXml('<Sync xmlns="AirSync:">a & b</Sync>'), 'WBXML_ERR_XML_SYNTAX');
  });

  it.each([
    ['not well-formed', '<Sync xmlns="AirSync:"><Status></Sync>', 'WBXML_ERR_XML_SYNTAX'],
    ['two roots', '<Sync xmlns="AirSync:"/><Sync xmlns="AirSync:"/>', 'WBXML_ERR_XML_SYNTAX'],
    ['text only', 'hello', 'WBXML_ERR_XML_SYNTAX'],
    ['no namespace', '<Sync/>', 'WBXML_ERR_UNKNOWN_NAMESPACE'],
    ['undeclared prefix', '<x:Sync xmlns="AirSync:"/>', 'WBXML_ERR_UNKNOWN_NAMESPACE'],
    ['unknown namespace', '<Sync xmlns="POOMMAIL:"/>', 'WBXML_ERR_UNKNOWN_NAMESPACE'],
    ['unknown tag', '<Synk xmlns="AirSync:"/>', 'WBXML_ERR_UNKNOWN_TAG'],
    ['an attribute', '<Sync xmlns="AirSync:" foo="1"/>', 'WBXML_ERR_ATTRIBUTES_UNSUPPORTED'],
    ['bad base64', '<Data xmlns="AirSyncBase:" opaque="base64">!!!</Data>', 'WBXML_ERR_XML_SYNTAX'],
    [
      'children in opaque',
      '<Body xmlns="AirSyncBase:" opaque="base64"><Type/></Body>',
      'WBXML_ERR_XML_SYNTAX',
    ],
  ] as const)('%s → %s', (_n, x, code) => {
    expectWbxmlError(() => fromXml(x), code);
  });
});

describe('fromXml on hostile XML (issue 15): typed errors, never a parser crash', () => {
  const nest = (n: number) =>
    `<Sync xmlns="AirSync:">${'<Collections>'.repeat(n - 1)}${'</Collections>'.repeat(n - 1)}</Sync>`;

  it('nesting: the encoder cap (256) passes, 257 fails at the 257th start tag, 100 000 fails the same way', () => {
    expect(() => fromXml(nest(256))).not.toThrow();
    const at = '<Sync xmlns="AirSync:">'.length + 255 * '<Collections>'.length;
    const e = expectWbxmlError(() => fromXml(nest(257)), 'WBXML_ERR_DEPTH_EXCEEDED', at);
    // The path of a nesting error is abbreviated, not 257 names long.
    expect(e.path).toBe('Sync/Collections/Collections/…(250 more)…/Collections/Collections/Collections');
    expectWbxmlError(() => fromXml(nest(100_000)), 'WBXML_ERR_DEPTH_EXCEEDED', at);
    expectWbxmlError(() => fromXml(nest(4), { maxDepth: 3 }), 'WBXML_ERR_DEPTH_EXCEEDED');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'a tag named %s is an unknown tag',
    (name) => {
      expectWbxmlError(() => fromXml(`<${name} xmlns="AirSync:"/>`), 'WBXML_ERR_UNKNOWN_TAG', 0);
      expectWbxmlError(
        () => fromXml(`<Sync xmlns="AirSync:"><${name}>x</${name}></Sync>`),
        'WBXML_ERR_UNKNOWN_TAG',
        23,
      );
      expectWbxmlError(() => fromXml(`<${name}:Sync xmlns="AirSync:"/>`), 'WBXML_ERR_UNKNOWN_NAMESPACE', 0);
    },
  );

  it('a prefix named __proto__ is just a prefix', () => {
    expect(fromXml('<__proto__:Sync xmlns:__proto__="AirSync:"/>')).toEqual(el('AirSync', 'Sync'));
  });

  it.each([
    ['raw U+0001', 'a\u0001b', 25],
    ['raw U+001F', '\u001f', 24],
    ['raw U+FFFE', 'a\ufffe', 25],
    ['raw U+FFFF', '\uffff', 24],
    ['a lone high surrogate', 'a\ud800b', 25],
    ['a lone low surrogate', '\udc00', 24],
    ['&#xFFFE;', 'a&#xFFFE;b', 25],
    ['&#65535;', '&#65535;', 24],
    ['&#x0;', '&#x0;', 24],
    ['&#xD800;', '&#xD800;', 24],
    ['&#x110000;', '&#x110000;', 24],
    ['&#x;', '&#x;', 24],
    ['&#12a;', '&#12a;', 24],
  ])('%s is not an XML 1.0 character', (_n, text, offset) => {
    expectWbxmlError(
      () => fromXml(`<Subject xmlns="Email:">${text}</Subject>`),
      'WBXML_ERR_XML_SYNTAX',
      offset,
    );
  });

  it('C0 controls as references round-trip (toXml writes them, as XML 1.1 allows), TAB/LF/CR raw pass', () => {
    const t = el('Email', 'Subject', 'a\u0001b\u001fc\rd\te\nf');
    expect(toXml(t, { declaration: false })).toBe(
      '<Subject xmlns="Email:">a&#x1;b&#x1f;c&#xd;d\te\nf</Subject>',
    );
    expect(fromXml(toXml(t))).toEqual(t);
  });

  it('references resolve once: &amp;lt; stays &lt;, &#38;amp; stays &amp;, in text and attributes', () => {
    expect(
      fromXml('<Subject xmlns="Email:">&amp;lt; &#38;amp; &lt;&gt;&quot;&apos;&#x20AC;&#128512;</Subject>'),
    ).toEqual(el('Email', 'Subject', '&lt; &amp; <>"\'€😀'));
    expect(fromXml('<Sync xmlns="Air&#83;ync&#x3a;"/>')).toEqual(el('AirSync', 'Sync'));
  });

  it('long runs between references keep their characters (Latin-1 and wide)', () => {
    const run = 'Grüße aus Köln, das Budget ist klein'.repeat(3);
    const wide = '€ und 😀 '.repeat(10);
    const x = `<Subject xmlns="Email:">${run}&amp;${wide}&lt;${run}</Subject>`;
    expect(fromXml(x)).toEqual(el('Email', 'Subject', `${run}&${wide}<${run}`));
  });

  it('2 000 000 &amp; decode to 2 000 000 ampersands and back', () => {
    const x = `<Data xmlns="AirSyncBase:">${'&amp;'.repeat(2_000_000)}</Data>`;
    const t = fromXml(x);
    const text = t.children[0] as string;
    expect(text.length).toBe(2_000_000);
    expect(/^&+$/.test(text)).toBe(true);
    expect(toXml(t, { declaration: false })).toBe(x);
  });

  it.each([
    ['a bare &', '<Subject xmlns="Email:">a & b</Subject>', 26],
    ['& without ;', '<Subject xmlns="Email:">a &amp b</Subject>', 26],
    ['an unknown entity', '<Subject xmlns="Email:">&nbsp;</Subject>', 24],
    ['mismatched end tag', '<Sync xmlns="AirSync:"><Status></Sync>', 31],
    ['an unclosed element', '<Sync xmlns="AirSync:"><Status>1</Status>', 41],
    ['a duplicate attribute', '<Sync xmlns="AirSync:" xmlns="AirSync:"/>', 22],
    ['an unquoted attribute', '<Sync xmlns=AirSync:/>', 12],
    ['"<" in an attribute', '<Sync xmlns="Air<Sync:"/>', 12],
    [']]> in text', '<Subject xmlns="Email:">a]]>b</Subject>', 25],
    ['an unterminated CDATA', '<Subject xmlns="Email:"><![CDATA[x</Subject>', 24],
    ['an unterminated comment', '<Subject xmlns="Email:"><!-- x</Subject>', 24],
    ['a DOCTYPE inside the root', '<Sync xmlns="AirSync:"><!DOCTYPE x></Sync>', 23],
    ['text after the root', '<Sync xmlns="AirSync:"/>x', 24],
    ['a name starting with a digit', '<1Sync xmlns="AirSync:"/>', 1],
  ])('%s → WBXML_ERR_XML_SYNTAX at its offset', (_n, x, offset) => {
    expectWbxmlError(() => fromXml(x), 'WBXML_ERR_XML_SYNTAX', offset);
  });

  it('accepts a BOM, the declaration, comments and PIs around and inside the root', () => {
    const x =
      '\ufeff<?xml version="1.0" encoding="utf-8"?>\n<!-- c --><?pi x?>\n<Sync xmlns="AirSync:"><!-- a -->' +
      "<Status>1<!-- b -->2<?pi?>3</Status>\n  <SyncKey xmlns = 'AirSync:' >k</SyncKey ></Sync>\n<!-- end -->\n";
    expect(fromXml(x)).toEqual(
      el('AirSync', 'Sync', el('AirSync', 'Status', '123'), el('AirSync', 'SyncKey', 'k')),
    );
  });
});
