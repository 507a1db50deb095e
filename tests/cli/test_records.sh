# One customer at a time: add, get, find, export, rectify, restrict, erase, consent, sweep.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S="$WORK/store"
LEDGER="$WORK/erasures.ledger"

MARKETING=(--actor campaign --role marketing --purpose marketing)
NAME="Siti Rahayu" EMAIL="siti.rahayu@example.com" PHONE="+6281234567890"
NIK="3174015505900001" CARD="4111111111111111"
SITI="full_name=$NAME
email=$EMAIL
phone=$PHONE
nik=$NIK
birth_date=1990-05-15
card=$CARD"

run 0 "init" -- init "$S" --manifest "$MANIFEST" --argon2-memory-mib 19 --argon2-iterations 2

# add: field=value lines from stdin, never from the command line.
run 0 "add" -- add "$S" "${SUPPORT[@]}" <<<"$SITI"
ID=$(cat "$OUT")
[[ "$ID" =~ ^[0-9a-f]{32}$ ]] || fail "add prints a customer id"
run 0 "add a second customer" -- add "$S" "${SUPPORT[@]}" <<<"full_name=Budi Santoso
email=budi@example.com"
BUDI=$(cat "$OUT")
run 0 "add --json" -- add "$S" "${SUPPORT[@]}" --json <<<"full_name=Third Person"
out_has "add --json has the id" '"id": "'
run "$EXIT_VALIDATION" "add with a bad email" -- add "$S" "${SUPPORT[@]}" <<<"email=not-an-email-$NIK"
err_has "a validation error names the field" "email"
run "$EXIT_DUPLICATE" "add with a taken email" -- add "$S" "${SUPPORT[@]}" <<<"email=$EMAIL"
run "$EXIT_INVALID_ARGUMENT" "add: a line without =" -- add "$S" "${SUPPORT[@]}" <<<"$NIK"
err_has "names the line" "input line 1"
run "$EXIT_INVALID_ARGUMENT" "add: nothing given" -- add "$S" "${SUPPORT[@]}" </dev/null
run "$EXIT_UNDECLARED_FIELD" "add: an undeclared field" -- add "$S" "${SUPPORT[@]}" <<<"shoe_size=42"
run "$EXIT_ACCESS_DENIED" "add as a role without create" -- add "$S" "${MARKETING[@]}" <<<"email=x@example.com"

# get
run 0 "get" -- get "$S" "$ID" "${SUPPORT[@]}"
out_has "get shows the email" "email: $EMAIL"
out_has "get shows the NIK masked" "nik: ************0001"
no_value "support sees the NIK masked only" "$NIK" "$OUT"
out_has "get shows the birth date as its year" "birth_date: 1990"
run 0 "get --fields" -- get "$S" "$ID" "${SUPPORT[@]}" --fields email,phone --json
out_has "get --json" "\"email\": \"$EMAIL\""
grep -q full_name "$OUT" && fail "get --fields returns only the fields asked for"
run "$EXIT_NOT_FOUND" "get an unknown id" -- get "$S" 0123456789abcdef0123456789abcdef "${SUPPORT[@]}"
run "$EXIT_INVALID_ARGUMENT" "get a malformed id" -- get "$S" not-an-id "${SUPPORT[@]}"
run "$EXIT_ACCESS_DENIED" "get as a role without read" -- get "$S" "$ID" --actor job --role operator --purpose service
err_has "a denial explains itself" "deny"
run "$EXIT_ACCESS_DENIED" "marketing never sees the NIK" -- get "$S" "$ID" "${MARKETING[@]}" --fields nik
run "$EXIT_INVALID_ARGUMENT" "get without a caller" -- get "$S" "$ID"
err_has "names what is missing" "--actor"
AMANAH_PASSPHRASE="wrong passphrase" run "$EXIT_WRONG_KEY" "get with a wrong passphrase" -- get "$S" "$ID" "${SUPPORT[@]}"
run "$EXIT_NOT_A_STORE" "get from a directory that is no store" -- get "$WORK" "$ID" "${SUPPORT[@]}"

