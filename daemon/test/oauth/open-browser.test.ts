import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserCommand, openSystemBrowser } from '../../src/oauth/open-browser';

const url = 'https://login.example.com/authorize?a=1&b=2;touch /tmp/x&c=$(id)';

describe('browserCommand', () => {
  it('passes the URL as one argv entry on every platform, never through a shell', () => {
    expect(browserCommand(url, 'linux')).toEqual(['xdg-open', [url]]);
    expect(browserCommand(url, 'darwin')).toEqual(['open', [url]]);
    expect(browserCommand(url, 'win32')).toEqual(['rundll32', ['url.dll,FileProtocolHandler', url]]);
  });
});

describe('openSystemBrowser', () => {
  it('refuses URLs that are not http(s)', async () => {
    await expect(openSystemBrowser('file:///etc/passwd')).rejects.toMatchObject({
      code: 'EAS_ERR_OAUTH_BROWSER',
    });
  });

  it('reports a missing opener as EAS_ERR_OAUTH_BROWSER', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'tidings-nopath-'));
    const path = process.env.PATH;
    process.env.PATH = empty;
    try {
      await expect(openSystemBrowser('https://login.example.com/')).rejects.toMatchObject({
        code: 'EAS_ERR_OAUTH_BROWSER',
        message: expect.stringMatching(/^cannot start (xdg-open|open|rundll32)/),
      });
    } finally {
      process.env.PATH = path;
      await rm(empty, { recursive: true, force: true });
    }
  });
});
