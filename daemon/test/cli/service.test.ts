/**
 * `tidings service install` (issue 16, "Service"): the systemd user unit, the hardened system
 * unit, launchd, the checks before anything is written, and the units' text as systemd reads it
 * (systemd-analyze verify, where installed).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import {
  NO_RESTART_EXIT_CODES,
  packageRoot,
  SYSTEM_PATHS,
  SYSUSERS_CONF,
  serviceFiles,
  servicePlan,
  systemPathProblem,
  userBusProblem,
} from '../../src/cli/service';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'tidings-service-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const template = (name: string) => readFileSync(join(ROOT, 'build', name), 'utf8');
const vars = {
  node: '/usr/bin/node',
  tidings: '/opt/tidings/bin/tidings.js',
  home: '/home/alice',
  uid: 1000,
  env: {},
};

/** `Key=value` lines of a unit's section, in order. */
function directives(unit: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const line of unit.split('\n')) {
    const s = /^\[(.+)\]$/.exec(line.trim());
    if (s) current = s[1]!;
    else if (current === section && /^[A-Za-z]+=/.test(line)) {
      const i = line.indexOf('=');
      out.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return out;
}
const value = (unit: string, section: string, key: string) =>
  directives(unit, section)
    .filter(([k]) => k === key)
    .map(([, v]) => v);

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(String(t)),
    stderr: (t) => err.push(t),
    env,
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('where the templates are found', () => {
  it('from the sources: the repository root', () => {
    expect(packageRoot()).toBe(ROOT);
    expect(serviceFiles('systemd-system').template).toBe(join(ROOT, 'build', 'tidings-system.service'));
  });

  it("from the bundle's chunk directory of an installed package: that package's root", () => {
    const pkg = join(tmp, 'lib', 'node_modules', 'tidings');
    mkdirSync(join(pkg, 'dist', 'chunks'), { recursive: true });
    mkdirSync(join(pkg, 'bin'));
    mkdirSync(join(pkg, 'build'));
    writeFileSync(join(pkg, 'bin', 'tidings.js'), '');
    writeFileSync(join(pkg, 'build', 'tidings.service'), '');
    expect(packageRoot(join(pkg, 'dist', 'chunks'))).toBe(pkg);
    expect(packageRoot(join(pkg, 'dist'))).toBe(pkg);
    expect(serviceFiles('systemd-user', pkg).tidings).toBe(join(pkg, 'bin', 'tidings.js'));
  });

  it('fails naming the directory when there is no package above it', () => {
    expect(() => packageRoot(tmp)).toThrow(`above ${tmp}`);
  });
});

describe('the systemd user unit', () => {
  const plan = servicePlan('systemd-user', template('tidings.service'), { ...vars, user: 'alice' });

  it('goes to the user unit directory and is enabled with systemctl --user', () => {
    expect(plan.path).toBe('/home/alice/.config/systemd/user/tidings.service');
    expect(plan.commands).toEqual([
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'tidings.service'],
    ]);
    expect(value(plan.content, 'Service', 'ExecStart')).toEqual([
      '/usr/bin/node --max-semi-space-size=4 /opt/tidings/bin/tidings.js daemon --no-demo',
    ]);
  });

  it('does not restart a config error (exit 4) or a bad command line (exit 2)', () => {
    expect(NO_RESTART_EXIT_CODES).toEqual([EXIT.USAGE, EXIT.CONFIG]);
    expect(value(plan.content, 'Service', 'RestartPreventExitStatus')).toEqual(['2 4']);
    expect(value(plan.content, 'Service', 'Restart')).toEqual(['on-failure']);
  });

  it('has no network-online.target, which a user manager does not have', () => {
    expect(
      directives(plan.content, 'Unit')
        .map(([, v]) => v)
        .join(' '),
    ).not.toContain('network-online');
  });

  it('says nothing of enable-linger to a user who already lingers', () => {
    const lingering = servicePlan('systemd-user', template('tidings.service'), {
      ...vars,
      user: 'alice',
      lingering: true,
    });
    expect(lingering.notes.join('\n')).not.toContain('enable-linger');
    expect(lingering.notes.join('\n')).toContain('lingering is on');
  });

  it('tells about lingering, with the user name, and the system unit for servers', () => {
    expect(plan.notes.join('\n')).toContain('loginctl enable-linger alice');
    expect(plan.notes.join('\n')).toContain('tidings service install --system');
    expect(plan.notes.join('\n')).toContain('-p warning');
  });
});

