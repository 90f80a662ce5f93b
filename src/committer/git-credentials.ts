/**
 * Credentials of a Git remote given as a URL with a password
 * (`https://bot:s3cret@git.example.com/gitops.git`) or with a token as its only user name
 * (`https://ghp_…@github.com/acme/gitops.git`, which GitHub accepts), kept out of every command
 * line: git is given the URL without the secret, and asks for it through GIT_ASKPASS (gitcredentials(7),
 * "Requesting credentials"), a small script that prints it from an environment variable of the
 * git process. The password is in no argv (`ps` shows argv to every user; the environment only
 * to the same user), in no `.git/config` (the clone records the URL without it) and in no log
 * (it is registered with the log scrubber).
 */
import { addSecret } from '../telemetry/log.js';
import { privateFile } from '../util/private-dir.js';

export interface GitRemoteAccess {
  /** the remote as git is given it: without a password */
  url: string;
  /** environment for git: GIT_ASKPASS and what it reads; empty when the remote has no password */
  env: Record<string, string>;
}

const ASKPASS = `#!/bin/sh
# Foresight's GIT_ASKPASS: git runs it with its prompt as the only argument.
case "$1" in
  Username*) printf '%s\\n' "$FORESIGHT_GIT_USERNAME" ;;
  *) printf '%s\\n' "$FORESIGHT_GIT_PASSWORD" ;;
esac
`;

/**
 * The askpass script (it holds no secret), in this process's private directory: mode 0700, written
 * again whenever it is not there as written (a cleaner of the temporary directory), removed when
 * the process exits (util/private-dir.ts).
 */
export function askpassScript(): string {
  return privateFile('askpass.sh', ASKPASS, 0o700);
}

/** Splits the password (or an https user name standing alone: a token) off a remote URL; a path or a URL without one is returned as it is. */
export function remoteAccess(remote: string): GitRemoteAccess {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return { url: remote, env: {} };
  let u: URL;
  try {
    u = new URL(remote);
  } catch {
    return { url: remote, env: {} };
  }
  // a lone user name on https is a token (GitHub's https://<token>@github.com/…): a secret too
  const tokenAsUser = u.password === '' && u.username !== '' && /^https?:$/.test(u.protocol);
  if (u.password === '' && !tokenAsUser) return { url: remote, env: {} };
  const password = tokenAsUser ? '' : decodeURIComponent(u.password);
  const username = decodeURIComponent(u.username);
  for (const secret of tokenAsUser ? [username, u.username] : [password, u.password]) addSecret(secret);
  u.password = '';
  if (tokenAsUser) u.username = '';
  return {
    url: u.toString(),
    env: { GIT_ASKPASS: askpassScript(), FORESIGHT_GIT_USERNAME: username, FORESIGHT_GIT_PASSWORD: password },
  };
}
