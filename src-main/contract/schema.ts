/**
 * A small runtime schema language for the contract: each schema checks an unknown value (what
 * arrives over IPC or a WebSocket) and TypeScript infers the checked type from it, so the types the
 * renderer codes against and the checks the gate runs cannot drift apart. Pure TypeScript, shared
 * with the renderer: no Node or Electron imports.
 */

/** A check of an unknown value: returns the problem in words, or null when the value fits. */
export interface Schema<T> {
  readonly check: (value: unknown, path: string) => string | null;
  /** Phantom field carrying the checked type; never set at runtime. */
  readonly _type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

export function str(opts: { min?: number; max?: number } = {}): Schema<string> {
  const max = opts.max ?? 10_000;
  return {
    check: (v, path) => {
      if (typeof v !== 'string') return `${path} must be text, got ${describe(v)}`;
      if (v.length < (opts.min ?? 0)) return `${path} must not be empty`;
      if (v.length > max) return `${path} is longer than ${max} characters`;
      return null;
    },
  };
}

export function num(opts: { min?: number; max?: number; int?: boolean } = {}): Schema<number> {
  return {
    check: (v, path) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${path} must be a number, got ${describe(v)}`;
      if (opts.int && !Number.isSafeInteger(v)) return `${path} must be a whole number, got ${v}`;
      if (opts.min !== undefined && v < opts.min) return `${path} must be at least ${opts.min}, got ${v}`;
      if (opts.max !== undefined && v > opts.max) return `${path} must be at most ${opts.max}, got ${v}`;
      return null;
    },
  };
}

export function bool(): Schema<boolean> {
  return { check: (v, path) => (typeof v === 'boolean' ? null : `${path} must be true or false, got ${describe(v)}`) };
}

export function oneOf<const T extends readonly string[]>(choices: T): Schema<T[number]> {
  return {
    check: (v, path) => (typeof v === 'string' && choices.includes(v) ? null : `${path} must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`),
  };
}

export function arr<T>(item: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 10_000;
  return {
    check: (v, path) => {
      if (!Array.isArray(v)) return `${path} must be a list, got ${describe(v)}`;
      if (v.length > max) return `${path} has more than ${max} items`;
      for (let i = 0; i < v.length; i++) {
        const problem = item.check(v[i], `${path}[${i}]`);
        if (problem !== null) return problem;
      }
      return null;
    },
  };
}

/** Marks an object field as optional (absent or undefined). */
export interface Optional<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export function opt<T>(s: Schema<T>): Optional<T> {
  return { optional: true, check: (v, path) => (v === undefined ? null : s.check(v, path)) };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> };

/** A plain object with exactly these fields: unknown fields are refused, not ignored. */
export function obj<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  return {
    check: (v, path) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path} must be an object, got ${describe(v)}`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return `${path} must be a plain object`;
      for (const key of Object.keys(v)) {
        if (!Object.prototype.hasOwnProperty.call(shape, key)) return `${path} has an unknown field "${key}"`;
      }
      for (const [key, s] of Object.entries(shape)) {
        const problem = s.check((v as Record<string, unknown>)[key], `${path}.${key}`);
        if (problem !== null) return problem;
      }
      return null;
    },
  };
}

/** Throws a ContractError naming the first problem; returns the value typed. */
export function parse<T>(s: Schema<T>, value: unknown, path: string): T {
  const problem = s.check(value, path);
  if (problem !== null) throw new ContractError(problem);
  return value as T;
}

export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}
