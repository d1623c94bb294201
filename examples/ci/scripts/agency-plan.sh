#!/usr/bin/env bash
# One slice ($SHARD, e.g. 2/4) of an agency's client workspaces under
# $AGENCY_DIR, planned with the agency key: the Markdown report goes to the
# job summary ($GITHUB_STEP_SUMMARY, else standard output). Exit 1 on an
# error; 2 on changes when FAIL_ON_CHANGES=true (a drift check), else 0.
set -euo pipefail
summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"
set +e
instantly-rbac plan -f "$AGENCY_DIR" --shard "$SHARD" --format markdown --detailed-exitcode >agency.md
code=$?
set -e
cat agency.md >>"$summary"
case "$code:${FAIL_ON_CHANGES:-false}" in
  0:* | 2:false) exit 0 ;;
  2:true) exit 2 ;;
  *) exit 1 ;;
esac
