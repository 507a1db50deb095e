// amanah — CustomerStore: an encrypted store directory (keyslots, data.db, keys.db).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/audit.hpp>
#include <amanah/backup.hpp>
#include <amanah/clock.hpp>
#include <amanah/consent.hpp>
#include <amanah/export.hpp>
#include <amanah/key_provider.hpp>
#include <amanah/manifest.hpp>
#include <amanah/policy.hpp>
#include <amanah/record.hpp>
#include <amanah/retention.hpp>
#include <amanah/secret.hpp>

namespace amanah {

namespace detail {
struct StoreAccess;  // test-only internals
struct StoreImpl;
}  // namespace detail

struct CreateOptions {
  std::string label = "primary";         // label of the first unlock method
  std::shared_ptr<const Clock> clock{};  // the store's time; empty: the system clock
  AuditOptions audit{};                  // checkpoints, synchronous read records, alerts
  // Where each erasure is also written (backup.hpp): a file kept apart from the backups, which
  // a restore replays so that no erased customer comes back. Refused inside the store directory.
  std::shared_ptr<ErasureLedgerSink> erasure_ledger{};
};

struct OpenOptions {
  // A new manifest may add fields and purposes freely. Removing a field that holds data is
  // refused (InvalidManifest) unless this is set; then that field's values are erased.
  bool erase_removed_fields = false;
  std::shared_ptr<const Clock> clock{};  // the store's time; empty: the system clock
  AuditOptions audit{};                  // checkpoints, synchronous read records, alerts
  std::shared_ptr<ErasureLedgerSink> erasure_ledger{};  // as in CreateOptions
};

// The SQLCipher keys of a store's two databases (raw 32-byte keys: SQLCipher's own KDF is not
// used, and the cipher settings are SQLCipher 4's defaults). Whoever holds them and a copy of the
// files reads everything in it, sealed fields excepted: see disclose_database_keys().
struct DatabaseKeys {
  SecretBytes data_db{};         // data.db
  SecretBytes keys_db{};         // keys.db
  std::uint64_t generation = 0;  // the key generation (key_generation()); rekey() replaces them
};

struct UnlockMethod {
  std::string id{};     // slot id (hex)
  std::string kind{};   // provider kind: "passphrase", "raw", "recovery", or a plug-in's
  std::string label{};  // free text chosen when the method was added
};

// One open store. Move-only; closing happens on destruction (or close()).
// A store is opened by one CustomerStore at a time: a second open, from this process or another,
// fails with ErrorCode::StoreLocked until the first is closed. Share one instance between
// threads: reads (get, find, scan, size) run in parallel on their own connections and see only
// committed data; writes take turns.
class AMANAH_EXPORT CustomerStore {
 public:
  // Creates a new store in `dir` (which must not exist, or be an empty directory).
  // Fails with AlreadyExists over an existing store or a non-empty directory; on failure nothing
  // is left behind.
  [[nodiscard]] static CustomerStore create(const std::filesystem::path& dir,
                                            const KeyProvider& key,
                                            const CreateOptions& options = {});
  // The same, with the privacy manifest that says what the store may hold (kept in the store).
  [[nodiscard]] static CustomerStore create(const std::filesystem::path& dir,
                                            const KeyProvider& key, const Manifest& manifest,
                                            const CreateOptions& options = {});
  // Opens an existing store. WrongKey if no unlock method of `key`'s kind accepts it, Corrupt
  // if a store file is damaged, NotAStore if `dir` holds no store, StoreLocked if already open.
  [[nodiscard]] static CustomerStore open(const std::filesystem::path& dir, const KeyProvider& key);
  [[nodiscard]] static CustomerStore open(const std::filesystem::path& dir, const KeyProvider& key,
                                          const OpenOptions& options);
  // Opens with a (possibly changed) manifest, which replaces the stored one; see OpenOptions.
  // This is the key holder's act (whoever holds an unlock key could open the files anyway), so
  // the policy does not decide it; change_manifest() on an open store is decided.
  [[nodiscard]] static CustomerStore open(const std::filesystem::path& dir, const KeyProvider& key,
                                          const Manifest& manifest,
                                          const OpenOptions& options = {});

  CustomerStore(CustomerStore&&) noexcept;
  CustomerStore& operator=(CustomerStore&&) noexcept;
  CustomerStore(const CustomerStore&) = delete;
  CustomerStore& operator=(const CustomerStore&) = delete;
  ~CustomerStore();

  [[nodiscard]] const std::filesystem::path& path() const;
  [[nodiscard]] std::string store_id() const;

  // The manifest in force.
  [[nodiscard]] const Manifest& manifest() const;
  // Replaces the manifest of the open store (as open() with a manifest does). Needs the
  // manage_manifest action, and erase on the fields it would erase (erase_removed_fields);
  // recorded in the audit log.
  void change_manifest(const AccessContext& ctx, const Manifest& next,
                       const OpenOptions& options = {});

