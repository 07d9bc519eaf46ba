import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, el, encode, fromXml, runWbxmlCli, type WbxmlCliIo } from '../src/index';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/wbxml');

function io(files: Record<string, Uint8Array | string> = {}, stdin: Uint8Array | string = '') {
  const out: (Uint8Array | string)[] = [];
  const err: string[] = [];
  const bytes = (x: Uint8Array | string) => (typeof x === 'string' ? new TextEncoder().encode(x) : x);
  const sink: WbxmlCliIo = {
    stdin: async () => bytes(stdin),
    stdout: (c) => out.push(c),
    stderr: (s) => err.push(s),
    readFile: async (p) => {
      const f = files[p];
      if (f === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
      return bytes(f);
    },
  };
  const text = () => out.map((c) => (typeof c === 'string' ? c : new TextDecoder().decode(c))).join('');
  const binary = () =>
    Buffer.concat(out.map((c) => (typeof c === 'string' ? Buffer.from(c) : Buffer.from(c))));
  return { sink, err, text, binary };
}

describe('runWbxmlCli', () => {
  it('decode FILE prints indented XML of the bundled sample', async () => {
    const wbxml = new Uint8Array(readFileSync(resolve(FIXTURES, 'foldersync-response.wbxml')));
    const t = io({ 'fs.wbxml': wbxml });
    expect(await runWbxmlCli(['decode', 'fs.wbxml'], t.sink)).toBe(0);
    expect(t.text()).toBe(readFileSync(resolve(FIXTURES, 'foldersync-response.xml'), 'utf8'));
    expect(t.err).toEqual([]);
  });

  it('decode - reads stdin; --compact prints one line; --header reports the header', async () => {
    const t = io({}, encode(el('Ping', 'Ping', el('Ping', 'Status', '1'))));
    expect(await runWbxmlCli(['decode', '--compact', '--header', '-'], t.sink)).toBe(0);
    expect(t.text()).toBe(
      '<?xml version="1.0" encoding="utf-8"?><Ping xmlns="Ping:"><Status>1</Status></Ping>\n',
    );
    expect(t.err.join('')).toContain('WBXML 1.3, public id 1, charset 106, string table 0 bytes');
  });

  it('encode reads XML and writes the WBXML bytes; decode of those gives the tree back', async () => {
    const xml = readFileSync(resolve(FIXTURES, 'calendar-sync.xml'), 'utf8');
    const t = io({ 'cal.xml': xml });
    expect(await runWbxmlCli(['encode', 'cal.xml'], t.sink)).toBe(0);
    expect(t.binary().equals(readFileSync(resolve(FIXTURES, 'calendar-sync.wbxml')))).toBe(true);
    expect(decode(new Uint8Array(t.binary()))).toEqual(fromXml(xml));
  });

  it('encode --libwbxml-names accepts wbxml2xml spellings', async () => {
    const t = io({}, '<Sync xmlns="AirSync:"><Attendee_Email xmlns="Calendar:">a@b</Attendee_Email></Sync>');
    expect(await runWbxmlCli(['encode', '--libwbxml-names'], t.sink)).toBe(0);
    expect(decode(new Uint8Array(t.binary()))).toEqual(el('AirSync', 'Sync', el('Calendar', 'Email', 'a@b')));
  });

  it('bad input exits 1 with the code and offset on stderr', async () => {
    const t = io({}, Uint8Array.from([0x03, 0x01, 0x6a, 0x00, 0x45, 0x7f]));
    expect(await runWbxmlCli(['decode'], t.sink)).toBe(1);
    expect(t.err.join('')).toMatch(/^wbxml decode: WBXML_ERR_UNKNOWN_TOKEN: token 0x3f .* at offset 5\n$/);
    const u = io({}, Uint8Array.from([0x3c, 0x53, 0xff, 0x2f, 0x3e]));
    expect(await runWbxmlCli(['encode'], u.sink)).toBe(1);
    expect(u.err.join('')).toContain('WBXML_ERR_XML_SYNTAX: XML input is not valid UTF-8');
    const x = io({}, '<!DOCTYPE x [<!ENTITY a "b">]><Sync xmlns="AirSync:"/>');
    expect(await runWbxmlCli(['encode', '-'], x.sink)).toBe(1);
    expect(x.err.join('')).toContain('WBXML_ERR_XML_HOSTILE');
  });

  it.each([
    [[], /^usage: wbxml/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['decode', '--pretty'], /unknown option --pretty/],
    [['encode', '--compact'], /unknown option --compact/],
    [['decode', 'a', 'b'], /at most one file, got 2/],
    [['decode', 'missing.wbxml'], /cannot read missing.wbxml: ENOENT/],
  ])('usage error %j exits 2', async (args, message) => {
    const t = io();
    expect(await runWbxmlCli(args, t.sink)).toBe(2);
    expect(t.err.join('')).toMatch(message);
    expect(t.text()).toBe('');
  });

  it('--help prints usage to stdout and exits 0', async () => {
    const t = io();
    expect(await runWbxmlCli(['decode', '--help'], t.sink)).toBe(0);
    expect(t.text()).toMatch(/^usage: wbxml <command>/);
  });
});

describe('wbxml/bin/wbxml.ts (standalone entry)', () => {
  it('decodes the bundled sample from a file and encodes XML from stdin', () => {
    const bin = resolve(import.meta.dirname, '../bin/wbxml.ts');
    const sample = resolve(FIXTURES, 'foldersync-response.wbxml');
    const dec = spawnSync(process.execPath, ['--import', 'tsx', bin, 'decode', sample], { encoding: 'utf8' });
    expect(dec.status, dec.stderr).toBe(0);
    expect(dec.stdout).toBe(readFileSync(resolve(FIXTURES, 'foldersync-response.xml'), 'utf8'));
    const enc = spawnSync(process.execPath, ['--import', 'tsx', bin, 'encode', '-'], { input: dec.stdout });
    expect(enc.status, String(enc.stderr)).toBe(0);
    expect(Buffer.compare(enc.stdout, readFileSync(sample))).toBe(0);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', bin, 'decode', '-'], {
      input: Buffer.from([3, 1]),
    });
    expect(bad.status).toBe(1);
    expect(String(bad.stderr)).toContain('WBXML_ERR_TRUNCATED');
  });
});
