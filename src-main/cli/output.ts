/**
 * How a command's result reaches the user: one JSON object on stdout with `--json`,
 * otherwise readable lines.
 */
export function emit(json: boolean, result: object, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human()}\n`);
}