# find
run 0 "find by email" -- find "$S" email "$EMAIL" "${SUPPORT[@]}"
out_has "find gives the id" "$ID"
run 0 "find --value-from - (normalized)" -- find "$S" email --value-from - "${SUPPORT[@]}" <<<"SITI.RAHAYU@EXAMPLE.COM"
out_has "find from stdin gives the id" "$ID"
run 0 "find a NIK from stdin" -- find "$S" nik --value-from - "${SUPPORT[@]}" --json <<<"$NIK"
out_has "find --json" "\"$ID\""
run 0 "find nothing" -- find "$S" email nobody@example.com "${SUPPORT[@]}"
out_has "find says none" "no customer found"
run "$EXIT_INVALID_ARGUMENT" "find without a value" -- find "$S" email "${SUPPORT[@]}"
run "$EXIT_USAGE" "find: VALUE and --value-from" -- find "$S" email x --value-from - "${SUPPORT[@]}"

# consent
run "$EXIT_CONSENT_REQUIRED" "marketing before consent" -- get "$S" "$ID" "${MARKETING[@]}"
run 0 "consent grant" -- consent grant "$S" "$ID" marketing "${SUPPORT[@]}" --source signup-form --notice-version 2026-01 --language id --expires 2030-01-01
out_has "grant shows the purpose" "marketing"
run 0 "marketing after consent" -- get "$S" "$ID" "${MARKETING[@]}"
out_has "marketing reads the email" "email: $EMAIL"
grep -q "phone" "$OUT" && fail "marketing reads only the email"
run "$EXIT_INVALID_ARGUMENT" "consent to a non-consent purpose" -- consent grant "$S" "$ID" service "${SUPPORT[@]}" --source form --notice-version 1
run "$EXIT_INVALID_ARGUMENT" "consent with an unknown method" -- consent grant "$S" "$ID" marketing "${SUPPORT[@]}" --source form --notice-version 1 --method telepathy
run "$EXIT_ACCESS_DENIED" "consent by a role without manage_consent" -- consent grant "$S" "$ID" marketing "${MARKETING[@]}" --source form --notice-version 1
run 0 "consent withdraw" -- consent withdraw "$S" "$ID" marketing "${SUPPORT[@]}" --source call-centre
run "$EXIT_CONSENT_REQUIRED" "marketing after withdrawal" -- get "$S" "$ID" "${MARKETING[@]}"
run 0 "consent show" -- consent show "$S" "$ID"
out_has "show gives the state" "marketing: withdrawn"
out_has "show gives the history" "signup-form"
run 0 "consent show --json" -- consent show "$S" "$ID" --json
out_has "show --json" '"marketing": "withdrawn"'

# export (access request)
run 0 "export" -- export "$S" "$ID" "${DPO[@]}"
out_has "export is the subject export" "amanah/subject-export/1"
out_has "export holds the NIK unmasked" "$NIK"
run "$EXIT_ACCESS_DENIED" "export by support" -- export "$S" "$ID" "${SUPPORT[@]}"
run 0 "export --output" -- export "$S" "$ID" "${DPO[@]}" --output "$WORK/siti.json"
[ "$(stat -c %a "$WORK/siti.json")" = 600 ] || fail "export --output writes a 0600 file"
grep -q "amanah/subject-export/1" "$WORK/siti.json" || fail "export --output writes the export"
no_value "export --output keeps it off stdout" "$NIK" "$OUT"
run "$EXIT_ALREADY_EXISTS" "export over an existing file" -- export "$S" "$ID" "${DPO[@]}" --output "$WORK/siti.json"

