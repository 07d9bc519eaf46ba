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
