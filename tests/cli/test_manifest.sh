# init, manifest check and report processing: a store made from the example manifest, the summary
# a data-protection officer reads, and the record of processing activities.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CHEAP=(--argon2-memory-mib 19 --argon2-iterations 2)

# init: a new store, its id and unlock method.
expect 0 "init" -- init "$WORK/store" --manifest "$MANIFEST" "${CHEAP[@]}" --label ops
out_has "init: store id" "created store "
out_has "init: unlock method" 'unlock method: passphrase "ops"'
no_value "init: passphrase" "$AMANAH_PASSPHRASE" "$OUT" "$ERR"
expect 0 "init --json" -- init "$WORK/store2" --manifest "$MANIFEST" "${CHEAP[@]}" --json
out_has "init --json: store id" '"store_id": "'
out_has "init --json: kind" '"kind": "passphrase"'
expect "$EXIT_ALREADY_EXISTS" "init over a store" -- \
  init "$WORK/store" --manifest "$MANIFEST" "${CHEAP[@]}"
expect "$EXIT_USAGE" "init: Argon2 below the floor" -- \
  init "$WORK/store3" --manifest "$MANIFEST" --argon2-memory-mib 8
# The store opens with the passphrase it was made with, and only with it.
expect 0 "report from the store" -- report processing "$WORK/store"
AMANAH_PASSPHRASE="not the passphrase" expect "$EXIT_WRONG_KEY" "wrong passphrase" -- \
  report processing "$WORK/store"

# manifest check: the summary.
expect 0 "manifest check" -- manifest check "$MANIFEST"
out_has "check: valid" "privacy.toml: valid"
out_has "check: store name" "store: Toko Contoh"
out_has "check: purpose and basis" "marketing      consent"
out_has "check: description" "Run the customer account and deliver orders"
out_has "check: category" "  sensitive (sealed under each customer's own key)"
out_has "check: field flags" "lookup, unique, encrypted per customer, mask last4"
out_has "check: retention" "retention: 10y (legal_obligation: kept against erasure requests)"
out_has "check: role" "break_glass    Emergency access"
out_has "check: who may see what" "who may see what"
out_has "check: masked read" "nik [last4]"
out_has "check: marketing reads email" "      read     email"
out_has "check: store-wide action" "store-wide: manage_consent (for service, marketing)"
out_has "check: forbid" "forbidden by marketing-never-sees-sensitive: any action on category sensitive"
expect 0 "manifest check --json" -- manifest check "$MANIFEST" --json
out_has "check --json: basis" '"basis": "consent"'
out_has "check --json: forbids" '"forbids": ['

# A broken manifest: InvalidManifest naming file and key.
sed 's/basis = "consent"/basis = "whim"/' "$MANIFEST" >"$WORK/broken.toml"
expect "$EXIT_INVALID_MANIFEST" "manifest check: broken" -- manifest check "$WORK/broken.toml"
err_has "broken: names the file" "broken.toml"
err_has "broken: names the key" "basis"
expect "$EXIT_INVALID_MANIFEST" "init: broken manifest" -- \
  init "$WORK/store4" --manifest "$WORK/broken.toml" "${CHEAP[@]}"
[ -e "$WORK/store4" ] && fail "init: a broken manifest left a directory"

# report processing: the Markdown record of processing activities.
expect 0 "report processing" -- report processing --manifest "$MANIFEST"
for heading in "# Record of processing activities: Toko Contoh" "## Controller" \
  "## Purposes of processing" "## Categories of personal data" "### sensitive" "## Recipients" \
  "## Retention" "## Technical and organisational security measures"; do
  grep -qxF -- "$heading" "$OUT" || fail "report: heading missing: $heading"
done
out_has "report: purpose row" "| marketing | consent | Newsletters and promotions"
out_has "report: per-customer keys" "- Per-customer keys: nik sealed"
out_has "report: blind indexes" "- Blind indexes: email, phone, nik"
out_has "report: crypto-shredding" "Erasure by crypto-shredding"
out_has "report: retention" "- transaction: 10y"
expect 0 "report --output" -- report processing "$WORK/store" --output "$WORK/ropa.md"
grep -qxF "## Recipients" "$WORK/ropa.md" || fail "report --output: file lacks the recipients"
expect "$EXIT_INVALID_ARGUMENT" "report: no source" -- report processing
finish
