/**
 * Where the system unit keeps things (its ConfigurationDirectory=, StateDirectory=, RuntimeDirectory=).
 * Its own module: `tidings service install --help` names them, and the registry that holds every
 * command's help must not load the unit writer (service.ts) for it.
 */
export const SYSTEM_PATHS = {
  user: 'tidings',
  config: '/etc/tidings/config.json',
  state: '/var/lib/tidings',
  socket: '/run/tidings/tidings.sock',
  unit: '/etc/systemd/system/tidings.service',
  sysusers: '/etc/sysusers.d/tidings.conf',
} as const;
