// The retention service: how long each field is kept (the manifest's [retention] rules and
// field overrides), legal holds (per category: a rule with a basis; per customer: the `holds`
// table), erasure with its tombstones (the `tombstones` table) and the sweep of what expired.
// Owns the holds and tombstones tables; changes records, consents and keys through their
// services, in one data.db transaction per customer (a sweep: per batch), then destroys keys
// and scrubs both databases (store::Core::scrub).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/backup.hpp>
#include <amanah/manifest.hpp>
#include <amanah/record.hpp>
#include <amanah/retention.hpp>

#include "audit/log.hpp"
#include "consent/consents.hpp"
#include "db/db.hpp"
#include "keys/subject_keys.hpp"
#include "policy/engine.hpp"
#include "records/records.hpp"
#include "store/core.hpp"

namespace amanah::detail::retention {

// How long a field is kept and from when: its own `retention` (with its category rule's basis
// and anchor unless it names its own anchor), or its category's rule.
struct Schedule {
  std::string rule;  // "fields.<name>.retention" or "retention.<category>"
  std::string keep;  // "365d", "10y", ...
  RetentionFrom from = RetentionFrom::collection;
  std::optional<LegalBasis> basis;  // set: a legal hold against erasure requests until it ends
};
[[nodiscard]] std::optional<Schedule> schedule_of(const Manifest& m, const Field& f);

// `anchor` + `keep` (unix seconds): days and weeks exactly, months and years on the calendar
// (a month after 31 January is the last day of February). Saturates at year 9999.
[[nodiscard]] std::int64_t add_keep(std::int64_t anchor, std::string_view keep);

// An erasure reason by its name (to_string), for tombstones read back.
[[nodiscard]] std::optional<ErasureReason> parse_reason(std::string_view name);
// A ledger line without its MAC: what the MAC covers (ledger.cpp).
[[nodiscard]] std::string ledger_body(const LedgerEntry& e);

class Retention {
 public:
  struct Services {
    keys::SubjectKeys& keys;
    audit::Log& log;
    policy::Engine& policy;
    consent::Consents& consents;
    records::Records& records;
  };
  Retention(store::Core& core, const Services& s)
      : core_(core),
        keys_(s.keys),
        log_(s.log),
        policy_(s.policy),
        consents_(s.consents),
        records_(s.records) {}
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  [[nodiscard]] ErasureReceipt erase(const AccessContext& ctx, const CustomerId& id,
                                     ErasureReason reason);
  void place_hold(const AccessContext& ctx, const CustomerId& id, LegalBasis basis,
                  std::int64_t until);
  void release_hold(const AccessContext& ctx, const CustomerId& id);
  [[nodiscard]] std::optional<LegalHold> hold(const CustomerId& id);
  void end_relationship(const AccessContext& ctx, const CustomerId& id);
  [[nodiscard]] SweepReport sweep(const AccessContext& ctx, const SweepOptions& options);
  [[nodiscard]] std::vector<Tombstone> tombstones();

  // The erasure ledger (set once, before the store is shared): each tombstone is handed to it
  // after its commit; deliver_ledger() (write lock held) hands it those it has not taken yet.
  void set_ledger(std::shared_ptr<ErasureLedgerSink> sink) { ledger_ = std::move(sink); }
  void deliver_ledger() noexcept;
  // The ledger entry of a tombstone of this store, with its MAC; whether an entry's MAC is this
  // store's.
  [[nodiscard]] LedgerEntry ledger_entry(const Tombstone& t) const;
  [[nodiscard]] bool ledger_mac_ok(const LedgerEntry& e) const;

