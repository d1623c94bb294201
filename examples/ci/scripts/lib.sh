# shellcheck shell=bash
# Shared by the CI scripts (sourced, not run). Needs bash, jq, and the
# instantly-rbac binary on PATH; GitHub scripts also need gh, GitLab ones curl.

# The acknowledgements reviewers gave, one KIND=N a line: the lines of the
# ack file (a reviewed change in the pull request; # starts a comment) and
# labels named "instantly-rbac-ack:KIND=N" ($1: label names, comma-separated).
read_acks() {
  local labels="$1" file="${ACK_FILE:-.instantly-rbac/ack}"
  if [ -f "$file" ]; then
    sed 's/#.*//; s/[[:space:]]//g' "$file" | grep -v '^$' || true
  fi
  tr ',' '\n' <<<"$labels" | sed -n 's/^[[:space:]]*instantly-rbac-ack:\([a-z_]*=[0-9]*\)[[:space:]]*$/\1/p'
}

# The --ack-deletes arguments for the blocks of the saved plan $1 that
# reviewers acknowledged ($2: their acks). Only acks the plan asks for are
# passed: a stale line in the ack file never reaches apply.
ack_args() {
  local ack
  for ack in $(jq -r '.plan.blocks[] | .ack // empty' "$1"); do
    if grep -qxF "$ack" <<<"$2"; then
      printf -- '--ack-deletes\n%s\n' "$ack"
    fi
  done
}

# The blocks of the saved plan $1 that nobody acknowledged ($2: the acks),
# one a line: the ack they need, or "-" when none can be given (min_admins).
unacknowledged() {
  local ack
  jq -r '.plan.blocks[] | .ack // "-"' "$1" | while read -r ack; do
    if [ "$ack" = "-" ] || ! grep -qxF "$ack" <<<"$2"; then
      echo "$ack"
    fi
  done
}

# Standard input in a Markdown code block whose fence no line of it can
# close (names in errors come from the API).
fenced() {
  local text longest fence
  text=$(cat)
  longest=$(grep -o '`*' <<<"$text" | awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }')
  fence='```'
  while [ "${#fence}" -le "$longest" ]; do fence="$fence\`"; done
  printf '%s\n%s\n%s\n' "$fence" "$text" "$fence"
}

# Plans $RBAC_FILE into comment.md (headed by the marker $1) and plan.json.
# Returns 0 (planned), 1 (the plan failed: comment.md shows the error), or
# 3 (blocked, and not acknowledged in $2: comment.md says how to).
plan_comment() {
  local marker="$1" acks="$2" code missing
  set +e
  instantly-rbac plan -f "$RBAC_FILE" --format markdown --detailed-exitcode --out plan.json >plan.md 2>plan.err
  code=$?
  set -e
  if [ "$code" != 0 ] && [ "$code" != 2 ]; then
    {
      echo "$marker"
      echo "### instantly-rbac: the plan of \`$RBAC_FILE\` failed (exit $code)"
      echo
      fenced <plan.err
    } >comment.md
    return 1
  fi
  missing=$(unacknowledged plan.json "$acks")
  { echo "$marker"; cat plan.md; } >comment.md
  if [ -n "$missing" ]; then
    {
      echo
      echo "### Blocked: this plan fails the check until reviewed"
      echo
      while read -r ack; do
        if [ "$ack" = "-" ]; then
          echo "- A \`min_admins\` block cannot be acknowledged: change the file."
        else
          echo "- To accept \`$ack\` after review, add the line \`$ack\` to \`${ACK_FILE:-.instantly-rbac/ack}\` in this change, or the label \`instantly-rbac-ack:$ack\`; apply then passes \`--ack-deletes $ack\`."
        fi
      done <<<"$missing"
    } >>comment.md
    return 3
  fi
  return 0
}

# The secret names of the new keys in the --secrets-out file $1, one a line,
# in the file's order (secret-name.sh; prefixed by the workspace's name when
# the file holds the keys of several workspaces, whose keys may share a
# name). Fails, printing nothing, when two keys would share a name ($2: what
# the names are for, in the message), so that none overwrites another.
secret_names() {
  local file="$1" what="$2" here count workspaces key i
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  count=$(jq '.keys | length' "$file")
  workspaces=$(jq '[.keys[].workspace_id] | unique | length' "$file")
  local names=()
  for i in $(seq 0 $((count - 1))); do
    key=$(jq -r ".keys[$i].name" "$file")
    if [ "$workspaces" -gt 1 ]; then
      key="$(jq -r ".keys[$i].workspace_name // .keys[$i].workspace_id // \"\"" "$file") $key"
    fi
    names+=("$("$here/secret-name.sh" "$key")")
  done
  local duplicates
  duplicates=$(printf '%s\n' "${names[@]}" | sort | uniq -d)
  if [ -n "$duplicates" ]; then
    echo "several new keys would be stored under one $what name, nothing was stored (the secrets stay in $file): $duplicates" >&2
    return 1
  fi
  if [ "$count" -gt 0 ]; then printf '%s\n' "${names[@]}"; fi
}
