#!/usr/bin/env bash
# Schedule: plans $RBAC_FILE once. Drift opens one issue, found again by its
# marker and updated on later runs; back in sync, that issue is closed. Exit
# 0 in sync, 2 drift, 1 error (the issue is left as it is).
# Env: RBAC_FILE, GITHUB_REPOSITORY, GH_TOKEN for gh; optional RUN_URL.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
marker="<!-- instantly-rbac-ci:drift:$RBAC_FILE -->"
set +e
instantly-rbac plan -f "$RBAC_FILE" --format markdown --detailed-exitcode >drift.md 2>drift.err
code=$?
set -e
if [ "$code" != 0 ] && [ "$code" != 2 ]; then
  cat drift.err >&2
  exit 1
fi
issues="repos/$GITHUB_REPOSITORY/issues"
issue=$(gh api --paginate "$issues?state=open&per_page=100" | jq -rs --arg m "$marker" \
  '[add // [] | .[] | select(.pull_request == null) | select((.body // "") | startswith($m))][0].number // empty')
if [ "$code" = 0 ]; then
  if [ -n "$issue" ]; then
    # shellcheck disable=SC2016 # the backticks are Markdown
    printf 'Back in sync with `%s`%s.\n' "$RBAC_FILE" "${RUN_URL:+ ($RUN_URL)}" >sync.md
    gh api -X POST "$issues/$issue/comments" -F body=@sync.md >/dev/null
    gh api -X PATCH "$issues/$issue" -f state=closed >/dev/null
    echo "in sync: closed issue #$issue"
  else
    echo "in sync"
  fi
  exit 0
fi
{ echo "$marker"; cat drift.md; } >issue.md
if [ -n "$issue" ]; then
  gh api -X PATCH "$issues/$issue" -F body=@issue.md >/dev/null
  echo "drift: updated issue #$issue"
else
  gh api -X POST "$issues" -f "title=Instantly access drifted from $RBAC_FILE" -F body=@issue.md >/dev/null
  echo "drift: opened an issue"
fi
exit 2
