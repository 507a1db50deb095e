// amanah — retention and erasure: what is kept, for how long, and erasure that sticks.
// The manifest's [retention] rules say how long each category (or field) is kept and from when it
// counts; a rule with a legal basis (e.g. transaction data kept 10 years for the tax office) is a
// legal hold: an erasure request leaves those fields, restricted, until the period ends. A hold on
// one customer keeps everything of theirs until its end. sweep() erases what has expired.
// Erasure destroys the customer's key, values, blind-index entries and consents, writes a
// tombstone (pseudonym and time, no personal data), and scrubs both databases so no page, free
// page or WAL frame still holds an old value. Times come from the store's clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/clock.hpp>
#include <amanah/export.hpp>
#include <amanah/manifest.hpp>
#include <amanah/record.hpp>

namespace amanah {

namespace detail {
struct StoreImpl;
}

// Why a customer is erased (kept in the tombstone and the audit log).
enum class ErasureReason {
  subject_request,    // the customer asked (GDPR art. 17, UU PDP art. 8)
  consent_withdrawn,  // the only basis was consent, and it was withdrawn
  objection,          // the customer objected and no overriding ground remains
  unlawful,           // the data was processed unlawfully
  legal_order,        // a court or regulator ordered it
  retention_expired,  // the retention period ended (sweep())
};
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(ErasureReason v) noexcept;

// A field an erasure left in place, and until when.
struct HeldField {
  std::string field{};
  std::string hold{};  // "retention.<category>" (a rule with a basis) or "customer" (a hold)
  LegalBasis basis = LegalBasis::legal_obligation;
  TimePoint until{};
};

// What erase() did. Names and times only, never a value.
struct ErasureReceipt {
  std::string subject{};  // the customer's audit pseudonym (hex): the id is gone with them
  TimePoint at{};
  ErasureReason reason = ErasureReason::subject_request;
  std::vector<std::string> erased_fields{};  // field names, ascending
  std::size_t consents_erased = 0;           // consent events deleted
  // False while a held field is still sealed under the key, or if keys.db could not destroy it
  // yet (an I/O error after the erasure committed): then it is destroyed at the next erasure, at
  // close or at the next open, and the customer's data is erased all the same.
  bool key_destroyed = false;
  std::vector<HeldField> held{};  // kept by a legal hold, restricted, erased by sweep() after
  bool scrubbed = false;  // both write-ahead logs were emptied (false: a reader's snapshot kept
                          // one; its frames go at the next erasure, sweep or close)
  [[nodiscard]] bool complete() const noexcept { return held.empty(); }
};

// A legal hold on one customer: nothing of theirs is erased (by request or by sweep) before
// `until`.
struct LegalHold {
  LegalBasis basis = LegalBasis::legal_obligation;
  TimePoint placed_at{};
  TimePoint until{};
};

struct SweepOptions {
  bool dry_run = false;  // report what would be erased; change nothing
};

// What sweep() erased (or, in a dry run, would erase). Counts and pseudonyms only.
struct SweepReport {
  struct Line {
    std::string rule{};   // "retention.<category>" or "fields.<name>.retention"
    std::string field{};  // the field erased under it
    std::size_t values = 0;
    friend bool operator==(const Line&, const Line&) = default;
  };
  TimePoint at{};
  bool dry_run = false;
  std::size_t customers_checked = 0;
  std::size_t customers_erased = 0;     // nothing of theirs was left: erased whole, tombstoned
  std::size_t values_held_back = 0;     // expired, but a hold on the customer keeps them
  std::vector<Line> lines{};            // by rule, then field
  std::vector<std::string> subjects{};  // pseudonyms (hex) of the customers touched, ascending
};

// An erasure as recorded for restores: no personal data.
struct Tombstone {
  std::uint64_t seq = 0;
  std::string subject{};  // pseudonym (hex)
  TimePoint at{};
  ErasureReason reason = ErasureReason::subject_request;
  std::optional<TimePoint> held_until{};  // fields a hold keeps remain until then
};

// The retention engine of one store (store.retention()). Each call is decided by the policy
// (the action each needs is named below), recorded in the audit log, and one transaction.
class AMANAH_EXPORT Retention {
 public:
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  // Places (or replaces) a hold on `id` until `until` (manage_retention). `basis` says why,
  // e.g. legal_obligation for a tax audit or a court case. InvalidArgument if `until` is past.
  void place_hold(const AccessContext& ctx, const CustomerId& id, LegalBasis basis,
                  TimePoint until);
  // Ends `id`'s hold now (manage_retention); NotFound if there is none.
  void release_hold(const AccessContext& ctx, const CustomerId& id);
  // `id`'s hold in force, if any (ended holds are not kept).
  [[nodiscard]] std::optional<LegalHold> hold(const CustomerId& id) const;
  // Marks the end of the customer relationship now (manage_retention): rules that count from
  // relationship_end start counting. Idempotent (the first end stays).
  void end_relationship(const AccessContext& ctx, const CustomerId& id);

  // Erases what has expired by the store's clock (manage_retention): fields whose retention
  // period ended, and customers with nothing left (tombstoned like an erasure). Customers under
  // a hold keep everything. Works in batches: reads and writes of other threads go on between.
  [[nodiscard]] SweepReport sweep(const AccessContext& ctx, const SweepOptions& options = {});

  // Every erasure recorded in this store, oldest first.
  [[nodiscard]] std::vector<Tombstone> tombstones() const;

 private:
  friend struct detail::StoreImpl;
  explicit Retention(detail::StoreImpl& impl) : impl_(&impl) {}
  detail::StoreImpl* impl_;
};

}  // namespace amanah
