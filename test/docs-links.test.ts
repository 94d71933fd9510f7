/**
 * Links in the documentation lead somewhere: every relative link in README.md and docs/*.md names
 * a file or folder of the repository, and its `#anchor` a heading of that file (GitHub's slugs);
 * every relative link in a package README names a file that package publishes (its `files`), since
 * on the registry page a link resolves against the package, not the repository. And every error
 * code the guides name is one a package's ERRORS.md lists, so a renamed code cannot leave them behind.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** The Markdown outside fenced code blocks, line by line. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** `[text](target)` link targets, inline code left out. */
function links(markdown: string): string[] {
  return prose(markdown).flatMap((line) =>
    [...line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string),
  );
}

/** The anchors GitHub (and the npm registry) give the headings of a Markdown file. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6} (.+?)\s*#*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Problems with the relative links of one Markdown file; `allowed` limits the files they may name. */
function brokenLinks(file: string, allowed?: (path: string) => boolean): string[] {
  const text = readFileSync(file, 'utf8');
  const problems: string[] = [];
  for (const link of links(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
    const [path = '', anchor] = link.split('#', 2);
    const target = path === '' ? file : join(dirname(file), decodeURIComponent(path));
    const name = `${relative(ROOT, file)}: ${link}`;
    if (!existsSync(target)) {
      problems.push(`${name} (no such file)`);
      continue;
    }
    if (allowed && path !== '' && !allowed(target)) problems.push(`${name} (not published)`);
    if (anchor === undefined) continue;
    if (statSync(target).isDirectory() || !target.endsWith('.md')) {
      problems.push(`${name} (an anchor into a file that is not Markdown)`);
    } else if (!anchors(readFileSync(target, 'utf8')).has(anchor)) {
      problems.push(`${name} (no heading #${anchor})`);
    }
  }
  return problems;
}

describe('documentation links', () => {
  it('computes the anchors GitHub gives headings', () => {
    expect([
      ...anchors(
        '## Configuring `serve`\n## Admin listener: probes, metrics, admin API\n## A\n## A',
      ),
    ]).toEqual(['configuring-serve', 'admin-listener-probes-metrics-admin-api', 'a', 'a-1']);
    expect(links('[a](b.md#c) `[x](y)`\n```\n[d](e)\n```')).toEqual(['b.md#c']);
  });

  it('resolves every relative link of README.md and docs/*.md to a file and heading', () => {
    const files = [
      join(ROOT, 'README.md'),
      ...readdirSync(join(ROOT, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .map((name) => join(ROOT, 'docs', name)),
    ];
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((file) => brokenLinks(file))).toEqual([]);
  });

  it('links each package README only to files that package publishes', () => {
    for (const name of ['server', 'verifier', 'client']) {
      const dir = join(ROOT, 'packages', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        files: string[];
      };
      // npm always packs package.json, README and LICENSE; `!` entries are left out.
      const published = [
        'package.json',
        'README.md',
        'LICENSE',
        ...manifest.files.filter((entry) => !entry.startsWith('!')),
      ];
      const excluded = manifest.files
        .filter((entry) => entry.startsWith('!'))
        .map((e) => e.slice(1));
      const allowed = (target: string): boolean => {
        const path = relative(dir, target).split('\\').join('/');
        const within = (entry: string): boolean => path === entry || path.startsWith(`${entry}/`);
        return published.some(within) && !excluded.some(within);
      };
      expect(brokenLinks(join(dir, 'README.md'), allowed), name).toEqual([]);
    }
  });

  it('names only error codes that the packages list in their ERRORS.md', () => {
    const table = ['server', 'verifier', 'client']
      .map((name) => readFileSync(join(ROOT, 'packages', name, 'ERRORS.md'), 'utf8'))
      .join('\n');
    const unknown: string[] = [];
    for (const file of [
      'README.md',
      ...readdirSync(join(ROOT, 'docs')).map((name) => join('docs', name)),
    ]) {
      if (!file.endsWith('.md')) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, code] of text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)) {
        // Environment variables look alike; they are checked against `serve --help` elsewhere.
        if (/^(M2M_AUTH_|OAUTH_|AUTH_URL$|DATABASE_URL$|CHROMIUM_PATH$)/.test(code as string))
          continue;
        if (!table.includes(`\`${code}\``)) unknown.push(`${file}: ${code}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