describe('the systemd system unit', () => {
  const plan = servicePlan('systemd-system', template('tidings-system.service'), vars);

  it('runs as the dedicated user with its config, state and socket in systemd-managed directories', () => {
    expect(plan.path).toBe('/etc/systemd/system/tidings.service');
    expect(value(plan.content, 'Service', 'User')).toEqual(['tidings']);
    expect(value(plan.content, 'Service', 'ConfigurationDirectory')).toEqual(['tidings']);
    expect(value(plan.content, 'Service', 'StateDirectory')).toEqual(['tidings']);
    expect(value(plan.content, 'Service', 'RuntimeDirectory')).toEqual(['tidings']);
    const exec = value(plan.content, 'Service', 'ExecStart')[0]!;
    expect(exec).toContain('/opt/tidings/bin/tidings.js daemon --no-demo');
    expect(exec).toContain(`--config ${SYSTEM_PATHS.config}`);
    expect(exec).toContain(`--state-dir ${SYSTEM_PATHS.state}`);
    expect(exec).toContain(`--socket ${SYSTEM_PATHS.socket}`);
    expect(value(plan.content, 'Service', 'RestartPreventExitStatus')).toEqual(['2 4']);
    expect(value(plan.content, 'Unit', 'After')).toEqual(['network-online.target']);
    expect(value(plan.content, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });

  it('is hardened', () => {
    const s = Object.fromEntries(directives(plan.content, 'Service'));
    expect(s).toMatchObject({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
      CapabilityBoundingSet: '',
      RestrictNamespaces: 'yes',
      RestrictSUIDSGID: 'yes',
      SystemCallArchitectures: 'native',
      UMask: '0077',
    });
    // V8's JIT writes code it then executes.
    expect(s.MemoryDenyWriteExecute).toBeUndefined();
  });

  it('refuses node or tidings under a home directory, which ProtectHome hides from it', () => {
    expect(
      systemPathProblem({
        node: '/usr/bin/node',
        tidings: '/usr/local/lib/node_modules/tidings/bin/tidings.js',
      }),
    ).toBeUndefined();
    const why = systemPathProblem({
      node: '/root/.nvm/versions/node/v20.19.0/bin/node',
      tidings: '/usr/lib/t.js',
    });
    expect(why).toContain('/root/.nvm/versions/node/v20.19.0/bin/node');
    expect(why).toContain('ProtectHome=yes');
    expect(why).toContain('--prefix /usr/local');
    expect(
      systemPathProblem({
        node: '/usr/bin/node',
        tidings: '/home/ann/.npm-global/lib/node_modules/tidings/bin/tidings.js',
      }),
    ).toContain('/home/ann/');
    expect(systemPathProblem({ node: '/homes/x/node', tidings: '/opt/t.js' })).toBeUndefined();
  });

  it('creates the user with systemd-sysusers, and starts the unit only once a config exists', () => {
    expect(plan.files).toEqual([
      {
        path: '/etc/sysusers.d/tidings.conf',
        content: expect.stringMatching(/^u tidings - ".+" \/var\/lib\/tidings -$/m),
        mode: 0o644,
      },
    ]);
    expect(plan.commands).toEqual([
      ['systemd-sysusers', '/etc/sysusers.d/tidings.conf'],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', 'tidings.service'],
    ]);
    expect(plan.notes.join('\n')).toContain(`write the config to ${SYSTEM_PATHS.config}`);
    const withConfig = servicePlan('systemd-system', template('tidings-system.service'), {
      ...vars,
      configExists: true,
    });
    expect(withConfig.commands.at(-1)).toEqual(['systemctl', 'enable', '--now', 'tidings.service']);
    expect(withConfig.notes.join('\n')).toContain(
      `sudo -u tidings tidings status --socket ${SYSTEM_PATHS.socket}`,
    );
  });
});

describe('the sysusers.d entry', () => {
  const sysusers = spawnSync('systemd-sysusers', ['--version'], { encoding: 'utf8' });
  const missing = sysusers.error !== undefined || sysusers.status !== 0;
  if (missing && process.env.CI !== 'true')
    console.log('skipping the systemd-sysusers run: not installed (scripts/setup.sh installs systemd)');

  it.skipIf(missing && process.env.CI !== 'true')(
    'creates a no-login system user tidings (in a scratch root)',
    () => {
      if (missing) throw new Error('CI=true and systemd-sysusers is missing: run scripts/setup.sh');
      const root = mkdtempSync(join(tmp, 'sysroot-'));
      mkdirSync(join(root, 'etc'));
      const conf = join(root, 'tidings.conf');
      writeFileSync(conf, SYSUSERS_CONF);
      const r = spawnSync('systemd-sysusers', [`--root=${root}`, conf], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
      const line = passwd.split('\n').find((l) => l.startsWith('tidings:'));
      expect(line).toBeDefined();
      const [, , uid, , , home, shell] = line!.split(':');
      // A system account (below the login range), its home the state directory, no login shell.
      expect(Number(uid)).toBeLessThan(1000);
      expect(home).toBe(SYSTEM_PATHS.state);
      expect(shell).toMatch(/nologin$/);
    },
  );
});

describe('launchd', () => {
  it('creates the log directory launchd will not create', () => {
    const plan = servicePlan('launchd', template('com.tidings.daemon.plist'), {
      ...vars,
      home: '/Users/a',
      uid: 501,
    });
    expect(plan.dirs).toEqual(['/Users/a/Library/Logs/Tidings']);
    expect(plan.content).toContain('<string>/Users/a/Library/Logs/Tidings/daemon.log</string>');
    expect(plan.mayFail).toEqual([0]);
    expect(plan.commands[0]).toEqual(['launchctl', 'bootout', 'gui/501/com.tidings.daemon']);
  });
});

describe('the user manager must be reachable (root over SSH: "Failed to connect to bus")', () => {
  it('as root without a session: points at --system', () => {
    const why = userBusProblem({}, 0, () => false);
    expect(why).toContain('Failed to connect to bus');
    expect(why).toContain('tidings service install --system');
  });

  it('as a user whose runtime directory has no bus: names it and lingering', () => {
    const why = userBusProblem({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, () => false);
    expect(why).toContain('no /run/user/1000/bus');
    expect(why).toContain('enable-linger');
  });

  it('is satisfied by the bus socket or a session bus address', () => {
    expect(
      userBusProblem({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, (p) => p === '/run/user/1000/bus'),
    ).toBeUndefined();
    expect(userBusProblem({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 0, () => false)).toBeUndefined();
  });

  it('service install refuses before writing the unit', async () => {
    const home = mkdtempSync(join(tmp, 'home-'));
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), PATH: process.env.PATH };
    const r = await cli(['service', 'install'], env);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.stderr).toContain('Failed to connect to bus');
    expect(r.stderr).toContain('CLI_ERR_FAILED');
    expect(existsSync(join(home, 'cfg', 'systemd', 'user', 'tidings.service'))).toBe(false);
  });

  it('--dry-run --system prints the system unit, the sysusers entry and the notes', async () => {
    const r = await cli(['service', 'install', '--system', '--dry-run', '--json'], { HOME: tmp });
    expect(r.code).toBe(EXIT.OK);
    const plan = JSON.parse(r.stdout);
    expect(plan.kind).toBe('systemd-system');
    expect(plan.path).toBe('/etc/systemd/system/tidings.service');
    expect(plan.content).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=4 ${join(ROOT, 'bin', 'tidings.js')} daemon`,
    );
    expect(plan.files[0].path).toBe('/etc/sysusers.d/tidings.conf');
    expect(plan.notes.length).toBeGreaterThan(0);
  });
});

/**
 * systemd's own parser over the rendered units: unknown keys, bad values, a missing ExecStart
 * binary. It needs a real binary and script path, so the units point at this node and launcher.
 */
describe('systemd-analyze verify', () => {
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const missing = analyze.error !== undefined || analyze.status !== 0;
  if (missing && process.env.CI !== 'true')
    console.log(
      'skipping systemd-analyze verify: systemd-analyze is not installed (scripts/setup.sh installs systemd)',
    );

  const skip = missing && process.env.CI !== 'true';

  /** What systemd-analyze says about this unit (lines about other units on this machine are not ours). */
  function verify(content: string, user: boolean): string[] {
    if (missing) throw new Error('CI=true and systemd-analyze is missing: run scripts/setup.sh');
    const dir = mkdtempSync(join(tmp, 'verify-'));
    const unit = join(dir, 'tidings.service');
    writeFileSync(unit, content);
    chmodSync(unit, 0o644);
    // A user manager's paths come from XDG_RUNTIME_DIR; without it the tool gives up early.
    const runtime = join(dir, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    const r = spawnSync('systemd-analyze', ['verify', ...(user ? ['--user'] : []), unit], {
      encoding: 'utf8',
      env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_LEVEL: 'warning' },
      timeout: 60_000,
    });
    if (r.error) throw r.error;
    return `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('tidings.service'));
  }

  const rendered = (kind: 'systemd-user' | 'systemd-system', file: string) =>
    servicePlan(kind, template(file), {
      ...vars,
      node: process.execPath,
      tidings: join(ROOT, 'bin', 'tidings.js'),
      home: tmp,
    }).content;

  it.skipIf(skip)('the user unit passes', () => {
    expect(verify(rendered('systemd-user', 'tidings.service'), true)).toEqual([]);
  });

  it.skipIf(skip)('the system unit passes', () => {
    expect(verify(rendered('systemd-system', 'tidings-system.service'), false)).toEqual([]);
  });

  it.skipIf(skip)('a mistyped directive does not (the check can fail)', () => {
    const broken = rendered('systemd-system', 'tidings-system.service').replace(
      'ProtectHome=yes',
      'ProtectHome=bogus\nProtectHomme=yes',
    );
    const said = verify(broken, false).join('\n');
    expect(said).toContain('ProtectHomme');
    expect(said).toContain('bogus');
  });
});
