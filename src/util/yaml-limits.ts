/**
 * What Foresight parses from a GitOps repository is bounded, so that one hostile or mistaken
 * file (a 50 MB manifest, an alias bomb) cannot stall a service: such a file is reported with
 * its name and line and skipped; the other files stay in use.
 *
 *   - size: files above MAX_YAML_BYTES are not read at all; the snapshot holds a placeholder
 *     that says how large the file was (`oversizedPlaceholder`), so the report can say so;
 *   - documents: at most MAX_YAML_DOCUMENTS per file (`---`-separated);
 *   - aliases: the `yaml` package's maxAliasCount (its guard against "billion laughs"
 *     expansion, https://eemeli.org/yaml/#tojs-options) at MAX_YAML_ALIASES.
 *
 * Real manifests are far below: a large Helm values file is tens of kilobytes.
 */
export const MAX_YAML_BYTES = 1024 * 1024;
export const MAX_YAML_DOCUMENTS = 1000;
export const MAX_YAML_ALIASES = 100;

const PLACEHOLDER = '\u0000foresight: file not read, bytes=';

/** What a snapshot holds instead of a file above the size limit (NUL: never the text of a YAML file). */
export function oversizedPlaceholder(bytes: number): string {
  return `${PLACEHOLDER}${bytes}`;
}

/** "file too large: N bytes > limit" when `text` is a placeholder or above the limit; else undefined. */
export function tooLarge(text: string): string | undefined {
  let bytes: number | undefined;
  if (text.startsWith(PLACEHOLDER)) bytes = Number(text.slice(PLACEHOLDER.length));
  else if (text.length > MAX_YAML_BYTES / 3 && Buffer.byteLength(text) > MAX_YAML_BYTES) bytes = Buffer.byteLength(text);
  return bytes === undefined ? undefined : `file too large: ${bytes} bytes > ${MAX_YAML_BYTES}`;
}

/** "N documents > limit" when a file holds more documents than parsed; else undefined. */
export function tooManyDocuments(count: number): string | undefined {
  return count > MAX_YAML_DOCUMENTS ? `too many YAML documents: ${count} > ${MAX_YAML_DOCUMENTS}` : undefined;
}
