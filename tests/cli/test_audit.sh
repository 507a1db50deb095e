# The audit log: verify, a customer's trail, one actor's accesses, a breach's scope.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S="$WORK/store"


store_with_siti
run 0 "add another" -- add "$S" "${SUPPORT[@]}" <<<"email=budi@example.com"
OTHER=$(cat "$OUT")
run 0 "a read by agent-17" -- get "$S" "$ID" "${SUPPORT[@]}" --fields email,nik
run "$EXIT_ACCESS_DENIED" "a denied read by a marketer" -- get "$S" "$ID" --actor mallory --role marketing --purpose marketing --fields nik

# verify
run 0 "audit verify" -- audit verify "$S"
out_has "verify reports the entries" "entries"
run 0 "audit verify --json" -- audit verify "$S" --json
out_has "verify --json ok" '"ok": true'
run "$EXIT_NOT_FOUND" "verify against a missing checkpoint file" -- audit verify "$S" --checkpoints "$WORK/none"
run "$EXIT_INVALID_ARGUMENT" "a malformed public key" -- audit verify "$S" --checkpoints "$WORK/none" --public-key xyz

# trail
run 0 "audit trail" -- audit trail "$S" "$ID" "${DPO[@]}"
out_has "the trail names the reader" "agent-17 as support for service  read [email,nik]  allowed"
out_has "and the denial" "mallory as marketing for marketing  read [nik]  DENIED"
out_has "and the creation" "create"
run 0 "audit trail --json" -- audit trail "$S" "$ID" "${DPO[@]}" --json
out_has "the trail's entries have roles" '"roles": ['
grep -q "budi" "$OUT" && fail "the trail is about one customer"
run 0 "audit trail in a window before anything" -- audit trail "$S" "$ID" "${DPO[@]}" --from 2000-01-01 --to 2000-01-02
out_has "an empty window" "no entries"
run "$EXIT_ACCESS_DENIED" "audit trail by support" -- audit trail "$S" "$ID" "${SUPPORT[@]}"
run "$EXIT_INVALID_ARGUMENT" "a malformed time" -- audit trail "$S" "$ID" "${DPO[@]}" --from yesterday
run 0 "the trail of an unknown customer is empty" -- audit trail "$S" 0123456789abcdef0123456789abcdef "${DPO[@]}"
out_has "nobody touched them" "no entries"

# accesses and breach scope: the actor in question is --suspect, the caller --actor.
run 0 "audit accesses" -- audit accesses "$S" --suspect agent-17 "${DPO[@]}"
out_has "accesses lists agent-17's entries" "agent-17 as support"
run 0 "breach-scope" -- audit breach-scope "$S" --suspect agent-17 --from 2000-01-01 --to 2100-01-01 "${DPO[@]}"
out_has "the customers touched" "customers touched: 2"
out_has "the fields (created and read)" "nik=2"
out_has "the categories" "sensitive=2"
run 0 "breach-scope --json" -- audit breach-scope "$S" --suspect agent-17 --from 2000-01-01 --to 2100-01-01 "${DPO[@]}" --json
out_has "breach-scope --json names the ids" "\"$OTHER\""
run 0 "breach-scope of a denied actor" -- audit breach-scope "$S" --suspect mallory --from 2000-01-01 --to 2100-01-01 "${DPO[@]}"
out_has "mallory touched nobody" "customers touched: 0"
out_has "mallory was denied" "(1 denied)"
run "$EXIT_USAGE" "breach-scope with --actor only (the caller's option)" -- audit breach-scope "$S" --actor agent-17 --role dpo --purpose service --from 2000-01-01 --to 2100-01-01
run "$EXIT_INVALID_ARGUMENT" "breach-scope with --to before --from" -- audit breach-scope "$S" --suspect agent-17 --from 2100-01-01 --to 2000-01-01 "${DPO[@]}"
run "$EXIT_ACCESS_DENIED" "breach-scope by support" -- audit breach-scope "$S" --suspect agent-17 --from 2000-01-01 --to 2100-01-01 "${SUPPORT[@]}"

# The queries were recorded, and the log still verifies.
run 0 "audit accesses of the DPO" -- audit accesses "$S" --suspect dpo-1 "${DPO[@]}"
out_has "the DPO's queries are recorded" "dpo-1 as dpo for service  read_audit  allowed"
run 0 "audit verify after the queries" -- audit verify "$S"

# A damaged data.db: one byte flipped inside its first page. A page's HMAC finds it: Corrupt.
cp -r "$S" "$WORK/damaged"
printf '\xff' | dd of="$WORK/damaged/data.db" bs=1 seek=2000 conv=notrunc status=none
run "$EXIT_CORRUPT" "audit verify of a damaged store" -- audit verify "$WORK/damaged"

# An edit made with the keys (db-key and the sqlcipher shell): the pages are sound, the chain is
# not. A batch of entries in the middle of the log deleted: AuditTampered, explained.
if command -v sqlcipher >/dev/null; then
  cp -r "$S" "$WORK/edited"
  run 0 "db-key" -- db-key "$WORK/edited" --i-understand-this-discloses-the-database-keys "${DPO[@]}"
  { grep -A1 '^-- data.db' "$OUT" | tail -1
    echo "DELETE FROM audit_log WHERE first = (SELECT first FROM audit_log ORDER BY first LIMIT 1 OFFSET 1);"
  } >"$WORK/edit.sql"
  sqlcipher -batch "$WORK/edited/data.db" <"$WORK/edit.sql" >/dev/null 2>&1 || fail "the shell edits the log"
  run "$EXIT_AUDIT_TAMPERED" "audit verify of an edited log" -- audit verify "$WORK/edited"
  out_has "verify explains the problem" "deleted"
  run "$EXIT_AUDIT_TAMPERED" "audit verify --json of an edited log" -- audit verify "$WORK/edited" --json
  out_has "the problem's kind" '"kind": "deleted"'
else
  fail "the sqlcipher shell is not installed (tools/setup.sh)"
fi

for v in "$EMAIL" "$NIK" "Siti Rahayu" "budi@example.com"; do
  no_value "stderr of every command" "$v" "$ALL_ERR"
done
finish
