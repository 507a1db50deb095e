# import: a messy spreadsheet all or nothing and with --skip-bad (exact lines and codes, never a
# value), quoting/BOM/';'/CRLF with the right line numbers, --dry-run, a kill while writing, and
# the exit statuses.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CHEAP=(--argon2-memory-mib 19 --argon2-iterations 2)
CTX=(--actor importer-1 --role support --purpose service)
MAP="Nama Lengkap=full_name,Email=email,No HP=phone,NIK=nik,Tanggal Lahir=birth_date"
mkstore() { expect 0 "init $1" -- init "$WORK/$1" --manifest "$MANIFEST" "${CHEAP[@]}"; }
json_has() { out_has "$1" "$2"; }

# 200 customers, row i on line i+1. Phones in four formats; row i (i % 40 == 2) has row i-1's
# phone in another format (5 likely-duplicate pairs). NIKs: women's (day + 40) on odd rows.
# Bad rows (line = i + 1): 7 bad email, 13 short phone, 20 NIK of 10 digits, 33 unknown
# province, 25/75/125/175 row i-1's email in other case (Duplicate), 60 no mapped value
# (InvalidArgument),
# 150 bad email and short phone. Row 90: a NIK whose birth-date digits are no date (a warning).
awk 'BEGIN {
  print "Nama Lengkap,Email,No HP,NIK,Tanggal Lahir,Catatan"
  for (i = 1; i <= 200; i++) {
    name = (i % 10 == 0) ? sprintf("\"Pelanggan %d, S.E.\"", i) : sprintf("Pelanggan %d", i)
    email = sprintf("user%d@example.com", i)
    if (i % 50 == 25) email = sprintf("USER%d@Example.COM", i - 1)
    if (i == 7 || i == 150) email = "user7-at-example.com"
    m = i % 4
    if (m == 1) phone = sprintf("0812-3456-%04d", i)
    if (m == 2) phone = sprintf("+62 812 3456 %04d", (i % 40 == 2) ? i - 1 : i)
    if (m == 3) phone = sprintf("628129876%04d", i)
    if (m == 0) phone = sprintf("(021) 555-%04d", i)
    if (i == 13 || i == 150) phone = "0812-34"
    day = 1 + i % 28 + (i % 2 == 1 ? 40 : 0)
    nik = sprintf("320101%02d%02d%02d%04d", day, 1 + i % 12, 80 + i % 20, i)
    if (i == 20) nik = "3201014101"
    if (i == 33) nik = sprintf("990101%02d%02d%02d%04d", day, 1 + i % 12, 80 + i % 20, i)
    if (i == 90) nik = "3201010513850090"
    birth = sprintf("19%02d-%02d-%02d", 80 + i % 20, 1 + i % 12, 1 + i % 28)
    if (i == 60) print ",,,,,catatan saja"
    else printf "%s,%s,%s,%s,%s,%s\n", name, email, phone, nik, birth, (i % 3 == 0 ? "VIP" : "")
  }
}' >"$WORK/messy.csv"
BAD_VALUES=("user7-at-example.com" "0812-34" "3201014101" "USER24@Example.COM" "990101")
cat >"$WORK/expected.rejects" <<'END'
8,email,Validation
14,phone,Validation
21,nik,Validation
26,email,Duplicate
34,nik,Validation
61,,InvalidArgument
76,email,Duplicate
126,email,Duplicate
151,email,Validation
151,phone,Validation
176,email,Duplicate
END

mkstore store
# All or nothing: every bad line reported on stderr, nothing written.
expect "$EXIT_VALIDATION" "all or nothing" -- import "$WORK/store" "$WORK/messy.csv" \
  --map "$MAP" "${CTX[@]}" --json
err_has "all or nothing: bad email" "line 8: field email: Validation: "
err_has "all or nothing: short phone" "line 14: field phone: Validation: phone number is too short"
err_has "all or nothing: duplicate" "line 26: field email: Duplicate: "
err_has "all or nothing: empty row" "line 61: InvalidArgument: a record to insert names no field"
err_has "all or nothing: warning" "line 91: field nik: warning: NIK birth date digits"
[ "$(grep -c '^line ' "$ERR")" -eq 12 ] || fail "all or nothing: 11 problems and 1 warning expected"
json_has "all or nothing: rows" '"rows_read": 200'
json_has "all or nothing: nothing imported" '"imported": 0'
json_has "all or nothing: rejected" '"rejected": 10'
json_has "all or nothing: store untouched" '"store_size": 0'
for v in "${BAD_VALUES[@]}"; do no_value "all or nothing" "$v" "$OUT" "$ERR"; done
# Same with batches of 8 (rows 24 and 25 fall in different batches: the scratch check).
expect "$EXIT_VALIDATION" "all or nothing, small batches" -- import "$WORK/store" \
  "$WORK/messy.csv" --map "$MAP" "${CTX[@]}" --batch 8 --json
