#!/usr/bin/env bash
# Default branch: applies the saved plan ($PLAN_FILE) verified against
# $RBAC_FILE, with the deletion limits reviewers acknowledged: lines of the
# ack file (.instantly-rbac/ack, merged with the change) or, for a manual
# run, the CI variable ACKS ("member=16,tag=3"). New key secrets go to
# new-keys.json (a protected artifact); none is printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
given=$(read_acks ""; tr ',' '\n' <<<"${ACKS:-}" | sed 's/[[:space:]]//g' | grep -v '^$' || true)
mapfile -t acks < <(ack_args "$PLAN_FILE" "$given")
# Re-invites were shown as high risk in the reviewed plan.
exec instantly-rbac apply "$PLAN_FILE" -f "$RBAC_FILE" --allow-reinvite --secrets-out new-keys.json "${acks[@]}"
