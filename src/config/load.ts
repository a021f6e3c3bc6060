import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PROJECT_ROOT } from '../core/paths.js';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = join(PROJECT_ROOT, 'config', 'default.yaml');

/** A configuration problem that must stop start-up, phrased for the operator. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else (arrays included) replaces, so a list can be emptied. */
export function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isTree(prev) && isTree(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** Scalars given as text (env vars, --set) are read as YAML so "1936" is a number and "true" a boolean. */
function parseScalar(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const part of path.slice(0, -1)) {
    if (!isTree(node[part])) node[part] = {};
    node = node[part] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * CLEARCAST_RTMP__PORT=1936 -> rtmp.port. Keys are matched case-insensitively against the schema's
 * own spelling so camelCase keys stay reachable from env vars (CLEARCAST_SERVER__HTTPPORT).
 */
export function envOverrides(env: NodeJS.ProcessEnv, defaults: Tree): Tree {
  const out: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('CLEARCAST_') || raw === undefined) continue;
    const parts = name.slice('CLEARCAST_'.length).split('__');
    // Only variables naming a config section are config: CLEARCAST_FFMPEG and friends are not.
    if (!Object.keys(defaults).some((k) => k.toLowerCase() === parts[0]!.toLowerCase())) continue;
    const path: string[] = [];
    let node: unknown = defaults;
    for (const part of parts) {
      const match = isTree(node) ? Object.keys(node).find((k) => k.toLowerCase() === part.toLowerCase()) : undefined;
      const key = match ?? part.toLowerCase();
      path.push(key);
      node = isTree(node) ? node[key] : undefined;
    }
    setPath(out, path, parseScalar(raw));
  }
  return out;
}

/** --set rtmp.port=1936 style assignments. */
export function setOverrides(assignments: readonly string[]): Tree {
  const out: Tree = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects path.to.key=value, got "${a}"`);
    setPath(out, a.slice(0, eq).split('.'), parseScalar(a.slice(eq + 1)));
  }
  return out;
}

function readYaml(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isTree(doc)) throw new ConfigError(`config file ${path} must hold a mapping of sections at the top level`);
  return doc;
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Highest precedence: what CLI flags set. */
  overrides?: Tree;
}

/** Defaults <- file <- env <- CLI, validated; errors name the key and what was expected. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const defaults = readYaml(DEFAULT_CONFIG_PATH);
  let merged = defaults;
  if (opts.file) merged = deepMerge(merged, readYaml(opts.file));
  merged = deepMerge(merged, envOverrides(opts.env ?? process.env, defaults));
  if (opts.overrides) merged = deepMerge(merged, opts.overrides);
  return validateConfig(merged);
}

/** The shipped defaults with overrides merged in, validated (tests and benchmarks build configs this way). */
export function defaultsWith(overrides: Tree): Config {
  return validateConfig(deepMerge(readYaml(DEFAULT_CONFIG_PATH), overrides));
}

export function validateConfig(tree: unknown): Config {
  const result = configSchema.safeParse(tree);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.length ? issue.path.join('.') : '(top level)';
    return `  ${key}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
