#!/usr/bin/env bash
# Prints the CI secret name for an API key name: INSTANTLY_KEY_ and the name
# in capitals, each run of other characters one "_", none at either end
# ("SDR — Campaign Management" -> INSTANTLY_KEY_SDR_CAMPAIGN_MANAGEMENT).
set -euo pipefail
name=$(printf '%s' "$1" | LC_ALL=C tr -cs 'A-Za-z0-9' '_' | sed 's/^_*//; s/_*$//' | LC_ALL=C tr '[:lower:]' '[:upper:]')
if [ -z "$name" ]; then
  echo "the key name \`$1\` has no letters or digits to name a secret after" >&2
  exit 1
fi
echo "INSTANTLY_KEY_$name"
