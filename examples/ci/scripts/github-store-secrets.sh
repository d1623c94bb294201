#!/usr/bin/env bash
# Stores each new API key's secret from the --secrets-out file ($1) as a
# repository secret named by secret-name.sh, then deletes the file. The
# secret goes to gh on standard input, never on a command line or in a log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
file="$1"
[ -f "$file" ] || exit 0
count=$(jq '.keys | length' "$file")
for i in $(seq 0 $((count - 1))); do
  name=$("$here/secret-name.sh" "$(jq -r ".keys[$i].name" "$file")")
  jq -j ".keys[$i].key" "$file" | gh secret set "$name"
  echo "stored the secret of a new key as $name"
done
if command -v shred >/dev/null; then shred -u "$file"; else rm -f "$file"; fi
