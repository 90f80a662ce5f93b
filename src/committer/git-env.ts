/**
 * The environment every `git` that Foresight runs gets: an explicit allow-list, never the
 * caller's whole environment. A user's shell (and every `npx`/`npm exec`, which sets EDITOR)
 * carries variables that change what git does or make simple-git refuse to run it at all
 * (`Use of "EDITOR" is not permitted…`): EDITOR, PAGER, GIT_SSH_COMMAND, GIT_DIR, GIT_WORK_TREE,
 * GIT_INDEX_FILE, GIT_CONFIG_*… None of them is inherited; what git needs is:
 *
 *   - PATH (to find git and its helpers), HOME (ssh's known hosts and keys), the locale and
 *     time zone, TMPDIR;
 *   - the proxy and CA variables of an enterprise network (curl reads them for http remotes);
 *   - GIT_TERMINAL_PROMPT=0: a service must fail, not wait on a terminal, when a remote asks
 *     for credentials it was not given;
 *   - no configuration but the repository's own and Foresight's: GIT_CONFIG_GLOBAL=/dev/null
 *     and GIT_CONFIG_NOSYSTEM=1 (the user's ~/.gitconfig and /etc/gitconfig are not read: a
 *     user's core.hooksPath would run their hooks on the bot's commits, with its credentials in
 *     the environment; commit.gpgsign would make every commit fail), and core.hooksPath=/dev/null,
 *     commit.gpgsign=false given as configuration in the environment (GIT_CONFIG_COUNT), which
 *     also overrides a repository's own;
 *   - what the caller adds itself (author identity, GIT_ASKPASS of git-credentials.ts).
 *
 * See git(1) "ENVIRONMENT VARIABLES" for what each GIT_* variable redirects.
 */
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
]);

/** The allow-listed part of `from` (default: this process's environment) plus `extra`. */
export function gitEnv(extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) {
    if (v !== undefined && (INHERITED.has(k) || k.startsWith('LC_'))) env[k] = v;
  }
  return { ...env, ...OWN_CONFIG, GIT_TERMINAL_PROMPT: '0', ...extra };
}

/** Foresight's own git configuration (see above); none of it is taken from the caller. */
const OWN_CONFIG: Record<string, string> = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_COUNT: '2',
  GIT_CONFIG_KEY_0: 'core.hooksPath',
  GIT_CONFIG_VALUE_0: '/dev/null',
  GIT_CONFIG_KEY_1: 'commit.gpgsign',
  GIT_CONFIG_VALUE_1: 'false',
};

/**
 * What simple-git must be told to allow, because gitEnv sets it (simple-git refuses these
 * variables by default, as they could come from an attacker's environment; ours are constants).
 */
export const GIT_ENV_UNSAFE = { allowUnsafeConfigPaths: true, allowUnsafeConfigEnvCount: true, allowUnsafeHooksPath: true } as const;
