/**
 * The Node.js versions Switchyard runs on (package.json `engines`). src/main.ts and scripts/cli.ts
 * check first, before anything heavy is imported: on Node 20 a dependency (undici) crashes while
 * loading with "Cannot read properties of undefined (reading 'bind')", which says nothing useful.
 * This module must import nothing.
 */
export const SUPPORTED_NODE = 'Node.js 22 LTS (22.12 or later) or 24 LTS';

export type NodeVersionVerdict =
  | { status: 'supported' }
  | { status: 'unsupported'; message: string }
  | { status: 'untested'; message: string };

/** Judges a version string such as `v22.12.0` or `20.19.2`. */
export function checkNodeVersion(version: string): NodeVersionVerdict {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || major < 22 || (major === 22 && minor < 12)) {
    return {
      status: 'unsupported',
      message: `Switchyard needs ${SUPPORTED_NODE}; this is Node.js ${version}. Install a supported version (e.g. nvm install 22) and start again.`,
    };
  }
  if (major === 22 || major === 24) return { status: 'supported' };
  return {
    status: 'untested',
    message: `Switchyard is tested on ${SUPPORTED_NODE}; this is Node.js ${version}, which may work but is not supported.`,
  };
}

/** Prints one line and exits with code 1 on an unsupported version; one warning line on an untested one. */
export function exitIfUnsupportedNode(version = process.versions.node): void {
  const v = checkNodeVersion(version);
  if (v.status === 'unsupported') {
    process.stderr.write(`${v.message}\n`);
    process.exit(1);
  }
  if (v.status === 'untested') process.stderr.write(`${v.message}\n`);
}

// `tsx src/nodeVersion.ts` (npm's prestart) checks before the build runs.
if (/nodeVersion\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) exitIfUnsupportedNode();
