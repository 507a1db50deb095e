// amanah — the consent registry: an append-only history of each customer's consents, one purpose
// per consent, with the evidence to prove them. Purposes whose legal basis is `consent` reach a
// customer's data only while that customer's consent is live (granted, not withdrawn, not
// expired). Time is the store's clock (CreateOptions::clock / OpenOptions::clock).
#pragma once

#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/clock.hpp>
#include <amanah/export.hpp>
#include <amanah/record.hpp>

namespace amanah {

namespace detail {
struct StoreImpl;
}

enum class ConsentState { never, granted, withdrawn, expired };
enum class ConsentMethod { checkbox, signature, verbal, imported, other };

[[nodiscard]] AMANAH_EXPORT std::string_view to_string(ConsentState v) noexcept;
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(ConsentMethod v) noexcept;

// Who consented for a child (UU PDP art. 25: a parent or guardian). Personal data: sealed under
// the customer's key like a sensitive field.
struct Guardian {
  std::string name{};          // 1..256 bytes, no control characters
  std::string relationship{};  // e.g. "parent", "guardian"; 1..64 bytes
};

// How a consent was obtained. Text fields: no control characters.
struct ConsentEvidence {
  std::string source{};          // the channel: "signup-form", "call-centre"; 1..128 bytes
  std::string notice_version{};  // which privacy notice was shown: "2026-01"; 1..64 bytes
  std::string notice_sha256{};   // optional: SHA-256 of the notice text, 64 hex digits
  std::string language{};        // optional: BCP 47 tag of the notice shown, e.g. "id", "en-US"
  ConsentMethod method = ConsentMethod::checkbox;
  std::optional<TimePoint> expires{};  // optional: after this instant the consent has expired
  std::optional<Guardian> guardian{};  // for a child
};

enum class ConsentEventKind { grant, withdraw };

// One event of the history. Events are never edited or deleted by the registry.
struct ConsentEvent {
  std::int64_t id = 0;  // the event id (ascending in the order events were recorded)
  CustomerId subject{};
  std::string purpose{};
  ConsentEventKind kind = ConsentEventKind::grant;
  TimePoint at{};              // from the store's clock
  std::string actor{};         // who recorded it (AccessContext::actor)
  ConsentEvidence evidence{};  // a withdrawal keeps only its source
};

// The ids of the customers with a live consent, streamed in batches (the store is never loaded
// into memory at once). The store must outlive the scan.
class AMANAH_EXPORT SubjectScan {
 public:
  class AMANAH_EXPORT iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = CustomerId;
    using difference_type = std::ptrdiff_t;
    using reference = const CustomerId&;
    using pointer = const CustomerId*;

    iterator() = default;
    reference operator*() const;
    pointer operator->() const;
    iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.scan_ == nullptr;
    }

   private:
    friend class SubjectScan;
    explicit iterator(SubjectScan* scan) : scan_(scan) {}
    SubjectScan* scan_ = nullptr;
  };

  struct State;
  explicit SubjectScan(std::unique_ptr<State> state);
  SubjectScan(SubjectScan&&) noexcept;
  SubjectScan& operator=(SubjectScan&&) noexcept;
  ~SubjectScan();

  [[nodiscard]] iterator begin();
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  bool advance();  // false at the end
  std::unique_ptr<State> state_;
};

// store.consents(). Thread-safe; lives as long as its store.
class AMANAH_EXPORT ConsentRegistry {
 public:
  ConsentRegistry(const ConsentRegistry&) = delete;
  ConsentRegistry& operator=(const ConsentRegistry&) = delete;

  // Records `id`'s consent to `purpose` (one purpose: no bundled consent). The purpose must be
  // declared with basis `consent` (else InvalidArgument naming it); the caller needs the
  // manage_consent action (AccessDenied). Bad evidence is InvalidArgument naming the part.
  ConsentEvent grant(const AccessContext& ctx, const CustomerId& id, std::string_view purpose,
                     const ConsentEvidence& evidence);
  // Records a withdrawal; it takes effect at once (the next read no longer reaches the customer
  // for `purpose`). Recorded even without an earlier grant (an objection on record).
  ConsentEvent withdraw(const AccessContext& ctx, const CustomerId& id, std::string_view purpose,
                        std::string_view source);

  // The state in force at `at` (default: now): the latest event recorded with a time at or before
  // `at` decides; a grant whose expiry is at or before `at` has expired.
  [[nodiscard]] ConsentState state(const CustomerId& id, std::string_view purpose) const;
  [[nodiscard]] ConsentState state(const CustomerId& id, std::string_view purpose,
                                   TimePoint at) const;
  // Every event of `id`, oldest first.
  [[nodiscard]] std::vector<ConsentEvent> history(const CustomerId& id) const;
  // The event in force at `at` (a grant, or the withdrawal that ended it); none if there was none.
  [[nodiscard]] std::optional<ConsentEvent> prove(const CustomerId& id, std::string_view purpose,
                                                  TimePoint at) const;
  // The customers whose consent to `purpose` was live at `at`, in storage order.
  [[nodiscard]] SubjectScan subjects_with_consent(std::string_view purpose, TimePoint at) const;
  // A consent receipt the business can hand the customer: JSON with the store's name, the purpose
  // (id, description, basis), the event in force now and its evidence. NotFound if `id` never
  // gave or withdrew consent to `purpose`.
  [[nodiscard]] std::string receipt(const CustomerId& id, std::string_view purpose) const;

 private:
  friend struct detail::StoreImpl;
  explicit ConsentRegistry(detail::StoreImpl& impl) : impl_(&impl) {}
  detail::StoreImpl* impl_;
};

}  // namespace amanah