json_has "small batches: rejected" '"rejected": 10'
json_has "small batches: store untouched" '"store_size": 0'
err_has "small batches: cross-batch duplicate" "line 26: field email: Duplicate: "

# --dry-run --skip-bad: the report, nothing written.
expect 0 "dry run" -- import "$WORK/store" "$WORK/messy.csv" --map "$MAP" "${CTX[@]}" \
  --skip-bad --dry-run --batch 8 --rejects "$WORK/dry.rejects.csv"
out_has "dry run: would import" "dry run: nothing written; 190 rows would be imported"
out_has "dry run: store size" "store size: 0 customers"

# --skip-bad: the good rows in, the bad ones listed by line, field and code.
expect 0 "skip bad" -- import "$WORK/store" "$WORK/messy.csv" --map "$MAP" "${CTX[@]}" \
  --skip-bad --batch 8 --json
json_has "skip bad: imported" '"imported": 190'
json_has "skip bad: rejected" '"rejected": 10'
json_has "skip bad: by code" '"Duplicate": 4'
json_has "skip bad: by code" '"Validation": 6'
json_has "skip bad: by code" '"InvalidArgument": 1'
json_has "skip bad: warnings" '"warnings": 1'
json_has "skip bad: duplicates" '"groups": 5'
json_has "skip bad: duplicate customers" '"customers": 10'
json_has "skip bad: store size" '"store_size": 190'
json_has "skip bad: ignored column" '"ignored_columns": [
    "Catatan"'
REJECTS="$WORK/messy.csv.rejects.csv"
[ "$(head -1 "$REJECTS")" = "line,field,code,message" ] || fail "rejects: header"
tail -n +2 "$REJECTS" | cut -d, -f1-3 | diff -q - "$WORK/expected.rejects" >/dev/null ||
  fail "rejects: lines, fields and codes differ from the expected ones"
diff -q "$REJECTS" "$WORK/dry.rejects.csv" >/dev/null || fail "dry run: rejects differ"
for v in "${BAD_VALUES[@]}" "user24@example.com" "Pelanggan"; do
  no_value "skip bad" "$v" "$OUT" "$ERR" "$REJECTS"
done
# Again: every row is now a duplicate of the store (or bad), nothing is added.
expect "$EXIT_VALIDATION" "again" -- import "$WORK/store" "$WORK/messy.csv" --map "$MAP" \
  "${CTX[@]}" --json
json_has "again: store size" '"store_size": 190'
json_has "again: all rejected" '"rejected": 200'

# BOM, ';', CRLF, a newline inside quotes: line numbers follow the file's lines.
printf '\xEF\xBB\xBFfull_name;email;phone\r\n"Budi\r\nSantoso";budi@example.com;0812-1111-2222\r\n"Siti; S.E.";siti-at-example;0812-3333-4444\r\n"A\r\n\r\nB";ab@example.com;0812\r\n;;\r\nLast;last@example.com;0812-5555-6666' \
  >"$WORK/quoted.csv"
mkstore store_q
expect "$EXIT_VALIDATION" "quoted" -- import "$WORK/store_q" "$WORK/quoted.csv" "${CTX[@]}" --json
err_has "quoted: row after a quoted newline" "line 4: field email: Validation"
err_has "quoted: row spanning three lines" "line 5: field phone: Validation"
json_has "quoted: delimiter" '"delimiter": ";"'
json_has "quoted: rows (blank row skipped)" '"rows_read": 4'
expect 0 "quoted, skip bad" -- import "$WORK/store_q" "$WORK/quoted.csv" "${CTX[@]}" --skip-bad
out_has "quoted: imported" "imported: 2"
grep -q '^9,email,Validation' "$WORK/quoted.csv.rejects.csv" && fail "quoted: line drift"
grep -q '^4,email,Validation' "$WORK/quoted.csv.rejects.csv" || fail "quoted: rejects line 4"

