#!/usr/bin/env bash
# Merge request: plans $RBAC_FILE and posts the plan as one MR note, found
# by its marker and updated on each push (or replaced by the error). A
# blocked plan fails the job and says how to acknowledge it.
# Env (GitLab sets the CI_ ones): RBAC_FILE, CI_API_V4_URL, CI_PROJECT_ID,
# CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_LABELS, GITLAB_TOKEN (a project
# access token with the api scope: the job token cannot write notes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
marker="<!-- instantly-rbac-ci:plan:$RBAC_FILE -->"
status=0
plan_comment "$marker" "$(read_acks "${CI_MERGE_REQUEST_LABELS:-}")" || status=$?
notes="$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
id=$(curl -sSf --header "PRIVATE-TOKEN: $GITLAB_TOKEN" "$notes?per_page=100&sort=asc" |
  jq -r --arg m "$marker" '[.[] | select((.body // "") | startswith($m))][0].id // empty')
if [ -n "$id" ]; then
  curl -sSf --request PUT --header "PRIVATE-TOKEN: $GITLAB_TOKEN" --data-urlencode body@comment.md "$notes/$id" >/dev/null
else
  curl -sSf --request POST --header "PRIVATE-TOKEN: $GITLAB_TOKEN" --data-urlencode body@comment.md "$notes" >/dev/null
fi
case $status in
  0) echo "posted the plan of $RBAC_FILE" ;;
  1) cat plan.err >&2; exit 1 ;;
  *) echo "the plan of $RBAC_FILE is blocked by deletion limits; the merge request note says how to acknowledge it" >&2; exit 1 ;;
esac
