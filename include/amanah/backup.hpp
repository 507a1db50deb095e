// amanah — backups, restores, checks, and the erasure ledger that keeps an erased customer erased
// through a restore.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/audit.hpp>
#include <amanah/clock.hpp>
#include <amanah/export.hpp>
#include <amanah/key_provider.hpp>
#include <amanah/retention.hpp>

namespace amanah {

class CustomerStore;

struct BackupOptions {
  // The copy opens with this key alone (e.g. an offsite backup key kept apart from the store's
  // own); nullptr: with the store's unlock methods as they are at the backup's moment.
  const KeyProvider* key = nullptr;
  std::string label = "backup";  // the label of that unlock method
};

// What a backup holds: a store directory of its own, as of one moment.
struct BackupInfo {
  std::filesystem::path dir{};
  std::string store_id{};
  TimePoint taken_at{};
  std::uint64_t audit_seq = 0;      // the last audit entry it holds (its own "backup" entry)
  std::uint64_t tombstone_seq = 0;  // the last tombstone it holds (0: none)
  std::uint64_t customers = 0;
  std::uint64_t bytes = 0;  // of its files
};

// What store.check() and verify_backup() found: every page's HMAC and SQLite's integrity check on
// both databases, and the audit chain. Damage is thrown as Corrupt naming the file, never reported
// here: a report means everything checked.
struct CheckReport {
  std::uint64_t customers = 0;
  std::uint64_t subject_keys = 0;
  std::uint64_t consent_events = 0;
  std::uint64_t tombstones = 0;
  std::uint64_t audit_entries = 0;
  std::optional<BackupInfo> backup{};  // set when the directory is a backup
};

// One erasure as the erasure ledger records it: the tombstone (a pseudonym, a time and a reason:
// no personal data) and a MAC under a key of the store's, so that a restore replays only what
// this store wrote. One line of text each:
//   amanah-erasure 1 <store_id> <seq> <subject: 32 hex> <at> <reason> <held_until or -> <mac: 64
//   hex>
struct AMANAH_EXPORT LedgerEntry {
  std::string store_id{};
  Tombstone tombstone{};
  std::string mac{};  // hex
  [[nodiscard]] std::string to_line() const;
  // Error(Corrupt) if the line is malformed (the MAC is checked by restore, which has the key).
  [[nodiscard]] static LedgerEntry from_line(std::string_view line);
};

// Where a store hands each erasure, once committed (CreateOptions / OpenOptions::erasure_ledger):
// keep it apart from the backups. Called under the store's write lock: keep it short, and never
// call back into the store. If it throws, the store goes on, and hands the entries not yet
// taken again after the next erasure and at the next open (a restore tolerates a repeated one).
class AMANAH_EXPORT ErasureLedgerSink {
 public:
  virtual ~ErasureLedgerSink();
  virtual void append(const LedgerEntry& entry) = 0;
  // The file it writes, if any: a store refuses a ledger inside its own directory.
  [[nodiscard]] virtual std::optional<std::filesystem::path> file() const { return std::nullopt; }
};

// Appends each entry as one line to a file (created, empty, by the constructor if missing) and
// syncs it. Thread-safe.
class AMANAH_EXPORT FileErasureLedger final : public ErasureLedgerSink {
 public:
  explicit FileErasureLedger(std::filesystem::path file);
  void append(const LedgerEntry& entry) override;
  [[nodiscard]] std::optional<std::filesystem::path> file() const override { return file_; }
  // Every entry of a ledger file, in order. A torn last line is skipped; another bad line is
  // Corrupt naming its number. A missing file is NotFound (a restore must not mistake a wrong
  // path for "no erasures").
  [[nodiscard]] static std::vector<LedgerEntry> read(const std::filesystem::path& file);

 private:
  std::filesystem::path file_;
  std::mutex mu_;
};

struct RestoreOptions {
  // The erasure ledger: a FileErasureLedger's file, and/or the live store's own tombstones (when
  // it can still be opened). Restoring with neither is refused unless `without_ledger` is set;
  // the restored store then records that in its audit log.
  std::optional<std::filesystem::path> ledger_file{};
  CustomerStore* ledger_store = nullptr;
  bool without_ledger = false;
  std::shared_ptr<const Clock> clock{};  // the restored store's time (replay, sweep)
};

struct RestoreReport {
  BackupInfo backup{};               // what was restored
  std::uint64_t ledger_entries = 0;  // erasures in the ledger
  std::uint64_t replayed = 0;        // customers erased again (erased after the backup was taken)
  std::uint64_t already_erased = 0;  // ledger entries the backup already reflected
  SweepReport sweep{};               // what retention erased right after the replay
  bool without_ledger = false;
};

// Checks a backup without changing it (its files opened read-only): Corrupt naming the file at the
// first damaged page, broken b-tree or audit-chain problem; WrongKey if `key` does not open it.
[[nodiscard]] AMANAH_EXPORT CheckReport verify_backup(const std::filesystem::path& dir,
                                                      const KeyProvider& key);

// Builds a store at `to` (which must not exist) from the backup at `from`, which opens with `key`:
// the copy is checked, then, in a staging directory, every erasure of the ledger the backup does
// not reflect is replayed (an erased customer stays erased), retention is swept, and only then is
// it renamed into place. A crash leaves no store at `to` and the backup unchanged. The restored
// store has the backup's unlock methods and audit log, plus entries for the restore and each
// replayed erasure.
AMANAH_EXPORT RestoreReport restore(const std::filesystem::path& from,
                                    const std::filesystem::path& to, const KeyProvider& key,
                                    const RestoreOptions& options);

}  // namespace amanah
