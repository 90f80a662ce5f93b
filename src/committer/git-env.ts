/**
 * The environment every `git` that Foresight runs gets: an explicit allow-list, never the
 * caller's whole environment. A user's shell (and every `npx`/`npm exec`, which sets EDITOR)
 * carries variables that change what git does or make simple-git refuse to run it at all
 * (`Use of "EDITOR" is not permitted…`): EDITOR, PAGER, GIT_SSH_COMMAND, GIT_DIR, GIT_WORK_TREE,
 * GIT_INDEX_FILE, GIT_CONFIG_*… None of them is inherited; what git needs is:
 *
 *   - PATH (to find git and its helpers), HOME (ssh's known hosts and keys), the locale and
 *     time zone, TMPDIR, and what credential helpers need (XDG_* directories, the session bus);
 *   - the proxy and CA variables of an enterprise network (curl reads them for http remotes);
 *   - GIT_TERMINAL_PROMPT=0: a service must fail, not wait on a terminal, when a remote asks
 *     for credentials it was not given;
 *   - no configuration but the repository's own and Foresight's: GIT_CONFIG_NOSYSTEM=1 and
 *     GIT_CONFIG_GLOBAL pointing away from the user's files (the user's ~/.gitconfig and
 *     /etc/gitconfig are not read: a user's core.hooksPath would run their hooks on the bot's
 *     commits, with its credentials in the environment; commit.gpgsign would make every commit
 *     fail), and core.hooksPath=/dev/null, commit.gpgsign=false given as configuration in the
 *     environment (GIT_CONFIG_COUNT, git's command-line scope, read last), which also overrides a
 *     repository's own;
 *   - of the user's own configuration (system and global files, as `git config` reads them),
 *     exactly two things, carried over in a file of their own that GIT_CONFIG_GLOBAL names (else
 *     /dev/null): `safe.directory` (without it git refuses a repository another uid owns, e.g. a
 *     mounted volume; git honours it from the global scope) and `credential.*`
 *     (`credential.helper`, `credential.<url>.helper`, `.username`…: without them an https remote
 *     that needs the user's helper cannot be pushed to). They keep the global scope they had, so
 *     a repository's own .git/config still outranks them (its `credential.helper`, or an empty
 *     `credential.helper =` that resets the list, decides as it does outside Foresight), and
 *     Foresight's two entries outrank everything. The file (carriedConfig) is written once
 *     per distinct content, mode 0600, in this process's private directory (util/private-dir.ts:
 *     mkdtemp, 0700, checked on every use, removed at exit); where none can be written (a read-only file system) the
 *     entries go as command-line configuration instead, above the repository's. The credentials are not carried when the caller gives its own (GIT_ASKPASS of a
 *     password in the remote URL): the user's helper would then answer in its place, and `store`
 *     it on success;
 *   - what the caller adds itself (author identity, GIT_ASKPASS of git-credentials.ts).
 *
 * See git(1) "ENVIRONMENT VARIABLES" for what each GIT_* variable redirects.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { privateFile } from '../util/private-dir.js';

const INHERITED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'SYSTEMROOT',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  // what the user's credential helpers need to find their store (git-credential-store's XDG path, libsecret's
  // session bus, Git Credential Manager's cache); git's own configuration is not read from XDG (GIT_CONFIG_GLOBAL)
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_RUNTIME_DIR',
  'DBUS_SESSION_BUS_ADDRESS',
]);

/** The allow-listed part of `from` (default: this process's environment), Foresight's configuration, the user's carried-over entries, and `extra`. */
export function gitEnv(extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) {
    if (v !== undefined && (INHERITED.has(k) || k.startsWith('LC_'))) env[k] = v;
  }
  const carried = carriedUserConfig(from).filter(([key]) => key === 'safe.directory' || extra.GIT_ASKPASS === undefined);
  const { global, count } = carriedConfig(carried);
  return { ...env, GIT_CONFIG_GLOBAL: global, GIT_CONFIG_NOSYSTEM: '1', ...configEnv(count), GIT_TERMINAL_PROMPT: '0', ...extra };
}

/** Foresight's own git configuration (see above); none of it is taken from the caller. */
const OWN_CONFIG: [string, string][] = [
  ['core.hooksPath', '/dev/null'],
  ['commit.gpgsign', 'false'],
];

