// The core of an open store: resources only (docs/ARCHITECTURE.md, "Layers"). The directory lock,
// the keyslots and key hierarchy, the write connections and read pools of data.db and keys.db, the
// clock and the manifest in force. Capabilities live in their own services, which are given the
// parts of the core they need; none of them is known here.
#pragma once

#include <pthread.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <amanah/clock.hpp>
#include <amanah/key_provider.hpp>
#include <amanah/manifest.hpp>

#include "db/db.hpp"
#include "fs/fs.hpp"
#include "keys/hierarchy.hpp"
#include "keys/keyslots.hpp"
#include "keys/typed.hpp"

namespace amanah::detail::store {

// A readers-writer lock that lets a waiting writer in (glibc's default prefers readers, so a
// steady stream of reads would starve rekey() and close() for ever). Works with std::shared_lock
// and std::unique_lock. Not recursive.
class Gate {
 public:
  Gate();
  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  void lock();
  void unlock();
  void lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t rw_;
};

class Core;

// A connection to read data.db with, for one read. The write connection when nobody is writing
// (try_lock: a read never waits for the writer): its page cache stays warm, whereas every commit
// empties the cache of every other connection and each page must then be decrypted again. A
// pooled reader otherwise. Release it before anything that may take the write lock.
class DataReader {
 public:
  explicit DataReader(Core& core);
  db::Connection& operator*() noexcept { return *conn_; }
  db::Connection* operator->() noexcept { return conn_; }

 private:
  std::unique_lock<std::mutex> write_;
  std::optional<db::ReaderPool::Lease> lease_;
  db::Connection* conn_ = nullptr;
};

class Core {
 public:
  Core() = default;
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Builds a new store at `dir` (in a hidden sibling renamed into place) and opens it.
  [[nodiscard]] static std::unique_ptr<Core> create(const std::filesystem::path& dir,
                                                    const KeyProvider& key,
                                                    const Manifest& manifest,
                                                    std::string_view label,
                                                    std::shared_ptr<const Clock> clock);
  [[nodiscard]] static std::unique_ptr<Core> open(const std::filesystem::path& dir,
                                                  const KeyProvider& key,
                                                  std::shared_ptr<const Clock> clock);

  // Locks. Every call takes `gate` shared (lifecycle changes take it exclusive), then writes
  // also take `write_mu`: reads never wait for a writer.
  mutable Gate gate;
  mutable std::mutex write_mu;

  [[nodiscard]] bool is_open() const noexcept { return data_.is_open(); }
  void require_open() const;  // Error(InvalidOperation) once closed
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  [[nodiscard]] const std::string& store_id() const noexcept { return keys_.store_id(); }
  [[nodiscard]] const keys::KeyHierarchy& keys() const noexcept { return keys_; }
  [[nodiscard]] const keys::Kek& kek() const noexcept { return kek_; }

  // Connections: the writers only under write_mu; the pools from any thread.
  [[nodiscard]] db::Connection& data_writer() noexcept { return data_; }
  [[nodiscard]] db::Connection& keys_writer() noexcept { return keysdb_; }
  [[nodiscard]] db::ReaderPool& data_readers() noexcept { return data_readers_; }
  [[nodiscard]] db::ReaderPool& keys_readers() noexcept { return keys_readers_; }

  [[nodiscard]] std::int64_t now() const;  // unix seconds from the store's clock
  [[nodiscard]] std::shared_ptr<const Manifest> manifest() const;
  // Replaces the manifest in force, whole (readers keep the one they started with).
  void set_manifest(Manifest m);

  // Keyslots (write_mu held).
  [[nodiscard]] const keys::Keyslots& slots() const noexcept { return slots_; }
  void commit_slots(keys::Keyslots next);
  // Re-encrypts both files under the next generation (gate held exclusively). On failure, if
  // both files still open under the current keys, the intent is taken back and the store stays
  // open as it was; otherwise the core is closed and the next open completes the rekey.
  void rekey();
  // Seals every subject key in keys.db under a fresh random KEK (epoch + 1) and destroys the old
  // KEK (gate held exclusively, write_mu held): the intent (the next KEK, sealed) goes into the
  // keyslots first; then one keys.db transaction re-wraps every key, keys.db's log is checkpointed
  // with TRUNCATE, and keyslots are written with the new KEK alone. On failure, if keys.db holds
  // no key under the new KEK (its re-wrap did not commit), the intent is taken back and the store
  // stays open as it was; otherwise the core is closed and the next open completes the rotation
  // (or, if keys.db cannot be re-wrapped and holds no key under the new KEK, drops it). Keys
  // already unwrapped in a cache stay valid.
  void rotate_kek();
  [[nodiscard]] SecretBytes data_key() const { return keys_.data_db(slots_.db_generation); }
  [[nodiscard]] SecretBytes keys_key() const { return keys_.keys_db(slots_.db_generation); }

  // After an erasure or a correction (write_mu held): frees the pages it emptied (incremental
  // vacuum) and checkpoints both write-ahead logs with TRUNCATE, so no free page and no WAL frame
  // keeps an old value (secure_delete zeroes what a write removes from a page). False if a
  // reader's snapshot kept a log from being emptied: its frames stay until a later checkpoint.
  // Runs after a commit, so it never throws: a failed step (an I/O error) is false too, and is
  // retried by the next scrub or at close (the change it follows stays committed and reported).
  [[nodiscard]] bool scrub() noexcept;

  // Closes connections and pools, wipes keys, releases the lock (gate held exclusively).
  void close() noexcept;

 private:
  [[nodiscard]] std::filesystem::path file(std::string_view name) const { return dir_ / name; }
  void finish_rekey();
  void finish_rotation();
  void complete_rotation(keys::Kek next);
  [[nodiscard]] bool undo_rekey(keys::Keyslots before) noexcept;
  [[nodiscard]] bool undo_rotation(keys::Keyslots before, std::uint64_t to) noexcept;
  void open_databases();

  std::filesystem::path dir_;
  fs::DirLock lock_;  // declared first: released last
  keys::Keyslots slots_;
  keys::KeyHierarchy keys_;
  keys::Kek kek_;
  db::Connection data_;
  db::Connection keysdb_;
  db::ReaderPool data_readers_;
  db::ReaderPool keys_readers_;
  std::shared_ptr<const Clock> clock_;
  mutable std::mutex manifest_mu_;
  std::shared_ptr<const Manifest> manifest_;
  bool scrub_owed_ = false;  // a scrub failed (write_mu): retried by the next one or close()
};

}  // namespace amanah::detail::store