# rectify
run 0 "rectify" -- rectify "$S" "$ID" "${DPO[@]}" --reason customer_request <<<"phone=+6281299998888
birth_date="
out_has "rectify names the fields" "phone, birth_date"
run 0 "get after rectify" -- get "$S" "$ID" "${DPO[@]}"
out_has "the new phone" "phone: +6281299998888"
grep -q "birth_date" "$OUT" && fail "field= clears the field"
run "$EXIT_VALIDATION" "rectify with a bad value" -- rectify "$S" "$ID" "${DPO[@]}" --reason customer_request <<<"email=bad-$PHONE"
run "$EXIT_ACCESS_DENIED" "rectify by support" -- rectify "$S" "$ID" "${SUPPORT[@]}" --reason x <<<"phone=+6281299997777"

# restrict
run 0 "restrict" -- restrict "$S" "$ID" "${DPO[@]}" --reason disputed
run "$EXIT_RESTRICTED" "support cannot reach a restricted customer" -- get "$S" "$ID" "${SUPPORT[@]}"
run 0 "the DPO's restricted permit reaches them" -- get "$S" "$ID" "${DPO[@]}"
run "$EXIT_INVALID_ARGUMENT" "restrict without a reason" -- restrict "$S" "$ID" "${DPO[@]}"
run 0 "lift" -- restrict "$S" "$ID" "${DPO[@]}" --lift
run 0 "support reaches them again" -- get "$S" "$ID" "${SUPPORT[@]}"

# erase
run "$EXIT_INVALID_ARGUMENT" "erase without a ledger" -- erase "$S" "$BUDI" "${DPO[@]}" --reason subject_request
run "$EXIT_INVALID_ARGUMENT" "erase with an unknown reason" -- erase "$S" "$BUDI" "${DPO[@]}" --reason because --ledger "$LEDGER"
run "$EXIT_ACCESS_DENIED" "erase by support" -- erase "$S" "$BUDI" "${SUPPORT[@]}" --reason subject_request --ledger "$LEDGER"
run 0 "erase" -- erase "$S" "$BUDI" "${DPO[@]}" --reason subject_request --ledger "$LEDGER"
out_has "the receipt lists the erased fields" "erased fields: email, full_name"
out_has "the receipt says the key is gone" "customer key destroyed: yes"
[ "$(grep -c '^amanah-erasure 1 ' "$LEDGER")" = 1 ] || fail "the erasure is in the ledger"
run "$EXIT_NOT_FOUND" "get after erase" -- get "$S" "$BUDI" "${DPO[@]}"
run "$EXIT_NOT_FOUND" "erase twice" -- erase "$S" "$BUDI" "${DPO[@]}" --reason subject_request --ledger "$LEDGER"
AMANAH_LEDGER="$LEDGER" run 0 "erase with a legal hold (ledger from AMANAH_LEDGER)" -- erase "$S" "$ID" "${DPO[@]}" --reason subject_request --json
out_has "the receipt holds the card" '"field": "card"'
out_has "under the transaction rule" '"hold": "retention.transaction"'
out_has "not complete" '"complete": false'
no_value "the receipt shows no value" "$CARD" "$OUT"
[ "$(grep -c '^amanah-erasure 1 ' "$LEDGER")" = 2 ] || fail "both erasures are in the ledger"
run "$EXIT_RESTRICTED" "what the hold keeps is restricted" -- get "$S" "$ID" "${SUPPORT[@]}"

# sweep
run 0 "sweep --dry-run" -- sweep "$S" "${DPO[@]}" --dry-run
out_has "a dry run says so" "dry run: nothing changed"
out_has "sweep counts" "customers checked:"
run "$EXIT_INVALID_ARGUMENT" "sweep without a ledger" -- sweep "$S" "${DPO[@]}"
run "$EXIT_ACCESS_DENIED" "sweep by support" -- sweep "$S" "${SUPPORT[@]}" --ledger "$LEDGER"
run 0 "sweep --json" -- sweep "$S" "${DPO[@]}" --ledger "$LEDGER" --json
out_has "sweep --json" '"dry_run": false'

# No value ever reached stderr.
for v in "$NAME" "$EMAIL" "$PHONE" "$NIK" "$CARD" "Budi Santoso" "budi@example.com" "+6281299998888"; do
  no_value "stderr of every command" "$v" "$ALL_ERR"
done
finish
