// The consent registry's service: the `consents` table of data.db (append-only events, one
// purpose each, evidence sealed under the subject's key), its statements, and an in-memory cache
// of each (subject row, purpose)'s events that consent gating reads on every access.
//
// Reads the `subjects` table's `row` and `key_id` (owned by records/) to find a customer's row and
// key; nothing else of it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <amanah/consent.hpp>
#include <amanah/record.hpp>

#include "audit/log.hpp"
#include "db/db.hpp"
#include "keys/subject_keys.hpp"
#include "policy/engine.hpp"
#include "store/core.hpp"

namespace amanah::detail::consent {

class Consents {
 public:
  // The cache holds at most this many (row, purpose) entries; past it, it starts again empty.
  static constexpr std::size_t kCacheLimit = 131072;
  // subjects_with_consent() reads this many subjects per batch.
  static constexpr std::size_t kScanBatch = 256;

  Consents(store::Core& core, keys::SubjectKeys& keys, audit::Log& log, policy::Engine& policy)
      : core_(core), keys_(keys), log_(log), policy_(policy) {}
  Consents(const Consents&) = delete;
  Consents& operator=(const Consents&) = delete;

  // --- the public registry's calls (each takes the gate shared)
  // The caller needs manage_consent (a denial is recorded and thrown as AccessDenied); the
  // purpose must be declared with basis consent; the customer must exist (NotFound); evidence is
  // validated (InvalidArgument naming the part, never its value). One write transaction: the
  // event and its audit entry.
  ConsentEvent grant(const AccessContext& ctx, const CustomerId& id, std::string_view purpose,
                     const ConsentEvidence& evidence);
  ConsentEvent withdraw(const AccessContext& ctx, const CustomerId& id, std::string_view purpose,
                        std::string_view source);
  // `at` in unix seconds. The purpose must be declared (prove() also takes a purpose the manifest
  // no longer declares, as long as it is a well-formed name: a past consent stays provable).
  [[nodiscard]] ConsentState state(const CustomerId& id, std::string_view purpose, std::int64_t at);
  [[nodiscard]] std::vector<ConsentEvent> history(const CustomerId& id);
  [[nodiscard]] std::optional<ConsentEvent> prove(const CustomerId& id, std::string_view purpose,
                                                  std::int64_t at);
  [[nodiscard]] SubjectScan subjects_with_consent(std::string_view purpose, std::int64_t at);
  [[nodiscard]] std::string receipt(const CustomerId& id, std::string_view purpose);

  // The next batch of subjects_with_consent() after subject row `after`, which it advances (gate
  // taken shared for the batch; no statement stays open after it).
  [[nodiscard]] std::vector<CustomerId> scan_batch(const std::string& purpose, std::int64_t at,
                                                   std::int64_t& after);

  // --- for the records service (the caller holds the gate shared; these do not take it)
  // Whether subject `row` has a live consent to `purpose` at `now` (unix seconds). From the cache;
  // a miss reads with `c` (a reader, or the writer under the write lock) and fills the cache
  // unless `c`'s view may predate a commit the cache already knows of.
  [[nodiscard]] bool live(db::Connection& c, std::int64_t row, std::string_view purpose,
                          std::int64_t now);
  // The rows in [first_row, last_row] with a live consent to `purpose` at `now`, ascending. One
  // statement; the cache is neither read nor filled.
  [[nodiscard]] std::vector<std::int64_t> live_rows(db::Connection& c, std::string_view purpose,
                                                    std::int64_t first_row, std::int64_t last_row,
                                                    std::int64_t now);
  // When subject `row` last stopped having a live consent to any of `purposes` (a withdrawal, or
  // a grant's expiry), if none is live at `now`; nullopt if one is, or none was ever given.
  [[nodiscard]] std::optional<std::int64_t> consent_ended(db::Connection& c, std::int64_t row,
                                                          const std::vector<std::string>& purposes,
                                                          std::int64_t now);
  // The one exception to append-only: deletes every event (and objection) of subject `row` in
  // `tx`, when the subject is erased in `tx` (merge's absorbed subject; an erasure, which may
  // keep the fields a legal hold keeps). Write lock held. Returns the events deleted. The row's
  // cache entries are dropped when `tx` ends, and are never filled again while the store stays
  // open (SQLite may give the row to a new subject).
  std::size_t erase_subject(db::Transaction& tx, std::int64_t row);

