// The records service: customers' field values in data.db (the subjects table), validated,
// normalized, sealed where the manifest says, indexed for lookup, and recorded in the audit log.
// Every call is decided by the policy before any data is touched (records/records.cpp says which
// action each call needs); consent-based purposes reach only subjects with a live consent.
// Reads run on reader connections (shared gate only); writes on the writer (write lock).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <amanah/manifest.hpp>
#include <amanah/record.hpp>
#include <amanah/store.hpp>

#include "audit/log.hpp"
#include "consent/consents.hpp"
#include "db/db.hpp"
#include "index/blind_index.hpp"
#include "keys/subject_keys.hpp"
#include "policy/engine.hpp"
#include "policy/masks.hpp"
#include "records/doc.hpp"
#include "store/core.hpp"

namespace amanah::detail::records {

// A customer's processing state (subjects.state). Only permits that name the restricted state
// reach a customer who is not active.
enum class SubjectState : int {
  active = 0,
  restricted = 1,   // restrict(): kept, not processed
  erased_held = 2,  // erased but for the fields a legal hold keeps (subjects.held_until)
};

class Records {
 public:
  struct Services {
    keys::SubjectKeys& keys;
    index::BlindIndex& index;
    audit::Log& log;
    policy::Engine& policy;
    policy::Masks& masks;
    consent::Consents& consents;
  };
  Records(store::Core& core, const Services& s)
      : core_(core),
        keys_(s.keys),
        index_(s.index),
        log_(s.log),
        policy_(s.policy),
        masks_(s.masks),
        consents_(s.consents) {}
  Records(const Records&) = delete;
  Records& operator=(const Records&) = delete;

  // `formats`: per-import input formats over the fields' own (nullptr: the manifest's); one
  // naming an undeclared field or an option invalid for its type is Error(InvalidArgument).
  [[nodiscard]] std::vector<CustomerId> insert_many(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    std::vector<Warning>* warnings,
                                                    const InputFormats* formats = nullptr);
  [[nodiscard]] std::vector<RecordProblem> validate(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    std::vector<Warning>* warnings,
                                                    const InputFormats* formats = nullptr,
                                                    ValidationScope* scope = nullptr);
  [[nodiscard]] Record get(const AccessContext& ctx, const CustomerId& id,
                           const std::vector<std::string>& fields);
  void update(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
              std::vector<Warning>* warnings);
  // The customer's right to rectification: `rectify` on each changed field, reaching a restricted
  // customer too; recorded as "rectify:<reason>" (`reason` checked by the caller: a short name).
  // The caller scrubs afterwards, so the old value is kept nowhere in plain text.
  void rectify(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
               std::string_view reason);
  [[nodiscard]] std::vector<CustomerId> find(const AccessContext& ctx, std::string_view field,
                                             std::string_view value);
  [[nodiscard]] RecordScan scan(const AccessContext& ctx, std::vector<std::string> fields);
  [[nodiscard]] std::vector<std::vector<CustomerId>> find_duplicates(const AccessContext& ctx);
  void merge(const AccessContext& ctx, const CustomerId& keep, const CustomerId& absorb);
  [[nodiscard]] std::size_t size();

  // The batch of a scan after row `after` (row order), which it advances: the records `d` lets
  // the caller see, masked (unmasked with `raw`: find_duplicates compares, never shows). Empty
  // only at the end (a batch in which no subject has consent is skipped).
  [[nodiscard]] std::vector<Record> scan_batch(const AccessContext& ctx, const Decision& d,
                                               std::int64_t& after, bool raw = false);

  // Makes `next` the manifest in force: checks what it would do to stored values, erases or
  // re-indexes as it says, and keeps it in data.db (one transaction). Write lock held. With a
  // context (change_manifest on an open store) the change is decided and recorded; without one
  // it is the key holder's, at open.
  void adopt_manifest(const Manifest& next, const OpenOptions& options,
                      const AccessContext* ctx = nullptr, std::string_view rules = {});
  // At open, with the stored manifest in force and the write lock held: recomputes the blind-index
  // tags of the lookup fields whose type a schema step marked for it (amanah_meta's
  // 'reindex_types', store/layout.hpp), and deletes the mark, in one transaction.
  void finish_reindex();
  // change_manifest on an open store: needs manage_manifest, and erase on the fields it would
  // erase; recorded.
  void change_manifest(const AccessContext& ctx, const Manifest& next, const OpenOptions& options);
  // --- for the retention and rights services (the caller holds the gate)
  // A subject as stored, for the calls that act on one customer's whole record.
  struct Subject {
    CustomerId id;
    std::int64_t row = 0;
    std::string key_id;
    Doc doc;
    std::int64_t created_at = 0, updated_at = 0;
    std::optional<std::int64_t> ended_at;
    FieldTimes set_at, held_until;
    SubjectState state = SubjectState::active;
    // When `field`'s value was collected: its last change, or the record's creation.
    [[nodiscard]] std::int64_t collected(std::string_view field) const;
  };
  // Read with `c` (a reader, or the writer under the write lock).
  [[nodiscard]] std::optional<Subject> subject(db::Connection& c, const CustomerId& id);
  // The same, NotFound for an unknown id.
  [[nodiscard]] Subject existing(db::Connection& c, const CustomerId& id);
  // The names of the fields subject `id` holds (a reader; NotFound for an unknown id): what a
  // call on the whole record decides its action on.
  [[nodiscard]] std::vector<std::string> held_fields(const CustomerId& id);
  // Up to `n` subjects after row `after`, in row order.
  [[nodiscard]] std::vector<Subject> subjects_after(db::Connection& c, std::int64_t after,
                                                    std::size_t n);
  // A stored field's value in plain text (opened with the subject's key when sealed).
  [[nodiscard]] std::string value_of(const Subject& s, std::string_view field);
  // In `tx` (write lock held). Removes `fields` from `s` (values and index entries); what stays
  // is left with `state` and `held_until`. With no field left, deletes the subject row with its
  // consents and objections and returns true. The caller destroys the key once `tx` commits.
  bool remove_fields(db::Transaction& tx, Subject& s, const std::vector<std::string>& fields,
                     SubjectState state, const FieldTimes& held_until);
  void set_state(db::Transaction& tx, const Subject& s, SubjectState state);
  void set_ended(db::Transaction& tx, const Subject& s, std::int64_t at);

