# Operations: check, backup, verify-backup, restore with the erasure ledger, unlock keys, rekey,
# KEK rotation, and db-key with the sqlcipher shell.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S="$WORK/store"
LEDGER="$WORK/erasures.ledger"

OPERATOR=(--actor backup-job --role operator --purpose service)

store_with_siti
run 0 "add a second" -- add "$S" "${SUPPORT[@]}" <<<"email=budi@example.com"
BUDI=$(cat "$OUT")
run 0 "add a third" -- add "$S" "${SUPPORT[@]}" <<<"email=citra@example.com"

# check
run 0 "check" -- check "$S"
out_has "check counts customers" "customers: 3"
run 0 "check --json" -- check "$S" --json
out_has "check --json" '"customers": 3'
AMANAH_PASSPHRASE="wrong" run "$EXIT_WRONG_KEY" "check with a wrong passphrase" -- check "$S"

# backup
run 0 "backup" -- backup "$S" "$WORK/b1" "${OPERATOR[@]}"
out_has "backup reports the customers" "customers: 3"
run "$EXIT_ALREADY_EXISTS" "backup into an existing directory" -- backup "$S" "$WORK/b1" "${OPERATOR[@]}"
run "$EXIT_ACCESS_DENIED" "backup by support" -- backup "$S" "$WORK/b2" "${SUPPORT[@]}"
[ -e "$WORK/b2" ] && fail "a denied backup leaves nothing"
head -c 32 /dev/urandom >"$WORK/offsite.key"
run 0 "backup with an offsite key" -- backup "$S" "$WORK/b-offsite" "${OPERATOR[@]}" --offsite-key-file "$WORK/offsite.key" --json
out_has "backup --json" '"customers": 3'
run 0 "verify-backup with the offsite key" -- verify-backup "$WORK/b-offsite" --key-file "$WORK/offsite.key"
run "$EXIT_WRONG_KEY" "the offsite backup does not open with the passphrase" -- verify-backup "$WORK/b-offsite"

# verify-backup
run 0 "verify-backup" -- verify-backup "$WORK/b1"
out_has "verify-backup says it is a backup" "a backup of store"
AMANAH_PASSPHRASE="wrong" run "$EXIT_WRONG_KEY" "verify-backup with a wrong passphrase" -- verify-backup "$WORK/b1"
cp -r "$WORK/b1" "$WORK/b-damaged"
printf '\xff' | dd of="$WORK/b-damaged/data.db" bs=1 seek=2000 conv=notrunc status=none
run "$EXIT_CORRUPT" "verify-backup of a damaged backup" -- verify-backup "$WORK/b-damaged"

# restore: an erasure after the backup stays erased.
run 0 "erase after the backup" -- erase "$S" "$BUDI" "${DPO[@]}" --reason subject_request --ledger "$LEDGER"
run "$EXIT_INVALID_ARGUMENT" "restore without a ledger" -- restore "$WORK/b1" "$WORK/r0"
err_has "says why" "erased customers back"
[ -e "$WORK/r0" ] && fail "a refused restore leaves nothing"
run 0 "restore" -- restore "$WORK/b1" "$WORK/r1" --ledger "$LEDGER"
out_has "restore replays the erasure" "erased again (erased after the backup): 1"
run "$EXIT_NOT_FOUND" "the erased customer stays erased" -- get "$WORK/r1" "$BUDI" "${DPO[@]}"
run 0 "the others are back" -- get "$WORK/r1" "$ID" "${DPO[@]}"
run "$EXIT_ALREADY_EXISTS" "restore over an existing store" -- restore "$WORK/b1" "$WORK/r1" --ledger "$LEDGER"
run "$EXIT_NOT_FOUND" "restore with a missing ledger file" -- restore "$WORK/b1" "$WORK/r2" --ledger "$WORK/no-such-ledger"
run 0 "restore --without-ledger" -- restore "$WORK/b1" "$WORK/r3" --without-ledger --json
out_has "restore --json says so" '"without_ledger": true'
run 0 "without the ledger the erased customer is back" -- get "$WORK/r3" "$BUDI" "${DPO[@]}"