/** Entries as git's GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n (git-config(1), "ENVIRONMENT"), in order: a multi-valued key keeps its order. */
function configEnv(entries: [string, string][]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** What of the user's configuration is carried over: `safe.directory` and `credential.*` (see above), nothing else. */
const CARRIED = '^(safe\\.directory|credential\\..+)$';
/** Where `git config` finds the user's own files: what decides them in `from`. */
const CONFIG_LOCATION = ['HOME', 'XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_NOSYSTEM'];
const carriedCache = new Map<string, [string, string][]>();

/**
 * The carried entries of the user's system and global configuration files (includes followed),
 * system first as git reads them; read once per process and location (git runs often).
 */
function carriedUserConfig(from: NodeJS.ProcessEnv): [string, string][] {
  const location: Record<string, string> = { PATH: from.PATH ?? '' };
  for (const k of CONFIG_LOCATION) if (from[k] !== undefined) location[k] = from[k];
  const cacheKey = JSON.stringify(location);
  let entries = carriedCache.get(cacheKey);
  if (!entries) {
    entries = (['--system', '--global'] as const).flatMap((scope) => readScope(scope, location));
    carriedCache.set(cacheKey, entries);
  }
  return entries;
}

function readScope(scope: '--system' | '--global', env: Record<string, string>): [string, string][] {
  if (scope === '--system' && env.GIT_CONFIG_NOSYSTEM !== undefined && !['', '0', 'false', 'no', 'off'].includes(env.GIT_CONFIG_NOSYSTEM.toLowerCase()))
    return [];
  let out: string;
  try {
    // -z: each entry is "key\nvalue\0", so a value may hold any character; cwd "/": no repository's own configuration
    out = execFileSync('git', ['config', scope, '--includes', '-z', '--get-regexp', CARRIED], {
      env,
      cwd: '/',
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { status?: number | null; code?: string; stderr?: string };
    if (err.status === 1 || err.code === 'ENOENT') return []; // 1: no such entry (or no such file); ENOENT: no git, which fails later on its own
    // HOME unset (a systemd unit, cron, env -i) or a broken file: git itself runs fine without them (its own
    // configuration is /dev/null), so nothing is carried and the reason is said once (the result is cached)
    process.emitWarning(
      `safe.directory and credential.* are not carried from the user's ${scope.slice(2)} git configuration: ${String(err.stderr ?? e).trim()}`,
      'ForesightGitConfig',
    );
    return [];
  }
  return out
    .split('\0')
    .filter((entry) => entry !== '')
    .map((entry): [string, string] => {
      const nl = entry.indexOf('\n');
      return nl < 0 ? [entry, 'true'] : [entry.slice(0, nl), entry.slice(nl + 1)]; // a key without "=" is a true boolean
    });
}

/** Warned once: the carried entries could not be written to a file (they went as command-line configuration). */
let warnedUnwritable = false;

/**
 * GIT_CONFIG_GLOBAL and GIT_CONFIG_COUNT for the carried entries: a git configuration file of
 * them, so the user's entries keep the global scope, below the repository's own (git-config(1),
 * "FILES": system, global, local, worktree, then the command line), with Foresight's entries in
 * the environment above everything; /dev/null when there are none. The file lives in this
 * process's private directory (util/private-dir.ts) and is written once per distinct content,
 * again whenever it is not there as written (a cleaner of the temporary directory). Where no file can be written (a
 * read-only root file system without a writable temporary directory), the entries go as
 * command-line configuration after Foresight's, as before: they then outrank the repository's
 * own, but nothing the user configured is lost; the reason is said once, and the next call tries
 * the file again.
 */
function carriedConfig(entries: [string, string][]): { global: string; count: [string, string][] } {
  if (entries.length === 0) return { global: '/dev/null', count: OWN_CONFIG };
  const content = configText(entries);
  try {
    return { global: privateFile(`global-${createHash('sha256').update(content).digest('hex').slice(0, 32)}.gitconfig`, content), count: OWN_CONFIG };
  } catch (e) {
    if (!warnedUnwritable) {
      warnedUnwritable = true;
      process.emitWarning(
        `safe.directory and credential.* from the user's git configuration are given as command-line configuration (they outrank the repository's own): no file for them can be written: ${String(e)}`,
        'ForesightGitConfig',
      );
    }
    return { global: '/dev/null', count: [...OWN_CONFIG, ...entries] };
  }
}

/**
 * Entries as a git configuration file (git-config(1), "CONFIGURATION FILE"): a section header
 * per entry, so that their order, which a multi-valued key like credential.helper depends on,
 * is kept exactly; every value quoted and escaped, so that it reads back as it was (leading
 * spaces, `#`, `;`, quotes and backslashes of a helper's shell command). A key is
 * section[.subsection].name: the subsection (a URL, dots included) is what lies between the
 * first and the last dot.
 */
function configText(entries: [string, string][]): string {
  const quote = (text: string): string => text.replace(/[\\"]/g, (c) => `\\${c}`);
  return entries
    .map(([key, value]) => {
      const first = key.indexOf('.');
      const last = key.lastIndexOf('.');
      const header = first === last ? `[${key.slice(0, first)}]` : `[${key.slice(0, first)} "${quote(key.slice(first + 1, last))}"]`;
      const escaped = quote(value).replaceAll('\n', '\\n').replaceAll('\t', '\\t').replaceAll('\b', '\\b'); // the escapes git reads in a quoted value
      return `${header}\n\t${key.slice(last + 1)} = "${escaped}"\n`;
    })
    .join('');
}

/**
 * What simple-git must be told to allow, because gitEnv sets it (simple-git refuses these
 * variables by default, as they could come from an attacker's environment; ours are constants,
 * and a credential helper comes from the user's own configuration files).
 */
export const GIT_ENV_UNSAFE = {
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeHooksPath: true,
  allowUnsafeCredentialHelper: true,
} as const;
