// amanah — the tamper-evident audit log: who touched which customer, when and why, provably.
//
// Every access (reads, writes, denials, consent changes) is one entry: a gap-free sequence number,
// the time, actor, roles, purpose, action, a keyed pseudonym of the customer (the log alone names
// nobody), field names (never values), the decision and its rule ids. Entries are hash-chained:
//   leaf_i  = SHA-256(header_i ‖ SHA-256(payload_i))     chain_i = SHA-256(chain_{i-1} ‖ leaf_i)
// so an edit, deletion, insertion or reordering inside the log is found by verify(). Truncation
// and rollback (an older data.db put back) are found against checkpoints: statements "this
// store's log had n entries with chain head h" signed with the application's Ed25519 key, which
// the store hands to a sink the application keeps apart from the store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/clock.hpp>
#include <amanah/export.hpp>
#include <amanah/manifest.hpp>
#include <amanah/record.hpp>
#include <amanah/secret.hpp>

namespace amanah {

namespace detail {
struct StoreImpl;
}

// The public half of an audit signing key: all a verifier needs.
struct AMANAH_EXPORT AuditPublicKey {
  std::array<std::byte, 32> bytes{};
  [[nodiscard]] std::string hex() const;
  // InvalidArgument unless 64 hex digits.
  [[nodiscard]] static AuditPublicKey from_hex(std::string_view hex);
  friend bool operator==(const AuditPublicKey&, const AuditPublicKey&) = default;
};

// The application's audit signing key (Ed25519). It signs checkpoints; keep it like an unlock
// key, apart from the store: it is not derived from the store's keys, so whoever holds the store
// files and their keys still cannot sign a checkpoint.
class AMANAH_EXPORT AuditSigningKey {
 public:
  // From a kept 32-byte private key; InvalidArgument if it is not 32 bytes.
  explicit AuditSigningKey(SecretBytes private_key);
  AuditSigningKey(AuditSigningKey&&) noexcept = default;
  AuditSigningKey& operator=(AuditSigningKey&&) noexcept = default;
  AuditSigningKey(const AuditSigningKey&) = delete;
  AuditSigningKey& operator=(const AuditSigningKey&) = delete;

  // The 32 private bytes, to keep (e.g. in a secrets manager or an offline file).
  [[nodiscard]] const SecretBytes& private_key() const noexcept { return private_; }
  [[nodiscard]] const AuditPublicKey& public_key() const noexcept { return public_; }
  [[nodiscard]] AuditSigningKey clone() const;

 private:
  SecretBytes private_;
  AuditPublicKey public_;
};

// A fresh random signing key.
[[nodiscard]] AMANAH_EXPORT AuditSigningKey generate_audit_key();

// A signed statement: store `store_id`'s audit log held `seq` entries, the last with chain value
// `head`, at time `at`.
struct AMANAH_EXPORT Checkpoint {
  std::string store_id{};
  std::uint64_t seq = 0;
  std::array<std::byte, 32> head{};
  TimePoint at{};
  std::array<std::byte, 64> signature{};

  // True when `signature` is `key`'s signature of the other members.
  [[nodiscard]] bool signed_by(const AuditPublicKey& key) const;
  // One line of text (no newline), and back; from_line throws Corrupt on a malformed line.
  [[nodiscard]] std::string to_line() const;
  [[nodiscard]] static Checkpoint from_line(std::string_view line);
};

// Where checkpoints go: the application's. publish() is called after the commit that completes a
// checkpoint's entries (under the store's write lock, on the thread that committed: a caller's or
// the store's audit writer thread; keep it short) and at close; it must not call back into the
// store. If it throws, the store goes on and offers the next checkpoint.
class AMANAH_EXPORT CheckpointSink {
 public:
  virtual ~CheckpointSink();
  virtual void publish(const Checkpoint& checkpoint) = 0;
  // The file this sink writes, if any: a store refuses a sink that writes inside its directory
  // (a rollback of the directory would take the checkpoints with it).
  [[nodiscard]] virtual std::optional<std::filesystem::path> file() const { return std::nullopt; }
};

// Appends each checkpoint as one line to a file (created if missing) and syncs it. Thread-safe.
class AMANAH_EXPORT FileCheckpointSink final : public CheckpointSink {
 public:
  explicit FileCheckpointSink(std::filesystem::path file);
  void publish(const Checkpoint& checkpoint) override;
  [[nodiscard]] std::optional<std::filesystem::path> file() const override { return file_; }
  // Every checkpoint in a file this sink wrote, in order. A torn last line (a crash while
  // appending) is skipped; any other bad line is Corrupt. A missing file holds none.
  [[nodiscard]] static std::vector<Checkpoint> read(const std::filesystem::path& file);

