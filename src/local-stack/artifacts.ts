/**
 * The Java services' artifacts, resolved from Maven Central once and reused:
 * - Kafka: `mvn -f stack/pom.xml package` copies kafka_2.13 and its runtime dependencies plus
 *   the log4j2 binding into stack/target/kafka-libs.
 * - Apicurio Registry: the runnable `all` archive of io.apicurio:apicurio-registry-app,
 *   fetched with `mvn dependency:get` and unpacked into stack/target/apicurio-<version>.
 *   3.0.x is the newest line that runs on Java 17 (3.1+ is compiled for Java 21).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ForesightError } from '../util/errors.js';
import { STACK_POM, STACK_TARGET } from '../util/paths.js';

export const APICURIO_VERSION = '3.0.9';
export const KAFKA_LIBS = path.join(STACK_TARGET, 'kafka-libs');
export const APICURIO_DIR = path.join(STACK_TARGET, `apicurio-${APICURIO_VERSION}`);
export const APICURIO_JAR = path.join(APICURIO_DIR, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);

/**
 * Where Maven's local repository may be: FORESIGHT_MAVEN_REPO when set; else a
 * `<localRepository>` of the user's settings.xml, and `~/.m2/repository`, for the home Java
 * reads (the passwd entry's, which Maven uses for user.home whatever $HOME says) and for $HOME.
 */
export function mavenRepos(): string[] {
  if (process.env.FORESIGHT_MAVEN_REPO) return [process.env.FORESIGHT_MAVEN_REPO];
  const homes = [...new Set([os.userInfo().homedir, os.homedir()])];
  const out: string[] = [];
  for (const home of homes) {
    const settings = path.join(home, '.m2', 'settings.xml');
    // the element Maven reads, not one in a comment (Maven's template settings.xml carries a commented-out example)
    const xml = existsSync(settings) ? readFileSync(settings, 'utf8').replace(/<!--[\s\S]*?-->/g, '') : '';
    const local = /<localRepository>\s*([^<]+?)\s*<\/localRepository>/.exec(xml)?.[1];
    if (local) out.push(local.replace(/\$\{user\.home\}/g, os.userInfo().homedir));
    out.push(path.join(home, '.m2', 'repository'));
  }
  return [...new Set(out)];
}

function run(cmd: string, args: string[], what: string): void {
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`
      .split('\n')
      .filter((l) => l.includes('ERROR'))
      .slice(0, 5)
      .join('\n');
    throw new ForesightError('STACK_ARTIFACTS_MISSING', `${what} failed (${cmd} ${args.join(' ')}): ${res.error?.message ?? `exit ${res.status}`}\n${out}`);
  }
}

export function kafkaLibsPresent(): boolean {
  return existsSync(KAFKA_LIBS) && readdirSync(KAFKA_LIBS).some((f) => f.startsWith('kafka_2.13-'));
}

export function ensureKafkaLibs(progress: (msg: string) => void): void {
  if (kafkaLibsPresent()) return;
  progress('kafka: resolving Apache Kafka and its dependencies from Maven Central (once)...');
  run('mvn', ['-q', '-B', '-f', STACK_POM, 'package'], 'Resolving Kafka with Maven');
}

export function ensureApicurio(progress: (msg: string) => void): void {
  if (existsSync(APICURIO_JAR)) return;
  progress(`registry: fetching Apicurio Registry ${APICURIO_VERSION} from Maven Central (once)...`);
  const artifact = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
  run('mvn', ['-q', '-B', 'dependency:get', '-Dtransitive=false', `-Dartifact=${artifact}`], 'Fetching Apicurio Registry');
  const inRepo = (repo: string): string =>
    path.join(repo, 'io', 'apicurio', 'apicurio-registry-app', APICURIO_VERSION, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
  const repos = mavenRepos();
  const archive = repos.map(inRepo).find((a) => existsSync(a));
  if (!archive) {
    throw new ForesightError(
      'STACK_ARTIFACTS_MISSING',
      `Apicurio archive not found in ${repos.join(' or ')}; set FORESIGHT_MAVEN_REPO to your Maven local repository`,
    );
  }
  mkdirSync(APICURIO_DIR, { recursive: true });
  run('tar', ['xzf', archive, '-C', APICURIO_DIR], 'Unpacking Apicurio Registry');
}

/** Installs Debian's redis-server when missing and we are root; otherwise says how. */
export function ensureRedisServer(progress: (msg: string) => void): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  if (process.getuid?.() !== 0) {
    throw new ForesightError('STACK_ARTIFACTS_MISSING', 'redis-server is not installed: run `sudo apt-get install -y redis-server`');
  }
  progress("redis: installing Debian's redis-server (once)...");
  run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'], 'Installing redis-server');
  return 'redis-server';
}
