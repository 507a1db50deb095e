#!/usr/bin/env bash
# The README's walkthrough for operators, run for real: bash examples/operators/walkthrough.sh
# [AMANAH_BINARY]. Works in a fresh temporary directory; prints each command and its output.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${1:-$here/../../build/dev/tools/amanah/amanah}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$here/customers.csv" "$here/../privacy.toml" .
amanah() { "$bin" "$@"; }
say() { echo "# $*"; }
run() {  # prints the command as typed, its output, and a non-zero exit status
  local shown="\$" arg
  for arg in "$@"; do [[ $arg == *" "* ]] && shown+=" \"$arg\"" || shown+=" $arg"; done
  echo "$shown"
  "$@" 2>&1
  local rc=$?
  [ "$rc" -eq 0 ] || echo "[exit $rc]"
}

export AMANAH_PASSPHRASE='demo passphrase: use your own'  # or --passphrase-file, or the prompt
echo "\$ export AMANAH_PASSPHRASE=...   # or --passphrase-file F, --key-file F, or a no-echo prompt"
run amanah init shop.amanah --manifest privacy.toml

say "The spreadsheet, as Excel in an Indonesian locale saves it: ';', CRLF, a cell with a"
say "newline. All or nothing first, then the good rows with a rejects report (no values in it)."
map="Nama Lengkap=full_name,Email=email,No HP=phone,NIK=nik,Tgl Lahir=birth_date"
export AMANAH_ACTOR=ops-1 AMANAH_ROLE=support AMANAH_PURPOSE=service
echo "\$ export AMANAH_ACTOR=ops-1 AMANAH_ROLE=support AMANAH_PURPOSE=service   # or --actor/--role/--purpose"
run amanah import shop.amanah customers.csv --map "$map"
run amanah import shop.amanah customers.csv --map "$map" --skip-bad
run cat customers.csv.rejects.csv

say "A customer asks for their data, then for its erasure. The DPO answers; every erasure also"
say "goes to a ledger kept apart from the store and its backups (AMANAH_LEDGER)."
export AMANAH_ACTOR=dpo-1 AMANAH_ROLE=dpo AMANAH_LEDGER=$work/erasures.ledger
echo "\$ export AMANAH_ACTOR=dpo-1 AMANAH_ROLE=dpo AMANAH_LEDGER=erasures.ledger"
echo "siti.rahayu@example.co.id" >request.txt  # a value read from a file, not the command line
run amanah find shop.amanah email --value-from request.txt
id=$(amanah find shop.amanah email --value-from request.txt)
run amanah export shop.amanah "$id" --output siti-export.json
mkdir -p backups
run amanah backup shop.amanah backups/2026-12-02 --actor backup-job --role operator
run amanah erase shop.amanah "$id" --reason subject_request

say "Which customers did an account touch between two dates?"
run amanah audit breach-scope shop.amanah --suspect ops-1 --from 2026-12-01 --to 2027-01-01

say "The disk died: restore the backup; the ledger keeps the erased customer erased."
run amanah verify-backup backups/2026-12-02
run amanah restore backups/2026-12-02 restored.amanah --ledger erasures.ledger
run amanah get restored.amanah "$id"
run amanah audit verify restored.amanah

say "An auditor opens data.db in the sqlcipher shell (the DPO may disclose the keys; recorded)."
echo "\$ amanah db-key shop.amanah --i-understand-this-discloses-the-database-keys > keys.txt"
amanah db-key shop.amanah --i-understand-this-discloses-the-database-keys 2>&1 >keys.txt
echo "\$ (grep -A1 '^-- data.db' keys.txt | tail -1; echo 'SELECT count(*) FROM subjects;') | sqlcipher -batch shop.amanah/data.db"
(grep -A1 '^-- data.db' keys.txt | tail -1; echo 'SELECT count(*) FROM subjects;') | sqlcipher -batch shop.amanah/data.db 2>&1