  // The access policy of the manifest in force, and the consent registry. Both live as long as
  // the store.
  [[nodiscard]] const AccessPolicy& policy() const;
  [[nodiscard]] ConsentRegistry& consents();
  // The tamper-evident audit log: verify it, and ask who touched whom (audit.hpp).
  [[nodiscard]] AuditLog& audit();
  // Retention rules, legal holds and the sweep (retention.hpp).
  [[nodiscard]] Retention& retention();

  // Erases a customer for good (needs `erase` on every field they hold): destroys their key,
  // values, blind-index entries and consents, except the fields a legal hold keeps (those stay,
  // restricted, until sweep() erases them when the hold ends); writes a tombstone; scrubs both
  // databases so no page, free page or WAL frame keeps an old value. Their audit entries stay
  // (pseudonyms and names, no values) and the chain still verifies. NotFound for an unknown id.
  ErasureReceipt erase(const AccessContext& ctx, const CustomerId& id,
                       ErasureReason reason = ErasureReason::subject_request);

  // The customer's rights. Each is an Action the policy decides, and recorded.
  // Access: one JSON document (format "amanah/subject-export/1") with every field the customer
  // holds (value, type, category, purposes with their legal basis, when it was collected, its
  // retention rule and erasure date), the consent history, objections, a legal hold, and the
  // access trail. Needs `export` on every field held (values shown through its masks) and
  // read_audit (the trail). Reaches a restricted customer.
  [[nodiscard]] std::string export_subject(const AccessContext& ctx, const CustomerId& id);
  // Corrects fields (`rectify` on each; validated like update). Reaches a restricted customer;
  // recorded as "rectify:<reason>" (`reason` a short name such as "customer_request", never
  // free text); both databases are scrubbed after, so the old value is kept nowhere in plain text.
  void rectify(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
               std::string_view reason);
  // Restricts processing (`restrict`): the customer is kept, but get, find, scan and update reach
  // them only through permits with `restricted = true` (others get Restricted, or skip them).
  // Erasure, export, rectification and objection still reach them. Idempotent.
  void restrict(const AccessContext& ctx, const CustomerId& id, std::string_view reason);
  void lift_restriction(const AccessContext& ctx, const CustomerId& id);
  // Records the customer's objection to `purpose` (`object`), whose basis must be
  // legitimate_interest or public_task: from then on requests for that purpose no longer reach
  // them (get and update give Objected; find and scan skip them).
  void object(const AccessContext& ctx, const CustomerId& id, std::string_view purpose);

  // Records. Every call names who, in which role and why (AccessContext), and the access policy
  // decides it before any data is touched: a denial throws AccessDenied carrying the Decision,
  // and is recorded like every access. Values are read per their field's input format
  // (Field::input: number style, currency, date pattern, phone country) and validated and
  // normalized by their field type;
  // a bad value is Error(Validation) naming the field, an undeclared field
  // Error(UndeclaredField), a clash on a unique field Error(Duplicate), and in each case nothing
  // is written. Sensitive and `encrypt` fields are sealed under the subject's own key.
  // For a purpose whose basis is consent, a customer without a live consent is invisible: get
  // and update give ConsentRequired, find and scan skip them (inserting needs no consent).
  [[nodiscard]] CustomerId insert(const AccessContext& ctx, const FieldValues& values,
                                  std::vector<Warning>* warnings = nullptr);
  // Needs `create` on every given field. Several inserts in one transaction: all or none. An
  // error about one record names its position in the batch ("record 3: ..."), and so do the
  // warnings (Warning::record).
  [[nodiscard]] std::vector<CustomerId> insert_many(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    std::vector<Warning>* warnings = nullptr);
  // Checks a batch as insert_many would, writing nothing, and reports every problem of every
  // record in one pass (an importer's report): empty when insert_many would take the batch as it
  // is now. Needs `create` on every declared field given (it tells whether a unique value is
  // taken); recorded as a "validate" entry.
  [[nodiscard]] std::vector<RecordProblem> validate(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    std::vector<Warning>* warnings = nullptr);
  // The same with per-import input formats (a spreadsheet's conventions): each option set in
  // `formats` for a field overrides the field's own `input`, an unset one falls back to it.
  // Formats naming an undeclared field, or an option invalid for the field's type, are
  // Error(InvalidArgument) and nothing is written. The calls without `formats` (and update,
  // rectify and find) read values per the manifest's formats.
  [[nodiscard]] std::vector<CustomerId> insert_many(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    const InputFormats& formats,
                                                    std::vector<Warning>* warnings = nullptr);
  [[nodiscard]] std::vector<RecordProblem> validate(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    const InputFormats& formats,
                                                    std::vector<Warning>* warnings = nullptr);
  // The same for one batch of an import sent in several (record.hpp, ValidationScope): checked
  // against the records `scope` accepted before too, positions counted from its first record,
  // and the batch's accepted records added to it. Error(InvalidArgument) for a scope filled by
  // another store.
  [[nodiscard]] std::vector<RecordProblem> validate(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    ValidationScope& scope,
                                                    std::vector<Warning>* warnings = nullptr);
  [[nodiscard]] std::vector<RecordProblem> validate(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    const InputFormats& formats,
                                                    ValidationScope& scope,
                                                    std::vector<Warning>* warnings = nullptr);
  // The subject's record. With `fields`, needs `read` on each; without, returns exactly the
  // fields the caller may read (AccessDenied if none). Each value is shown through the mask the
  // decision gives (Mask::nullify leaves the field out). Error(NotFound) for an unknown id.
  [[nodiscard]] Record get(const AccessContext& ctx, const CustomerId& id,
                           const std::vector<std::string>& fields = {});
  // Changes only the given fields (std::nullopt clears one); needs `update` on each.
  void update(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
              std::vector<Warning>* warnings = nullptr);
  // Subjects whose `field` (declared with lookup) equals `value` after normalization; needs
  // `read` on `field`.
  [[nodiscard]] std::vector<CustomerId> find(const AccessContext& ctx, std::string_view field,
                                             std::string_view value);
  // Every record the caller may see, streamed in batches; fields and masks as for get().
  [[nodiscard]] RecordScan scan(const AccessContext& ctx, std::vector<std::string> fields = {});
  // Groups of subjects sharing a normalized email, phone, NIK or NPWP (each group sorted, size
  // >= 2): a legacy 15-digit NPWP matches its 16-digit form, and a 16-digit NPWP that is a NIK
  // matches that NIK. Needs `read` on each email, phone, NIK and NPWP field (the values are
  // compared, never shown).
  [[nodiscard]] std::vector<std::vector<CustomerId>> find_duplicates(const AccessContext& ctx);
  // Folds `absorb` into `keep` in one transaction: fields `keep` lacks are taken from `absorb`,
  // then `absorb` is deleted (its key destroyed, its consents with it). Needs `update` on the
  // fields moved and `erase` on every field `absorb` holds.
  void merge(const AccessContext& ctx, const CustomerId& keep, const CustomerId& absorb);
  // Number of subjects.
  [[nodiscard]] std::size_t size() const;

