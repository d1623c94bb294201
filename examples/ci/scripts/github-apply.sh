#!/usr/bin/env bash
# Merge: applies the reviewed plan ($PLAN_FILE, the pull request's saved
# plan), verified against $RBAC_FILE as merged, with the acknowledgements the
# reviewers gave; stores new key secrets; posts the result to the merged
# pull request. Env: RBAC_FILE, PLAN_FILE, GITHUB_REPOSITORY, GITHUB_SHA,
# GH_TOKEN for gh (a token that may set secrets for the secrets step).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
pr=$(gh api "repos/$GITHUB_REPOSITORY/commits/$GITHUB_SHA/pulls" | jq -r '.[0].number // empty')
labels=""
if [ -n "$pr" ]; then
  labels=$(gh api "repos/$GITHUB_REPOSITORY/issues/$pr/labels" | jq -r '[.[].name] | join(",")')
fi
mapfile -t acks < <(ack_args "$PLAN_FILE" "$(read_acks "$labels")")
# Re-invites were shown as high risk in the reviewed comment.
set +e
instantly-rbac apply "$PLAN_FILE" -f "$RBAC_FILE" --allow-reinvite --secrets-out new-keys.json "${acks[@]}" >apply.out 2>&1
code=$?
set -e
cat apply.out
"$here/github-store-secrets.sh" new-keys.json
if [ "$code" = 0 ]; then verdict="applied"; else verdict="failed (exit $code)"; fi
{
  echo "<!-- instantly-rbac-ci:apply:$RBAC_FILE -->"
  echo "### instantly-rbac apply of \`$RBAC_FILE\`: $verdict"
  echo
  fenced <apply.out
} >comment.md
if [ -n "$pr" ]; then
  gh api -X POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F body=@comment.md >/dev/null
fi
exit "$code"
