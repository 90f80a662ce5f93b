/**
 * The environment every `git` that Foresight runs gets: an explicit allow-list, never the
 * caller's whole environment. A user's shell (and every `npx`/`npm exec`, which sets EDITOR)
 * carries variables that change what git does or make simple-git refuse to run it at all
 * (`Use of "EDITOR" is not permitted…`): EDITOR, PAGER, GIT_SSH_COMMAND, GIT_DIR, GIT_WORK_TREE,
 * GIT_INDEX_FILE, GIT_CONFIG_*… None of them is inherited; what git needs is:
 *
 *   - PATH (to find git and its helpers), HOME (its ~/.gitconfig and credentials), the locale
 *     and time zone, TMPDIR;
 *   - the proxy and CA variables of an enterprise network (curl reads them for http remotes);
 *   - GIT_TERMINAL_PROMPT=0: a service must fail, not wait on a terminal, when a remote asks
 *     for credentials it was not given;
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
  return { ...env, GIT_TERMINAL_PROMPT: '0', ...extra };
}
