// The audit service: appends entries to the hash-chained `audit_log` (entry.hpp), makes signed
// checkpoints, feeds the alert counters, verifies the chain and answers the queries.
//
// Writes are recorded in the transaction of the change. Reads, denials and queries are queued and
// written in batches by the log's writer thread (so a read pays for building its entry, not for
// writing it): when kReadBatch are queued, and when the oldest has waited kWriteAfter; and by
// callers: with the next write, before a query, at close. At most kQueueLimit entries are ever
// uncommitted (queued, or taken to be written): past that, the caller waits for the write lock
// and writes them itself. A batch commits without a sync of its own unless the last synced commit
// is older than kSyncEvery (or the batch completes a checkpoint). So a process crash loses at most
// the uncommitted entries (at most kQueueLimit = 1,024, none queued more than about kWriteAfter =
// one second earlier unless the write lock was busy that long), and a power loss also the batches
// committed in the last kSyncEvery (one second). With AuditOptions::sync_reads each read is
// committed with a sync before it returns.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <amanah/audit.hpp>
#include <amanah/policy.hpp>
#include <amanah/record.hpp>

#include "audit/alerts.hpp"
#include "audit/batch.hpp"
#include "audit/entry.hpp"
#include "db/db.hpp"
#include "keys/typed.hpp"
#include "store/core.hpp"

namespace amanah::detail::policy {
class Engine;
}

namespace amanah::detail::audit {

// "a,b,c": how roles and field names are written in the log.
[[nodiscard]] std::string join_names(const std::vector<std::string>& names);

// Checks the hash chain of the log in `c` (in one read snapshot) against `cps` (sorted by seq,
// already checked for their signatures): what Log::verify does after the checkpoints. With
// `helpers`, a log of at least `split_above` entries is checked in two halves, one on a helper
// connection. For a store that is not open as a Log (a backup being verified).
[[nodiscard]] AuditReport verify_chain(db::Connection& c, db::ReaderPool* helpers,
                                       std::string_view store_id,
                                       const std::vector<const Checkpoint*>& cps,
                                       std::uint64_t split_above);

class Log {
 public:
  static constexpr std::size_t kReadBatch = 512;
  static constexpr std::size_t kQueueLimit = 1024;
  // Room for callers to queue while the writer thread writes a batch. Bigger batches mean fewer
  // commits, and each commit empties every reader's page cache (SQLite's WAL mode).
  static_assert(kQueueLimit >= 2 * kReadBatch);
  static constexpr std::chrono::seconds kSyncEvery{1};
  static constexpr std::chrono::milliseconds kWriteAfter{1000};

  // Opens the log: reads its head, and moves the rows of a pre-audit store's access log into the
  // chain. `options` are the store's (the signing key is copied).
  Log(store::Core& core, policy::Engine& policy, const AuditOptions& options);
  // InvalidArgument if `options` do not fit a store in `dir`: a signing key without a sink, or a
  // sink file inside the directory. The constructor checks too; create() asks first, so that a
  // refused option leaves no store behind.
  static void check_options(const std::filesystem::path& dir, const AuditOptions& options);
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  ~Log();

  // A write, recorded inside its transaction after the entries queued before it. If the
  // transaction rolls back, those go back to the queue and the head is restored.
  void record_write(db::Transaction& tx, const AccessContext& ctx, std::string_view action,
                    std::string_view subject, std::string_view fields, std::string_view rules = {});
  // An allowed read (any thread): queued, or with sync_reads written and synced now. Must not be
  // called while holding a DataReader or the write lock.
  void record_read(const AccessContext& ctx, std::string_view subject, std::string_view fields,
                   std::string_view rules = {}, std::string_view action = "read");
  // A denied request (any action; nothing was read or written): queued like a read.
  void record_denial(const AccessContext& ctx, std::string_view action, std::string_view subject,
                     std::string_view fields, std::string_view rules);
  // A request the policy denied, with the rules that denied it; a role or purpose the manifest
  // does not declare (possibly a value passed by mistake) is kept as "(undeclared)".
  void record_denial(const AccessContext& ctx, std::string_view action, std::string_view subject,
                     std::string_view fields, const Decision& d);

  // Stops the writer thread; writes what is queued (write lock held), synced, and makes a
  // checkpoint if entries were added since the last one. Then forgets the keys (the store closes).
  void close() noexcept;

  // Writes what is queued now (takes the write lock): a query sees every access so far.
  void flush();

  // The customer's pseudonym as raw bytes, and as the hex the queries show.
  [[nodiscard]] std::string pseudonym(std::string_view subject_id) const;
  [[nodiscard]] std::uint64_t size() const;  // entries written (queued ones not counted)

  [[nodiscard]] AuditReport verify(const std::vector<Checkpoint>* checkpoints,
                                   const AuditPublicKey* key) const;

  // Queries (queries.cpp): each decided (read_audit) and recorded.
  [[nodiscard]] AuditEntries trail(const AccessContext& ctx, std::string_view subject_id,
                                   TimePoint from, TimePoint to);
  [[nodiscard]] AuditEntries accesses(const AccessContext& ctx, std::string_view actor,
                                      TimePoint from, TimePoint to);
  [[nodiscard]] BreachScope breach_scope(const AccessContext& ctx, std::string_view actor,
                                         TimePoint from, TimePoint to);