# keys
run 0 "keys list" -- keys list "$S"
out_has "one passphrase method" "passphrase"
FIRST=$(awk 'NR==1 {print $1}' "$OUT")
export NEW_PASSPHRASE="a second passphrase"
run 0 "keys add" -- keys add "$S" --new-passphrase-env NEW_PASSPHRASE --label second --argon2-memory-mib 19 --argon2-iterations 2 --json
SECOND=$(sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p' "$OUT")
[ -n "$SECOND" ] || fail "keys add prints the new method's id"
AMANAH_PASSPHRASE="$NEW_PASSPHRASE" run 0 "the new passphrase opens the store" -- check "$S"
run "$EXIT_INVALID_ARGUMENT" "keys add with no source and no terminal" -- keys add "$S" </dev/null
run "$EXIT_USAGE" "keys add with two sources" -- keys add "$S" --new-passphrase-env NEW_PASSPHRASE --new-key-file "$WORK/offsite.key"
run 0 "keys recovery --output" -- keys recovery "$S" --output "$WORK/recovery.txt"
[ "$(stat -c %a "$WORK/recovery.txt")" = 600 ] || fail "the recovery key file is 0600"
run 0 "the recovery key opens the store" -- check "$S" --recovery-key-file "$WORK/recovery.txt"
run "$EXIT_ALREADY_EXISTS" "keys recovery over an existing file" -- keys recovery "$S" --output "$WORK/recovery.txt"
run 0 "keys recovery to stdout" -- keys recovery "$S" --label paper
grep -qE '^([0-9A-Z]{4}-){13}[0-9A-Z]{4}$' "$OUT" || fail "the recovery key is printed as 14 groups"
err_has "with a warning on stderr" "shown once"
RECOVERY_KEY=$(cat "$OUT")
run "$EXIT_INVALID_ARGUMENT" "keys recovery --json without --output" -- keys recovery "$S" --json
run 0 "keys remove" -- keys remove "$S" "$SECOND"
AMANAH_PASSPHRASE="$NEW_PASSPHRASE" run "$EXIT_WRONG_KEY" "a removed passphrase no longer opens" -- check "$S"
run "$EXIT_NOT_FOUND" "keys remove an unknown slot" -- keys remove "$S" 00000000000000000000000000000000
run 0 "keys list --json" -- keys list "$S" --json
for slot in $(grep -o '"id": "[0-9a-f]*"' "$OUT" | sed 's/.*"\([0-9a-f]*\)"/\1/' | grep -v "^$FIRST$"); do
  run 0 "keys remove a recovery slot" -- keys remove "$S" "$slot"
done
run "$EXIT_INVALID_OPERATION" "keys remove the last method" -- keys remove "$S" "$FIRST"

# db-key: the SQLCipher keys, deliberately, and recorded.
run "$EXIT_INVALID_ARGUMENT" "db-key without the flag" -- db-key "$S" "${DPO[@]}"
err_has "explains the flag" "--i-understand-this-discloses-the-database-keys"
[ -s "$OUT" ] && fail "db-key without the flag prints nothing"
run "$EXIT_ACCESS_DENIED" "db-key by support" -- db-key "$S" --i-understand-this-discloses-the-database-keys "${SUPPORT[@]}"
[ -s "$OUT" ] && fail "a denied db-key prints nothing"
run 0 "db-key" -- db-key "$S" --i-understand-this-discloses-the-database-keys "${DPO[@]}"
grep -qE "^PRAGMA key = \"x'[0-9a-f]{64}'\";$" "$OUT" || fail "db-key prints PRAGMA key lines"
[ "$(grep -c '^PRAGMA key' "$OUT")" = 2 ] || fail "one key per database"
cp "$OUT" "$WORK/dbkey.txt"
DATA_PRAGMA=$(grep -A1 '^-- data.db' "$WORK/dbkey.txt" | tail -1)
KEYS_PRAGMA=$(grep -A1 '^-- keys.db' "$WORK/dbkey.txt" | tail -1)
run 0 "db-key --json" -- db-key "$S" --i-understand-this-discloses-the-database-keys "${DPO[@]}" --json
grep -qE "\"key\": \"x'[0-9a-f]{64}'\"" "$OUT" || fail "db-key --json has the keys"
if command -v sqlcipher >/dev/null; then
  COUNT=$(printf '%s\nSELECT count(*) FROM subjects;\n' "$DATA_PRAGMA" | sqlcipher -batch "$S/data.db" 2>&1 | tail -1)
  [ "$COUNT" = 2 ] || fail "the sqlcipher shell counts the customers with the data.db key"
  KEYS=$(printf '%s\nSELECT count(*) FROM subject_keys;\n' "$KEYS_PRAGMA" | sqlcipher -batch "$S/keys.db" 2>&1 | tail -1)
  [ "$KEYS" = 2 ] || fail "the sqlcipher shell reads keys.db with its key"
  printf '%s\nSELECT count(*) FROM subjects;\n' "$KEYS_PRAGMA" | sqlcipher -batch "$S/data.db" >"$WORK/wrong.txt" 2>&1
  grep -q "not a database" "$WORK/wrong.txt" || fail "the keys.db key does not open data.db"
  no_value "the shell never shows a sealed NIK" "$NIK" "$WORK/wrong.txt"
else
  fail "the sqlcipher shell is not installed (tools/setup.sh)"
fi
run 0 "the disclosure is in the audit log" -- audit accesses "$S" --suspect dpo-1 "${DPO[@]}"
[ "$(grep -c 'disclose_keys  allowed' "$OUT")" = 2 ] || fail "each disclosure is recorded"
run 0 "so is the denied one" -- audit accesses "$S" --suspect agent-17 "${DPO[@]}"
out_has "the denied disclosure" "disclose_keys  DENIED"

# rekey and KEK rotation
run 0 "keys rekey" -- keys rekey "$S"
out_has "a new generation" "key generation 2"
if command -v sqlcipher >/dev/null; then
  printf '%s\nSELECT count(*) FROM subjects;\n' "$DATA_PRAGMA" | sqlcipher -batch "$S/data.db" >"$WORK/old.txt" 2>&1
  grep -q "not a database" "$WORK/old.txt" || fail "after rekey the disclosed key no longer opens data.db"
fi
run 0 "keys rotate-kek" -- keys rotate-kek "$S" --json
out_has "a new KEK epoch" '"kek_epoch": 2'
run 0 "the store still checks" -- check "$S"
out_has "and holds its customers" "customers: 2"
run 0 "and reads them" -- get "$S" "$ID" "${DPO[@]}" --fields email
out_has "the email" "email: $EMAIL"

for v in "$EMAIL" "$NIK" "Siti Rahayu" "budi@example.com" "$NEW_PASSPHRASE" "cli test passphrase" "$RECOVERY_KEY"; do
  no_value "stderr of every command" "$v" "$ALL_ERR"
done
finish
