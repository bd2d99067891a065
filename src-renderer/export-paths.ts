/**
 * Paths and names for the Export view, worked out in the renderer (it has no `path` module): a
 * suggested output folder, files inside a folder, and a model name Ollama accepts. Windows paths
 * (with backslashes) keep their separator. The suggestion sits beside the app's data folder, not
 * in it: the export refuses a folder inside the data folder.
 */

const separator = (path: string): string => (path.includes('\\') && !path.includes('/') ? '\\' : '/');

/** `dir` + `name` with dir's own separator, never doubled. */
export function joinPath(dir: string, name: string): string {
  const sep = separator(dir);
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

/** A run name as a file-system- and Ollama-friendly name: "Sample: HFT" → "sample-hft". */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return s === '' ? 'my-model' : s.slice(0, 60);
}

/** `<folder holding the data folder>/hft-exports/<run>-stage-<k>` (k 1-based). */
export function suggestedExportFolder(home: string, runName: string, stage: number): string {
  const sep = separator(home);
  const trimmed = home.endsWith(sep) && home.length > 1 ? home.slice(0, -1) : home;
  const cut = trimmed.lastIndexOf(sep);
  const parent = cut <= 0 ? (trimmed.startsWith(sep) ? sep : trimmed) : trimmed.slice(0, cut);
  return joinPath(joinPath(parent, 'hft-exports'), `${slug(runName)}-stage-${stage + 1}`);
}

/** A file's path inside `dir` (as the export lists them), or the path itself when outside. */
export function insideFolder(dir: string, file: string): string {
  const sep = separator(dir);
  const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}
