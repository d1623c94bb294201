#!/usr/bin/env bash
# Stores each new API key's secret from the --secrets-out file ($1) as a
# masked, protected project CI/CD variable named by secret-name.sh (the
# GitLab way, as github-store-secrets.sh uses `gh secret set`, and named as
# it names them), then shreds the file: it is never kept as an artifact.
# The secret goes to curl on standard input, never on a command line or in
# a log. A variable that exists is updated (the create answers 400), else
# created. When the file holds the keys of several workspaces (apply -f
# DIR), each name starts with the workspace's name; names are checked
# unique before any secret is stored, so none overwrites another.
# Env: CI_API_V4_URL, CI_PROJECT_ID, GITLAB_TOKEN (a project access token
# with the api scope and the Maintainer role: the job token cannot write
# variables).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
file="$1"
[ -f "$file" ] || exit 0
vars="$CI_API_V4_URL/projects/$CI_PROJECT_ID/variables"
# shellcheck source=lib.sh
. "$here/lib.sh"
names_text=$(secret_names "$file" variable)
mapfile -t names <<<"$names_text"
count=$(jq '.keys | length' "$file")
# masked: hidden in job logs; protected: only protected branches see it;
# raw: a `$` in the secret is not expanded.
store() {
  local method=$1 url=$2 i=$3
  jq -j ".keys[$i].key" "$file" | curl -sSf --request "$method" --header "PRIVATE-TOKEN: $GITLAB_TOKEN" \
    "${@:4}" --data-urlencode "value@-" --data-urlencode masked=true \
    --data-urlencode protected=true --data-urlencode raw=true "$url" >/dev/null
}
for i in $(seq 0 $((count - 1))); do
  if ! store POST "$vars" "$i" --data-urlencode "key=${names[$i]}" 2>/dev/null; then
    store PUT "$vars/${names[$i]}" "$i"
  fi
  echo "stored the secret of a new key as the CI/CD variable ${names[$i]}"
done
if command -v shred >/dev/null; then shred -u "$file"; else rm -f "$file"; fi