# Exit statuses.
mkstore store_x
AMANAH_PASSPHRASE="not the passphrase" expect "$EXIT_WRONG_KEY" "wrong passphrase" -- \
  import "$WORK/store_x" "$WORK/messy.csv" --map "$MAP" "${CTX[@]}"
expect "$EXIT_INVALID_ARGUMENT" "missing context" -- import "$WORK/store_x" "$WORK/messy.csv" \
  --map "$MAP" --actor a --role support
expect "$EXIT_INVALID_ARGUMENT" "unknown column" -- import "$WORK/store_x" "$WORK/messy.csv" \
  --map "Nope=email" "${CTX[@]}"
err_has "unknown column: named" 'no column "Nope"'
expect "$EXIT_UNDECLARED_FIELD" "undeclared field" -- import "$WORK/store_x" "$WORK/messy.csv" \
  --map "Email=e_mail" "${CTX[@]}"
expect "$EXIT_ACCESS_DENIED" "role may not create" -- import "$WORK/store_x" "$WORK/messy.csv" \
  --map "$MAP" --actor a --role marketing --purpose marketing
printf 'full_name,email\n"open quote,a@example.com\n' >"$WORK/unbalanced.csv"
expect "$EXIT_INVALID_ARGUMENT" "unbalanced quote" -- import "$WORK/store_x" \
  "$WORK/unbalanced.csv" "${CTX[@]}"
err_has "unbalanced quote: line" "line 2: malformed CSV"

# Per-import input formats: this file writes dates month first, which the manifest's DD/MM/YYYY
# refuses; --input birth_date.date=MM/DD/YYYY reads it for this import only.
printf 'full_name,birth_date\nAmerican Format,12/25/1990\n' >"$WORK/us_dates.csv"
mkstore store_in
expect "$EXIT_VALIDATION" "input: the manifest's date format refuses month first" -- import \
  "$WORK/store_in" "$WORK/us_dates.csv" "${CTX[@]}"
expect 0 "input: month first for this import" -- import "$WORK/store_in" "$WORK/us_dates.csv" \
  "${CTX[@]}" --input birth_date.date=MM/DD/YYYY --json
json_has "input: imported" '"imported": 1'
expect "$EXIT_INVALID_ARGUMENT" "input: unknown option" -- import "$WORK/store_in" \
  "$WORK/us_dates.csv" "${CTX[@]}" --input birth_date.colour=red --dry-run
expect "$EXIT_INVALID_ARGUMENT" "input: undeclared field" -- import "$WORK/store_in" \
  "$WORK/us_dates.csv" "${CTX[@]}" --input shoe_size.date=DD/MM/YYYY --dry-run
expect "$EXIT_INVALID_ARGUMENT" "input: option not for the type" -- import "$WORK/store_in" \
  "$WORK/us_dates.csv" "${CTX[@]}" --input full_name.currency=IDR --dry-run

# A kill while writing leaves whole batches: 20,000 rows in batches of 100, killed once the second
# pass has begun (the process then has the file open twice: the first pass's reader stays open).
awk 'BEGIN { print "full_name,email,phone"
  for (i = 1; i <= 20000; i++) printf "Customer %d,c%d@example.com,+62 812 %07d\n", i, i, i }' \
  >"$WORK/big.csv"
mkstore store_k
"$AMANAH_BIN" import "$WORK/store_k" "$WORK/big.csv" "${CTX[@]}" --batch 100 >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  opened=$(find "/proc/$PID/fd" -lname "$WORK/big.csv" 2>/dev/null | wc -l)
  [ "$opened" -ge 2 ] && break
  sleep 0.05
done
sleep 0.3
kill -9 "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
printf 'full_name\nOne more\n' >"$WORK/one.csv"
expect 0 "after the kill" -- import "$WORK/store_k" "$WORK/one.csv" "${CTX[@]}" --dry-run --json
size=$(sed -n 's/^  "store_size": \([0-9]*\).*/\1/p' "$OUT")
if [ -z "$size" ] || [ $((size % 100)) -ne 0 ]; then fail "kill: a partial batch was committed"; fi
if [ -n "$size" ] && { [ "$size" -eq 0 ] || [ "$size" -ge 20000 ]; }; then
  fail "kill: the kill did not land while writing (store size $size)"
fi
finish