  // Replays erasures (a restore, before the store serves): every entry whose erasure this store
  // does not hold yet (no tombstone of the same customer and time) and whose customer it holds
  // is erased again, undecided (the key holder's act), recorded under `ctx`, its tombstone
  // keeping the entry's time and reason. A hold the entry reports (held_until) keeps the fields
  // until then. Returns how many were erased again.
  struct Replayed {
    std::uint64_t replayed = 0;
    std::uint64_t already = 0;
  };
  // The sweep a restore runs right after the replay, undecided, recorded under `ctx`.
  [[nodiscard]] SweepReport sweep_after_restore(const AccessContext& ctx);
  [[nodiscard]] Replayed replay(const AccessContext& ctx, const std::vector<Tombstone>& ledger);

  // For the rights service and the sweep (gate held): when `f`'s value of `s` expires, by its
  // schedule `sch` (schedule_of; nullptr: none), or until when an erasure's hold keeps it
  // (nullopt: kept as long as the customer, or its anchor has not happened yet).
  [[nodiscard]] std::optional<std::int64_t> expires(db::Connection& c, const Manifest& m,
                                                    const records::Records::Subject& s,
                                                    const Field& f, const Schedule* sch,
                                                    std::int64_t now);
  // `s`'s hold in force at `now`, read with `c`.
  [[nodiscard]] std::optional<LegalHold> hold_of(db::Connection& c, std::int64_t row,
                                                 std::int64_t now);

  // Customers per sweep transaction (the write lock is released between batches).
  static constexpr std::size_t kSweepBatch = 256;

 private:
  struct Held {
    std::string field;
    std::string hold;
    LegalBasis basis;
    std::int64_t until;
  };
  // When `f`'s retention period ends by its rule's anchor, whatever the subject's state.
  std::optional<std::int64_t> rule_expiry(db::Connection& c, const Manifest& m,
                                          const records::Records::Subject& s, const Field& f,
                                          const Schedule& sch, std::int64_t now);
  // A retention call on one customer: decided (manage_retention), then `change` in one write
  // transaction with its audit entry (nothing is written or recorded if it returns false).
  void on_customer(
      const AccessContext& ctx, const CustomerId& id, std::string_view action,
      const std::function<bool(db::Transaction&, const records::Records::Subject&)>& change);
  // What the policy allowed, as the audit log writes it; a denial is recorded and thrown.
  std::string decide_store(const AccessContext& ctx, std::string_view action,
                           std::string_view subject);
  // Erases what `s` no longer may keep, in `tx`; `held` are the fields that stay. Returns whether
  // the subject is gone, and writes its tombstone when `reason` is given.
  struct Removal {
    bool deleted = false;
    std::size_t consents = 0;
  };
  // The tombstone is dated `now` unless `recorded_at` (a replayed erasure keeps its time).
  Removal remove(db::Transaction& tx, records::Records::Subject& s,
                 const std::vector<std::string>& fields, const std::vector<Held>& held,
                 std::optional<ErasureReason> reason, std::int64_t now,
                 std::optional<std::int64_t> recorded_at = std::nullopt);
  // erase() once decided (gate held): `rules` as the audit log writes them; `replayed` when a
  // restore replays a ledger entry.
  ErasureReceipt erase_decided(const AccessContext& ctx, const CustomerId& id, ErasureReason reason,
                               std::string_view rules, const Tombstone* replayed);
  SweepReport sweep_decided(const AccessContext& ctx, const SweepOptions& options,
                            const std::string& rules);
  std::vector<Tombstone> read_tombstones(db::Connection& c, std::uint64_t after);
  // After the commit that released them: destroys the keys, hands the ledger its tombstones and
  // scrubs both databases. Whether every key is gone now (false: owed, destroyed later), and
  // whether the scrub emptied both logs.
  struct Finished {
    bool keys_destroyed = false;
    bool scrubbed = false;
  };
  Finished finish(const std::vector<std::string>& released_keys);
  [[nodiscard]] std::string hex_pseudonym(const CustomerId& id) const;

  store::Core& core_;
  keys::SubjectKeys& keys_;
  audit::Log& log_;
  policy::Engine& policy_;
  consent::Consents& consents_;
  records::Records& records_;
  std::shared_ptr<ErasureLedgerSink> ledger_;
};

}  // namespace amanah::detail::retention
