import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/**
 * Fonts and icon graphics come from Debian packages (see .ci/apt-packages.txt). What is missing
 * on a machine is skipped rather than fatal, so a fresh clone still synthesises with whatever
 * fonts exist; the chosen family is recorded in truth.json.
 */

const LATIN_FAMILIES = ['DejaVu Sans', 'DejaVu Serif', 'Liberation Sans', 'Liberation Serif', 'Liberation Mono', 'DejaVu Sans Mono'];
const CJK_FAMILIES = ['Noto Sans CJK JP', 'Noto Serif CJK JP', 'Noto Sans CJK SC', 'Noto Sans CJK TC'];

let familyCache: Set<string> | undefined;
function installedFamilies(): Set<string> {
  familyCache ??= new Set(GlobalFonts.families.map((f) => f.family));
  return familyCache;
}

export function latinFonts(): string[] {
  const have = LATIN_FAMILIES.filter((f) => installedFamilies().has(f));
  return have.length ? have : ['sans-serif'];
}

/** Empty when no CJK font is installed: callers fall back to Latin text. */
export function cjkFonts(): string[] {
  return CJK_FAMILIES.filter((f) => installedFamilies().has(f));
}

const ICON_DIRS = ['/usr/share/icons/Papirus/64x64/apps', '/usr/share/icons/breeze/apps/48', '/usr/share/icons/hicolor/scalable/apps'];

let iconCache: string[] | undefined;
/** Sorted so a seed picks the same icon on every machine that has the same theme. */
export function iconPaths(): string[] {
  if (iconCache) return iconCache;
  iconCache = [];
  for (const dir of ICON_DIRS) {
    if (!existsSync(dir)) continue;
    iconCache = readdirSync(dir).filter((n) => n.endsWith('.svg')).sort().map((n) => join(dir, n));
    if (iconCache.length) break;
  }
  return iconCache;
}

export const LATIN_LINES = [
  'I told you we should have left earlier.',
  'Nobody knows where the river ends.',
  'Are you sure this is the right road?',
  'The match resumes after the break.',
  'We will be back in a moment.',
  'Keep your eyes on the horizon.',
  'That was the last train tonight.',
  'Où est passé le chat ?',
  'Ça ne change rien, crois-moi.',
  '¿Dónde está la estación?',
  'Über den Wolken ist es still.',
  'Let me explain it one more time.',
  'The storm should pass by morning.',
  'He never came back from the island.',
  'Twenty seconds left on the clock!',
  'Quiet, they can hear us.',
];

export const CJK_LINES = [
  '明日の朝、駅で会いましょう。',
  'それは本当ですか？',
  '我们明天再谈这个问题。',
  '今天的天气非常好。',
  '雨がやむまで待とう。',
  '这不是你的错。',
  '一緒に行きませんか？',
  '比赛将在休息后继续。',
];

export const HEADLINES = [
  'MARKETS CLOSE HIGHER AFTER A QUIET SESSION',
  'WEATHER: RAIN SPREADING FROM THE WEST TONIGHT',
  'FINAL SCORE 2-1 AFTER EXTRA TIME',
  'TRAFFIC: DELAYS ON THE RING ROAD',
  'LIVE COVERAGE CONTINUES ALL AFTERNOON',
];

export const LOGO_WORDS = ['TV5', 'NEWS', 'HD', 'ONE', 'SPORT', '24', 'KINO', 'ARTE', 'LIVE', 'ZDF', 'CC', 'M6'];