  // What every query does first (queries.cpp): with the gate held, decides read_audit on the
  // store (a denial is recorded, about `subject`, and thrown) and writes the queue, so that it
  // sees every access so far. And last: records itself, once it holds no reader connection.
  struct Query {
    std::shared_lock<store::Gate> gate;
    Decision decision;
    std::uint64_t written = 0;  // entries written before it
  };
  [[nodiscard]] Query begin_query(const AccessContext& ctx, std::string_view subject);
  void end_query(const AccessContext& ctx, std::string_view subject, const Query& q);

  // Test hooks: stop logging reads (the benchmark's "reads not logged" baseline), how long the
  // writer thread lets the oldest entry wait, and the number of entries queued.
  void set_log_reads(bool on) noexcept { log_reads_ = on; }
  void set_write_after(std::chrono::milliseconds d);
  // verify() checks a log of at least this many entries in two halves, one per core.
  static constexpr std::uint64_t kSplitAbove = 65536;
  void set_split_above(std::uint64_t n) noexcept { split_above_ = n; }
  [[nodiscard]] std::size_t queued() const;

 private:
  [[nodiscard]] Entry entry(const AccessContext& ctx, std::string_view action,
                            std::string_view subject, std::string_view fields,
                            std::string_view rules, bool allowed);
  // The payload for these names: one of the last few built, or a new one (any thread).
  [[nodiscard]] std::shared_ptr<const Payload> payload_of(const AccessContext& ctx,
                                                          std::string_view fields,
                                                          std::string_view rules);
  void enqueue(Entry e);
  void write_queue(bool sync);  // write lock held
  void run_writer() noexcept;   // the writer thread
  enum class Attempt { written, busy, failed };
  static constexpr std::chrono::milliseconds kRetryBusy{2};
  [[nodiscard]] Attempt try_write() noexcept;  // write_queue() if the write lock is free
  void stop_writer() noexcept;
  // Takes the queue to write it (its entries count as in flight until landed() or put_back()).
  std::vector<Entry> take_queue();
  void landed(std::size_t taken) noexcept;                        // committed
  void put_back(std::vector<Entry>& entries, std::size_t taken);  // not committed: queued again
  // Appends entries in `tx` (write lock held): seq, chain, names, the head row.
  void append(db::Transaction& tx, std::vector<Entry>& entries);
  [[nodiscard]] std::int64_t name_id(db::Connection& c, std::string_view name);
  // The audit_names ids of an entry's payload (write lock held; cached by payload).
  [[nodiscard]] const std::array<std::int64_t, 5>& payload_ids(db::Connection& c, const Entry& e);
  void after_commit(const std::vector<Entry>& entries);  // checkpoint if due, alerts
  void checkpoint() noexcept;
  void migrate_access_log();
  void convert_v5();  // schema 5's audit_log_v5 (a row per entry) into batches
  static void insert_batch(db::Connection& c, const Packer& batch);

  store::Core& core_;
  policy::Engine& policy_;
  keys::AuditKey key_;
  std::optional<AuditSigningKey> signing_;
  std::shared_ptr<CheckpointSink> sink_;
  std::uint64_t checkpoint_every_;
  bool sync_reads_;
  bool log_reads_ = true;
  std::uint64_t split_above_ = kSplitAbove;
  AlertLimits alert_limits_;  // the options'; the manifest's fill the gaps
  Alerts::Hook on_alert_;
  Alerts alerts_;
  std::shared_ptr<const Manifest> alerts_manifest_;  // whose [alerts] are configured (write lock)

  // Under the write lock: the head of the chain and the names cache.
  std::uint64_t seq_ = 0;
  Hash chain_{};
  std::uint64_t checkpointed_ = 0;  // seq of the last checkpoint made by this instance
  std::chrono::steady_clock::time_point last_sync_{};  // of the last synced commit
  std::atomic<std::uint64_t> written_{0};              // seq_ as of the last commit, for any thread
  std::unordered_map<std::string, std::int64_t> names_;
  std::unordered_map<const Payload*,
                     std::pair<std::shared_ptr<const Payload>, std::array<std::int64_t, 5>>>
      payload_ids_;
  Packer packer_;  // the batch being written, kept for its buffer

  std::mutex recent_mu_;  // the payloads built last, for callers to share
  std::array<std::shared_ptr<const Payload>, 8> recent_;
  std::size_t next_recent_ = 0;

  mutable std::mutex queue_mu_;
  std::vector<Entry> queue_;
  std::size_t in_flight_ = 0;                       // taken from the queue, not yet committed
  std::condition_variable queue_cv_;                // the writer thread waits on it
  std::chrono::steady_clock::time_point oldest_{};  // when the queue last became non-empty
  std::chrono::milliseconds write_after_ = kWriteAfter;
  bool stopping_ = false;
  std::thread writer_;  // last: starts once everything above is set
};

}  // namespace amanah::detail::audit
