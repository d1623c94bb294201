#!/usr/bin/env bash
# Stores each new API key's secret from the --secrets-out file ($1) as a
# masked, protected project CI/CD variable named by secret-name.sh (the
# GitLab way, as github-store-secrets.sh uses `gh secret set`), then
# shreds the file: it is never kept as an artifact. The secret goes to curl
# on standard input, never on a command line or in a log. A variable that
# exists is updated (the create answers 400), else created.
# Env: CI_API_V4_URL, CI_PROJECT_ID, GITLAB_TOKEN (a project access token
# with the api scope and the Maintainer role: the job token cannot write
# variables).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
file="$1"
[ -f "$file" ] || exit 0
vars="$CI_API_V4_URL/projects/$CI_PROJECT_ID/variables"
# masked: hidden in job logs; protected: only protected branches see it;
# raw: a `$` in the secret is not expanded.
store() {
  local method=$1 url=$2 i=$3
  jq -j ".keys[$i].key" "$file" | curl -sSf --request "$method" --header "PRIVATE-TOKEN: $GITLAB_TOKEN" \
    "${@:4}" --data-urlencode "value@-" --data-urlencode masked=true \
    --data-urlencode protected=true --data-urlencode raw=true "$url" >/dev/null
}
count=$(jq '.keys | length' "$file")
for i in $(seq 0 $((count - 1))); do
  name=$("$here/secret-name.sh" "$(jq -r ".keys[$i].name" "$file")")
  if ! store POST "$vars" "$i" --data-urlencode "key=$name" 2>/dev/null; then
    store PUT "$vars/$name" "$i"
  fi
  echo "stored the secret of a new key as the CI/CD variable $name"
done
if command -v shred >/dev/null; then shred -u "$file"; else rm -f "$file"; fi
