#!/usr/bin/env bash
# Default branch: applies the saved plan ($PLAN_FILE) verified against
# $RBAC_FILE, with the deletion limits reviewers acknowledged: lines of the
# ack file (.instantly-rbac/ack, merged with the change) or, for a manual
# run, the CI variable ACKS ("member=16,tag=3"). New key secrets go to
# masked, protected CI/CD variables (gitlab-store-secrets.sh), also when
# the apply failed part way; none is printed or kept as an artifact.
# Env: RBAC_FILE, PLAN_FILE, ACKS, and what gitlab-store-secrets.sh needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
given=$(read_acks ""; tr ',' '\n' <<<"${ACKS:-}" | sed 's/[[:space:]]//g' | grep -v '^$' || true)
mapfile -t acks < <(ack_args "$PLAN_FILE" "$given")
# Re-invites were shown as high risk in the reviewed plan.
set +e
instantly-rbac apply "$PLAN_FILE" -f "$RBAC_FILE" --allow-reinvite --secrets-out new-keys.json "${acks[@]}"
code=$?
set -e
"$here/gitlab-store-secrets.sh" new-keys.json
exit "$code"
