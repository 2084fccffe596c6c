#!/usr/bin/env bash
# Rebuilds vendor/ioredis/: the npm package ioredis (and its dependencies) bundled into one ES
# module that Deno loads without network access, with every licence beside it. Only distributed
# mode (--redis, deno task worker) imports it. Needs npm and the npm registry.
#
#   bash scripts/vendor_ioredis.sh [VERSION]     (default: the version in vendor/ioredis/VERSION)
set -euo pipefail
cd "$(dirname "$0")/.."
out=vendor/ioredis
version="${1:-$(cat "$out/VERSION")}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts \
  "ioredis@$version" esbuild@0.28 >/dev/null)
echo 'export { default as Redis } from "ioredis";' >"$work/entry.js"
# The "debug" package reads every environment variable (it would need --allow-env); ioredis only
# logs through it, so it is replaced by a logger that is always off.
cat >"$work/debug_off.js" <<'JS'
function debug() {
  const log = () => {};
  log.enabled = false;
  log.extend = () => log;
  return log;
}
module.exports = debug;
module.exports.default = debug;
JS
# esbuild's ESM output turns require() of Node's built-ins into a shim that throws; this banner
# gives the bundle a real require.
root=$PWD
(cd "$work" && node_modules/@esbuild/linux-x64/bin/esbuild entry.js --bundle --platform=node \
  --format=esm --target=es2022 --alias:debug=./debug_off.js --legal-comments=none \
  --banner:js="// ioredis $version and its dependencies, bundled by scripts/vendor_ioredis.sh; licences in LICENSES.md.
import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" \
  --log-level=warning --outfile="$root/$out/ioredis.mjs")

{
  echo "# Licences of the bundled packages (vendor/ioredis/ioredis.mjs)"
  for dir in "$work"/node_modules/ioredis "$work"/node_modules/@ioredis/* \
    "$work"/node_modules/{cluster-key-slot,denque,lodash.defaults,lodash.isarguments,redis-errors,redis-parser,standard-as-callback}; do
    [ -d "$dir" ] || continue
    name=$(node -p "require('$dir/package.json').name + ' ' + require('$dir/package.json').version + ' (' + require('$dir/package.json').license + ')'")
    echo
    echo "## $name"
    echo
    echo '```'
    cat "$dir"/LICEN[CS]E* "$dir"/licen[cs]e* 2>/dev/null || true
    echo '```'
  done
} >"$out/LICENSES.md"
echo "$version" >"$out/VERSION"
node -p "'ioredis ' + require('$work/node_modules/ioredis/package.json').version" >&2
