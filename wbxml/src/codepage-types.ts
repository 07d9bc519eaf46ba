/** EAS protocol versions that introduced a tag (MS-ASWBXML "Protocol versions" column). */
export type ProtocolVersion = '2.5' | '12.0' | '12.1' | '14.0' | '14.1' | '16.0' | '16.1';

/** One tag of a code page, as generated from the reference table. */
export interface CodePageTagData {
  readonly token: number;
  readonly name: string;
  readonly introduced: ProtocolVersion;
  /** A 2.5-era token absent from Microsoft's current tables (see eas-codepages.md §C). */
  readonly legacy?: true;
  /** libwbxml 0.11.8's spelling where it differs; null when libwbxml does not know the token. */
  readonly libwbxmlName?: string | null;
  /** libwbxml treats the tag as binary and writes its content as OPAQUE. */
  readonly libwbxmlBinary?: true;
}

/** One code page: its number, its namespace name and its tags. */
export interface CodePageData {
  readonly page: number;
  readonly namespace: string;
  readonly tags: readonly CodePageTagData[];
}
