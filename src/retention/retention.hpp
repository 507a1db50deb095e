// The retention service: how long each field is kept (the manifest's [retention] rules and
// field overrides), legal holds (per category: a rule with a basis; per customer: the `holds`
// table), erasure with its tombstones (the `tombstones` table) and the sweep of what expired.
// Owns the holds and tombstones tables; changes records, consents and keys through their
// services, in one data.db transaction per customer (a sweep: per batch), then destroys keys
// and scrubs both databases (store::Core::scrub).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  Removal remove(db::Transaction& tx, records::Records::Subject& s,
                 const std::vector<std::string>& fields, const std::vector<Held>& held,
                 std::optional<ErasureReason> reason, std::int64_t now);
  // Destroys `key_id` (after the commit that released it) and scrubs both databases.
  bool finish(const std::vector<std::string>& destroyed_keys);
  [[nodiscard]] std::string hex_pseudonym(const CustomerId& id) const;

  store::Core& core_;
  keys::SubjectKeys& keys_;
  audit::Log& log_;
  policy::Engine& policy_;
  consent::Consents& consents_;
  records::Records& records_;
};

}  // namespace amanah::detail::retention