  // --- objections (the customer's right to object to a legitimate-interest purpose)
  // Records `row`'s objection to `purpose` in `tx` (write lock held; idempotent). The purpose
  // stops reaching the customer once `tx` commits.
  void add_objection(db::Transaction& tx, std::int64_t row, std::string_view purpose,
                     std::int64_t at);
  // Whether `row` objected to `purpose` (any thread; from memory: objections are few, all are
  // loaded at open).
  [[nodiscard]] bool objected(std::int64_t row, std::string_view purpose) const;
  // `row`'s objections: purpose and time, by purpose.
  [[nodiscard]] std::vector<std::pair<std::string, std::int64_t>> objections(db::Connection& c,
                                                                             std::int64_t row);
  // Loads every objection (at open, before any call).
  void load_objections(db::Connection& c);

  // Forgets the cache (the store closes; nobody else left).
  void clear() noexcept;

 private:
  // What the cache keeps of one event: enough to decide a state at any instant.
  struct Brief {
    std::int64_t id = 0;
    std::int64_t at = 0;
    std::int64_t expires = 0;  // kNoExpiry when none
    bool grant = false;
  };
  using Briefs = std::vector<Brief>;  // ascending id
  struct Subject {
    std::int64_t row = 0;
    std::string key_id;
  };
  struct Decided;  // a checked write request

  Decided decide_write(const AccessContext& ctx, const CustomerId& id, std::string_view purpose,
                       std::string_view action);
  ConsentEvent record(const AccessContext& ctx, const CustomerId& id, const Decided& d,
                      ConsentEventKind kind, const ConsentEvidence& evidence);
  // The purpose declared in the manifest in force (InvalidArgument otherwise).
  std::string checked_purpose(const Manifest& m, std::string_view purpose) const;
  static std::optional<Subject> find_subject(db::Connection& c, const CustomerId& id);
  // The events of (row, purpose), from the cache or read with `c` (filling the cache).
  Briefs briefs(db::Connection& c, std::int64_t row, std::string_view purpose);
  static Briefs read_briefs(db::Connection& c, std::int64_t row, std::string_view purpose);
  // Drops (row, purpose)'s entry, or with an empty purpose every entry of `row` (cache_mu_ held).
  void drop(std::int64_t row, std::string_view purpose);
  // An event as stored (read under the lease, opened after it is released).
  struct Stored {
    std::int64_t id = 0, kind = 0, at = 0, expires = 0;
    std::string purpose;
    std::vector<std::byte> box;
  };
  static Stored stored(db::Statement& st);  // columns: id, purpose, kind, at, expires, evidence
  ConsentEvent open_event(const Stored& e, const CustomerId& id, const Subject& s,
                          const keys::SubjectKey& key) const;

  store::Core& core_;
  keys::SubjectKeys& keys_;
  audit::Log& log_;
  policy::Engine& policy_;

  std::int64_t last_id_ = 0;  // write lock: the last event id handed out while open

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // purpose -> row -> events. A fill is refused unless its reader saw max(consents.id) >= hw_,
  // the largest event id of the latest commit whose hook ran (ids only grow while the store is
  // open, so an older view shows a smaller max), and never for an erased row.
  std::shared_mutex cache_mu_;
  std::unordered_map<std::string, std::unordered_map<std::int64_t, Briefs>, Hash, std::equal_to<>>
      cache_;
  std::size_t entries_ = 0;
  std::int64_t hw_ = 0;
  std::unordered_set<std::int64_t> erased_rows_;
  // purpose -> rows that objected (changed in commit hooks under objections_mu_).
  mutable std::shared_mutex objections_mu_;
  std::unordered_map<std::string, std::unordered_set<std::int64_t>, Hash, std::equal_to<>>
      objected_;
  std::atomic<bool> any_objection_{false};
};

}  // namespace amanah::detail::consent