 private:
  std::filesystem::path file_;
  std::mutex mu_;
};

// Alerts: unusual activity, counted per actor over a sliding window.
enum class AlertKind {
  subjects_read,  // distinct customers read by one actor within a minute
  exports,        // bulk reads (scans) and exports by one actor within an hour
  denials,        // denied requests by one actor within a minute
};
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(AlertKind kind) noexcept;

struct AMANAH_EXPORT Alert {
  AlertKind kind = AlertKind::subjects_read;
  std::string actor{};
  std::uint64_t count = 0;  // what was counted in the window, at least `limit` + 1
  std::uint64_t limit = 0;
  std::chrono::seconds window{};
  TimePoint at{};
  // "actor 'x' read 101 distinct customers within 60 s (limit 100)": names and counts only.
  [[nodiscard]] std::string explain() const;
};

struct AuditOptions {
  // Signs checkpoints (copied when the store opens). Without it no checkpoint is made, and
  // truncation or rollback of the log cannot be found.
  const AuditSigningKey* signing_key = nullptr;
  std::shared_ptr<CheckpointSink> sink{};  // needed with a signing key
  std::uint64_t checkpoint_every = 10000;  // entries between checkpoints (and one at close)
  // Each read's entry is on disk (committed with a sync) before the read returns its data.
  // Default: reads are written in batches; see the README for the window a crash can lose.
  bool sync_reads = false;
  AlertLimits alerts{};
  // Called with each alert after the entries that raised it were recorded, on a thread of the
  // store's (never the caller's): it must not call back into the store.
  std::function<void(const Alert&)> on_alert{};
};

// One entry, as the queries return it.
struct AMANAH_EXPORT AuditEntry {
  std::uint64_t seq = 0;
  TimePoint at{};
  std::string actor{};
  std::vector<std::string> roles{};
  std::string purpose{};
  std::string action{};   // "read", "create", "update", "erase", "merge", "grant_consent", ...
  std::string subject{};  // the customer's pseudonym (hex); empty when about no one customer
  std::vector<std::string> fields{};
  bool allowed = true;
  std::vector<std::string> rules{};  // the deciding rule ids
};

// Entries streamed in the order they were recorded (by seq), in batches: those recorded before the
// query began. Times follow that order, except that a read's entry, queued before it was written,
// may carry a time up to about a second before a write recorded ahead of it. The store must
// outlive the range.
class AMANAH_EXPORT AuditEntries {
 public:
  class AMANAH_EXPORT iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = AuditEntry;
    using difference_type = std::ptrdiff_t;
    using reference = const AuditEntry&;
    using pointer = const AuditEntry*;
    iterator() = default;
    reference operator*() const;
    pointer operator->() const;
    iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.range_ == nullptr;
    }

   private:
    friend class AuditEntries;
    explicit iterator(AuditEntries* range) : range_(range) {}
    AuditEntries* range_ = nullptr;
  };

  struct State;
  explicit AuditEntries(std::unique_ptr<State> state);
  AuditEntries(AuditEntries&&) noexcept;
  AuditEntries& operator=(AuditEntries&&) noexcept;
  ~AuditEntries();
  [[nodiscard]] iterator begin();
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  bool advance();  // false at the end
  std::unique_ptr<State> state_;
};

// What one actor touched in a time window: the first answer a breach notice needs.
struct AMANAH_EXPORT BreachScope {
  struct Subject {
    std::string pseudonym{};         // as in the log
    std::optional<CustomerId> id{};  // when the customer is still in the store
    std::uint64_t accesses = 0;
  };
  std::uint64_t entries = 0;        // the actor's entries in the window
  std::uint64_t denied = 0;         // of which denied (nothing touched)
  std::vector<Subject> subjects{};  // distinct customers touched (allowed entries), by pseudonym
  std::vector<std::pair<std::string, std::uint64_t>> fields{};      // field → allowed accesses
  std::vector<std::pair<std::string, std::uint64_t>> categories{};  // category → allowed accesses
};

enum class TamperKind {
  modified,
  deleted,
  inserted,
  reordered,
  truncated,
  rolled_back,
  bad_checkpoint
};
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(TamperKind kind) noexcept;

struct AMANAH_EXPORT AuditProblem {
  std::uint64_t seq = 0;  // the first entry found wrong (for a checkpoint: its seq)
  TamperKind kind = TamperKind::modified;
  std::string detail{};  // what was found, without any entry's content
};

struct AMANAH_EXPORT AuditReport {
  std::uint64_t entries = 0;      // entries checked
  std::uint64_t checkpoints = 0;  // checkpoints checked
  std::optional<AuditProblem> problem{};
  [[nodiscard]] bool ok() const noexcept { return !problem.has_value(); }
  [[nodiscard]] std::string explain() const;
};

// store.audit(). Thread-safe; lives as long as its store.
class AMANAH_EXPORT AuditLog {
 public:
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Checks every entry's hash and the chain, and the log against `checkpoints` (each must be
  // signed by `key`: without a key, by the signing key the store was opened with). Reports the
  // first problem found; never throws for a damaged log.
  [[nodiscard]] AuditReport verify() const;
  [[nodiscard]] AuditReport verify(const std::vector<Checkpoint>& checkpoints) const;
  [[nodiscard]] AuditReport verify(const std::vector<Checkpoint>& checkpoints,
                                   const AuditPublicKey& key) const;

  // Queries need the read_audit action (a denial throws AccessDenied), and are recorded.
  // Who read or changed `id`'s data within [from, to], in the order recorded.
  [[nodiscard]] AuditEntries trail(const AccessContext& ctx, const CustomerId& id,
                                   TimePoint from = TimePoint::min(),
                                   TimePoint to = TimePoint::max());
  // Everything `actor` did within [from, to].
  [[nodiscard]] AuditEntries accesses(const AccessContext& ctx, std::string_view actor,
                                      TimePoint from = TimePoint::min(),
                                      TimePoint to = TimePoint::max());
  [[nodiscard]] BreachScope breach_scope(const AccessContext& ctx, std::string_view actor,
                                         TimePoint from, TimePoint to);
  // The customer's pseudonym in this store's log.
  [[nodiscard]] std::string pseudonym(const CustomerId& id) const;

  // Entries recorded so far (sequence number of the last one).
  [[nodiscard]] std::uint64_t size() const;

 private:
  friend struct detail::StoreImpl;
  explicit AuditLog(detail::StoreImpl& impl) : impl_(&impl) {}
  detail::StoreImpl* impl_;
};

}  // namespace amanah