  // Unlock methods. Adding one wraps the root key for `key`; removing one deletes its slot.
  // The last method cannot be removed (InvalidOperation).
  [[nodiscard]] std::vector<UnlockMethod> unlock_methods() const;
  std::string add_unlock_method(const KeyProvider& key, std::string_view label);
  void remove_unlock_method(std::string_view id);
  // Adds a recovery-key slot and returns the printable key: show it once, keep it offline.
  [[nodiscard]] SecretBytes add_recovery_key(std::string_view label = "recovery");

  // Operations (backup.hpp; the README's operations section).
  // An online, consistent copy of the whole store in `dir` (which must not exist, outside the
  // store's directory): every change committed before it, none after, while other threads go on
  // writing. Still encrypted: a store directory of its own that opens with the store's unlock
  // methods, or only with `options.key`. Built in a hidden staging directory and renamed into
  // place, so a crash never leaves half a backup. Needs the `backup` action; recorded, and the
  // copy holds that entry. The copy is key material: whoever holds it and an unlock key reads
  // every customer in it, including those erased after it (restore() replays the erasures).
  BackupInfo backup(const AccessContext& ctx, const std::filesystem::path& dir,
                    const BackupOptions& options = {});
  // Reads every page of both databases (HMACs and SQLite's integrity check) and the audit chain:
  // Corrupt naming the file at the first problem, else the counts.
  [[nodiscard]] CheckReport check();

  // Re-encrypts data.db and keys.db under fresh keys derived from the root key (generation + 1).
  // A copy of a database file taken before rekey() does not open with the new keys. Crash-safe:
  // an interrupted rekey is completed by the next open.
  void rekey();
  [[nodiscard]] std::uint64_t key_generation() const;
  // Hands out the raw SQLCipher keys of data.db and keys.db, e.g. to open the files with the
  // `sqlcipher` shell (PRAGMA key = "x'<64 hex>'";) when amanah is not at hand. Needs the
  // disclose_keys action (no built-in role has it) and is recorded in the audit log as
  // "disclose_keys" before the keys are returned. Values of sensitive and `encrypt` fields stay
  // sealed under each customer's key; the rest of data.db is readable with them. They stay valid
  // until rekey(), which is the remedy once they are no longer needed.
  [[nodiscard]] DatabaseKeys disclose_database_keys(const AccessContext& ctx);
  // Re-wraps every customer key under a fresh random key-encryption key (KEK epoch + 1) and
  // destroys the old KEK: from then on, no copy of keys.db taken before the rotation opens any
  // customer key with the current keyslots, so an erased customer's key in such a copy is gone
  // for good. Copies of the old keyslots file still hold the old KEK: keep none past a rotation.
  // Crash-safe: an interrupted rotation is completed by the next open. The key holder's act, like
  // rekey() (the policy does not decide it). Waits for calls in flight; blocks all others.
  void rotate_kek();
  [[nodiscard]] std::uint64_t kek_epoch() const;

  // Closes the databases and releases the store lock. Idempotent; the destructor calls it.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept;

 private:
  using Impl = detail::StoreImpl;
  explicit CustomerStore(std::unique_ptr<Impl> impl);
  Impl& live() const;  // Error(InvalidOperation) on a moved-from store
  friend struct detail::StoreAccess;
  std::unique_ptr<Impl> impl_;
};

}  // namespace amanah
