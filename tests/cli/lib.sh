# Shared by the command-line tool's tests: sourced by tests/cli/test_*.sh, which ctest runs as
#   bash test_x.sh <amanah binary> <scratch directory>
# Failure messages name the check, never a value the tool handled.
set -uo pipefail
AMANAH_BIN=${1:?usage: test_x.sh AMANAH_BINARY SCRATCH_DIR}
WORK=${2:?usage: test_x.sh AMANAH_BINARY SCRATCH_DIR}
rm -rf "$WORK" && mkdir -p "$WORK"
MANIFEST=${AMANAH_EXAMPLE_MANIFEST:?AMANAH_EXAMPLE_MANIFEST is set by ctest}
export AMANAH_PASSPHRASE="cli test passphrase"
unset AMANAH_ACTOR AMANAH_ROLE AMANAH_PURPOSE AMANAH_KEY_FILE
FAILURES=0
OUT="$WORK/.out"
ERR="$WORK/.err"

amanah() { "$AMANAH_BIN" "$@"; }

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }

# expect STATUS LABEL -- COMMAND...: runs the tool, keeps stdout in $OUT and stderr in $ERR.
expect() {
  local want=$1 label=$2
  shift 3
  "$AMANAH_BIN" "$@" >"$OUT" 2>"$ERR"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$label: exit status $got, expected $want"
    sed 's/^/  stderr: /' "$ERR" >&2
  fi
}

# out_has LABEL TEXT: stdout of the last command contains TEXT (a label or count, not a value).
out_has() { grep -qF -- "$2" "$OUT" || fail "$1: output lacks the expected text"; }
err_has() { grep -qF -- "$2" "$ERR" || fail "$1: error output lacks the expected text"; }
# no_value LABEL VALUE FILE...: VALUE appears in none of the files.
no_value() {
  local label=$1 value=$2
  shift 2
  local f
  for f in "$@"; do
    if grep -qF -- "$value" "$f"; then fail "$label: a value appears in $(basename "$f")"; fi
  done
}

# Every stderr kept for the no-value checks at the end of a script.
ALL_ERR="$WORK/stderr.all"
: >"$ALL_ERR"
# run STATUS LABEL -- ARGS...: expect, keeping stderr in $ALL_ERR.
run() {
  expect "$@"
  cat "$ERR" >>"$ALL_ERR"
}
# Callers of the example manifest (examples/privacy.toml).
SUPPORT=(--actor agent-17 --role support --purpose service)
DPO=(--actor dpo-1 --role dpo --purpose service)

# A store at $S holding Siti (email $EMAIL, NIK $NIK) as $ID: audit and operations start here.
EMAIL="siti.rahayu@example.com" NIK="3174015505900001"
store_with_siti() {
  run 0 "init" -- init "$S" --manifest "$MANIFEST" --argon2-memory-mib 19 --argon2-iterations 2
  run 0 "add" -- add "$S" "${SUPPORT[@]}" <<<"full_name=Siti Rahayu
email=$EMAIL
nik=$NIK"
  ID=$(cat "$OUT")
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    echo "$FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

# Exit statuses (README "Exit statuses"): 10 + the ErrorCode's position.
EXIT_WRONG_KEY=10 EXIT_CORRUPT=11 EXIT_ACCESS_DENIED=12 EXIT_CONSENT_REQUIRED=13
EXIT_VALIDATION=14 EXIT_UNDECLARED_FIELD=15 EXIT_NOT_FOUND=16 EXIT_LEGAL_HOLD=17
EXIT_AUDIT_TAMPERED=18 EXIT_DUPLICATE=19 EXIT_ALREADY_EXISTS=20 EXIT_INVALID_MANIFEST=21
EXIT_NOT_A_STORE=22 EXIT_STORE_LOCKED=23 EXIT_UNSUPPORTED=24 EXIT_INVALID_ARGUMENT=25
EXIT_INVALID_OPERATION=26 EXIT_IO=27 EXIT_DATABASE=28 EXIT_INTERNAL=29 EXIT_RESTRICTED=30
EXIT_OBJECTED=31 EXIT_USAGE=2
