/**
 * Drives Debian's libwbxml2-utils (0.11.8) as an independent oracle, in its ACTIVESYNC dialect:
 * namespace URIs with a trailing colon, `Gal:` for page 16, libwbxml's own spellings for 64 tags
 * (shared/reference/libwbxml-coverage.md), base64 text for the tags it treats as binary.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isElement, tagInfo, type WbxmlElement } from '../../src/index';

/** Why libwbxml cannot be used here, or undefined when both tools run. */
export function libwbxmlMissing(): string | undefined {
  for (const tool of ['xml2wbxml', 'wbxml2xml']) {
    const r = spawnSync(tool, ['-h'], { encoding: 'utf8' });
    if (r.error)
      return `${tool} not runnable (${(r.error as NodeJS.ErrnoException).code}); apt-get install libwbxml2-utils`;
  }
  return undefined;
}

/** libwbxml's name for a tag (its decoder's name for Provision 0x10, which it knows under two names). */
export function libwbxmlName(ns: string, tag: string): string {
  const t = tagInfo(ns, tag);
  if (!t) throw new Error(`unknown tag ${ns}:${tag}`);
  if (t.libwbxmlName === null) throw new Error(`libwbxml 0.11.8 does not know ${ns}:${tag}`);
  return t.libwbxmlName ?? t.name;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');

/** xml2wbxml finds the language from this DOCTYPE, or from an AirSync:Sync root only. */
const DOCTYPE = '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">';

/** The tree as a libwbxml document: DOCTYPE, then xmlns on each element that changes namespace. */
export function toLibwbxmlXml(root: WbxmlElement): string {
  return DOCTYPE + elementXml(root);
}

function elementXml(el: WbxmlElement, parentNs?: string): string {
  const uri = el.ns === 'GAL' ? 'Gal:' : `${el.ns}:`;
  const name = libwbxmlName(el.ns, el.tag);
  const attr = el.ns === parentNs ? '' : ` xmlns="${uri}"`;
  if (el.children.length === 0) return `<${name}${attr}/>`;
  let inner = '';
  for (const c of el.children) {
    if (typeof c === 'string') inner += esc(c);
    else if (c instanceof Uint8Array) {
      if (!tagInfo(el.ns, el.tag)?.libwbxmlBinary)
        throw new Error(`libwbxml cannot write OPAQUE in ${el.tag}`);
      inner += Buffer.from(c).toString('base64');
    } else if (isElement(c)) inner += elementXml(c, el.ns);
    else inner += esc(c.value);
  }
  return `<${name}${attr}>${inner}</${name}>`;
}

/** Runs both tools in one scratch directory that is removed afterwards. */
export class Libwbxml {
  readonly #dir = mkdtempSync(join(tmpdir(), 'tidings-libwbxml-'));
  #n = 0;

  /** `xml2wbxml -a -n`: the EAS wire form (public id 1, no string table). */
  encode(xml: string): Uint8Array {
    const base = join(this.#dir, `e${this.#n++}`);
    writeFileSync(`${base}.xml`, xml);
    execFileSync('xml2wbxml', ['-a', '-n', '-o', `${base}.wbxml`, `${base}.xml`], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(`${base}.wbxml`));
  }

  /** Plain `xml2wbxml`: public id 0 with the FPI in a string table, text split into STR_T pieces. */
  encodeDefault(xml: string): Uint8Array {
    const base = join(this.#dir, `f${this.#n++}`);
    writeFileSync(`${base}.xml`, xml);
    execFileSync('xml2wbxml', ['-o', `${base}.wbxml`, `${base}.xml`], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(`${base}.wbxml`));
  }

  /** `wbxml2xml -l ACTIVESYNC -m 0`: compact XML. */
  decode(bytes: Uint8Array): string {
    const base = join(this.#dir, `d${this.#n++}`);
    writeFileSync(`${base}.wbxml`, bytes);
    execFileSync('wbxml2xml', ['-l', 'ACTIVESYNC', '-m', '0', '-o', `${base}.xml`, `${base}.wbxml`], {
      stdio: 'pipe',
    });
    return readFileSync(`${base}.xml`, 'utf8');
  }

  close(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