  // Whether subject `row` is under a legal hold, read with the connection given (retention/ owns
  // holds; the composition root wires this in). merge() refuses to absorb a held customer.
  using HoldCheck = std::function<bool(db::Connection&, std::int64_t row)>;
  void set_hold_check(HoldCheck check) { hold_check_ = std::move(check); }

  // Which of `key_ids` a subject's record refers to (the orphan-key sweep at open).
  [[nodiscard]] std::unordered_set<std::string> claimed_keys(
      const std::vector<std::string>& key_ids);

 private:
  struct Loaded {
    std::string key_id;
    Doc doc;
    std::int64_t row = 0;  // the subject's row (what the blind index refers to)
    SubjectState state = SubjectState::active;
  };
  // The refusals a customer's own state makes, recorded (never under a reader or the write lock)
  // and thrown: Restricted, Objected.
  [[noreturn]] void deny_restricted(const AccessContext& ctx, std::string_view action,
                                    std::string_view subject);
  [[noreturn]] void deny_objected(const AccessContext& ctx, std::string_view action,
                                  std::string_view subject);
  // Whether `row` objected to the request's purpose (one it may object to).
  [[nodiscard]] bool objected(const Manifest& m, const AccessContext& ctx, std::int64_t row) const;
  // Whether subject `id` still exists (a read that raced an erasure tells NotFound from damage).
  [[nodiscard]] bool exists(const CustomerId& id);
  // What update and rectify share: `action` decided on each changed field; a restricted customer
  // is reached only by permits naming that state (rectify: always), an erased one never.
  void change(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
              std::vector<Warning>* warnings, Action action, std::string_view audit_action);
  [[nodiscard]] RecordScan make_scan(const AccessContext& ctx, Decision d, bool raw);
  struct Holder {
    std::string id;
    std::int64_t row = 0;
    std::string form;  // the index form of its stored value
    SubjectState state = SubjectState::active;
  };
  // The policy table in force, once every name in `fields` is checked as declared
  // (UndeclaredField) and the store is open (gate held).
  std::shared_ptr<const policy::Table> table(const std::vector<std::string>& fields);
  // Throws AccessDenied, after recording the denial, unless `d` allows.
  void require(const Decision& d, const AccessContext& ctx, std::string_view action,
               std::string_view subject, std::string_view fields);
  // Records a read or update refused for want of consent, and throws ConsentRequired. Never
  // while holding a reader or the write lock: recording may need the write lock.
  [[noreturn]] void deny_consent(const AccessContext& ctx, std::string_view action,
                                 std::string_view subject);
  // `l`'s fields that `d` allows, opened and masked (unmasked with `raw`).
  Record shown(const policy::Verdict& v, const CustomerId& id, const Loaded& l,
               const keys::SubjectKey* key, bool raw);
  std::string plain_value(std::string_view subject, std::string_view key_id, std::string_view field,
                          const DocValue& v);
  // Subjects whose lookup field `f` has tag `tag`, each with the index form of its stored value
  // (the index is truncated on purpose: callers compare the forms). One statement.
  std::vector<Holder> tagged(db::Connection& c, const Field& f, std::int64_t tag);
  std::vector<Holder> holders(db::Connection& c, const Field& f, const std::string& form);
  void check_unique(db::Connection& c, const Field& f, const std::string& form,
                    std::string_view self);

  store::Core& core_;
  keys::SubjectKeys& keys_;
  index::BlindIndex& index_;
  audit::Log& log_;
  policy::Engine& policy_;
  policy::Masks& masks_;
  consent::Consents& consents_;
  HoldCheck hold_check_;
};

}  // namespace amanah::detail::records
