import type { NotificationsConfig, RuleConfig } from '../config/rules';
import type { ChangeSignal, Collection, ItemSummary } from '../signal';

/** Why the rules stopped a signal (published on `tidings:hub:drop`). */
export type RuleDropReason = 'collection-disabled' | 'muted' | 'senders';

/** What the rules decided for one signal. */
export type RuleDecision =
  | {
      keep: true;
      /** The signal, with items from unwanted senders removed. */
      signal: ChangeSignal;
      /** Only these sinks (by name) get it; undefined: every sink. IPC subscribers always do. */
      sinks: ReadonlySet<string> | undefined;
      /** Name (or index) of the rule that matched. */
      rule?: string;
    }
  | { keep: false; reason: RuleDropReason; rule?: string };

/** `*` and `?` globs, case-insensitive, anchored; every other character literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** The address part of `Name <addr>`, or the whole string when there are no brackets. */
export function senderAddress(from: string): string {
  const m = /<([^>]*)>\s*$/.exec(from);
  return (m ? (m[1] as string) : from).trim();
}

interface CompiledRule {
  label: string;
  account?: RegExp;
  folder?: RegExp;
  collections?: ReadonlySet<Collection>;
  mute: boolean;
  senders?: RegExp[];
  sinks?: ReadonlySet<string>;
}

function compile(r: RuleConfig, i: number): CompiledRule {
  const c: CompiledRule = { label: r.name ?? `rules[${i}]`, mute: r.mute };
  if (r.account) c.account = globToRegExp(r.account);
  if (r.folder) c.folder = globToRegExp(r.folder);
  if (r.collection) c.collections = new Set(Array.isArray(r.collection) ? r.collection : [r.collection]);
  if (r.senders) c.senders = r.senders.map(globToRegExp);
  if (r.sinks) c.sinks = new Set(r.sinks);
  return c;
}

function matches(r: CompiledRule, s: ChangeSignal): boolean {
  if (r.account && !r.account.test(s.accountId)) return false;
  if (r.folder && !r.folder.test(s.folder.name) && !r.folder.test(s.folder.id)) return false;
  if (r.collections && !r.collections.has(s.collection)) return false;
  return true;
}

/** An item passes when its sender (address or whole `from`) matches a pattern; no sender, no pass. */
function fromWanted(item: ItemSummary, senders: RegExp[]): boolean {
  if (!item.from) return false;
  const addr = senderAddress(item.from);
  return senders.some((re) => re.test(addr) || re.test(item.from as string));
}

/**
 * Compiles the rules part of the config into a pure decision function: the per-collection
 * switch first, then the first rule that matches decides (like mail filters, so a person can
 * read the list top-down). A signal no rule matches goes everywhere.
 */
export function compileRules(
  config: Pick<NotificationsConfig, 'collections' | 'rules'>,
): (signal: ChangeSignal) => RuleDecision {
  const rules = config.rules.map(compile);
  return (signal) => {
    if (config.collections[signal.collection] === false)
      return { keep: false, reason: 'collection-disabled' };
    const rule = rules.find((r) => matches(r, signal));
    if (!rule) return { keep: true, signal, sinks: undefined };
    if (rule.mute) return { keep: false, reason: 'muted', rule: rule.label };
    let out = signal;
    if (rule.senders) {
      const senders = rule.senders;
      out = {
        ...signal,
        added: signal.added.filter((i) => fromWanted(i, senders)),
        changed: signal.changed.filter((i) => fromWanted(i, senders)),
        removed: signal.removed.filter((i) => fromWanted(i, senders)),
      };
      if (out.added.length + out.changed.length + out.removed.length === 0) {
        return { keep: false, reason: 'senders', rule: rule.label };
      }
    }
    return { keep: true, signal: out, sinks: rule.sinks, rule: rule.label };
  };
}
