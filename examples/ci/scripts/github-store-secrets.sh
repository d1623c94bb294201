#!/usr/bin/env bash
# Stores each new API key's secret from the --secrets-out file ($1) as a
# repository secret named by secret-name.sh, then deletes the file. The
# secret goes to gh on standard input, never on a command line or in a log.
# When the file holds the keys of several workspaces (apply -f DIR), whose
# keys may share a name, each name starts with the workspace's name
# (INSTANTLY_KEY_<WORKSPACE>_<NAME>); names are checked unique before any
# secret is stored, so none overwrites another.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
file="$1"
[ -f "$file" ] || exit 0
# shellcheck source=lib.sh
. "$here/lib.sh"
names_text=$(secret_names "$file" secret)
mapfile -t names <<<"$names_text"
count=$(jq '.keys | length' "$file")
for i in $(seq 0 $((count - 1))); do
  jq -j ".keys[$i].key" "$file" | gh secret set "${names[$i]}"
  echo "stored the secret of a new key as ${names[$i]}"
done
if command -v shred >/dev/null; then shred -u "$file"; else rm -f "$file"; fi
