#!/usr/bin/env bash
# Pull request: plans $RBAC_FILE and posts the plan as one sticky comment,
# updated on each push (or replaced by the error when the plan fails). A
# blocked plan fails the check and says how to acknowledge it.
# Env: RBAC_FILE, GITHUB_REPOSITORY, PR_NUMBER, PR_LABELS (comma-separated),
# GH_TOKEN for gh; optional ACK_FILE (default .instantly-rbac/ack).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
marker="<!-- instantly-rbac-ci:plan:$RBAC_FILE -->"
status=0
plan_comment "$marker" "$(read_acks "${PR_LABELS:-}")" || status=$?
comments="repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
id=$(gh api --paginate "$comments" | jq -rs --arg m "$marker" \
  '[add // [] | .[] | select((.body // "") | startswith($m))][0].id // empty')
if [ -n "$id" ]; then
  gh api -X PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F body=@comment.md >/dev/null
else
  gh api -X POST "$comments" -F body=@comment.md >/dev/null
fi
case $status in
  0) echo "posted the plan of $RBAC_FILE" ;;
  1) cat plan.err >&2; exit 1 ;;
  *) echo "::error::the plan of $RBAC_FILE is blocked by deletion limits; the pull request comment says how to acknowledge it" >&2; exit 1 ;;
esac
