// Per-subject keys: random 256-bit keys in keys.db, each sealed under the current KEK epoch.
// Erasing a subject destroys its key, which makes its sealed fields unreadable everywhere.
// Records use them, and erasure will need them without records: hence a service of its own.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "db/db.hpp"
#include "keys/key_cache.hpp"
#include "keys/typed.hpp"

namespace amanah::detail::keys {

// A KEK rotation's step in keys.db: every key of `subject_keys` sealed under `from` (its epoch)
// is opened and sealed again under `to` (its epoch in the row and in the AAD, as SubjectKeys
// seals), in the caller's transaction on keys.db's writer. Rows already at `to` are left as they
// are (an interrupted rotation being completed). Error(Corrupt), the caller's transaction to be
// rolled back, if a row is at another epoch or does not open. Returns the number re-sealed.
[[nodiscard]] std::size_t rewrap_subject_keys(db::Connection& writer, const Kek& from,
                                              const Kek& to, std::string_view store_id);
// The number of keys in `subject_keys` sealed under `epoch`.
[[nodiscard]] std::int64_t count_subject_keys_at(db::Connection& c, std::uint64_t epoch);

class SubjectKeys {
 public:
  // `writer` is keys.db's write connection (used only under the store's write lock), `readers`
  // its read connections; `kek` wraps the keys.
  SubjectKeys(db::Connection& writer, db::ReaderPool& readers, const Kek& kek,
              std::string store_id);
  SubjectKeys(const SubjectKeys&) = delete;
  SubjectKeys& operator=(const SubjectKeys&) = delete;

  // --- writer side (caller holds the store's write lock)
  // Fresh keys are committed to keys.db ahead of use (and listed in key_pool), so an insert
  // commits data.db only. Makes sure at least `n` are ready.
  void reserve(std::size_t n);
  struct Fresh {
    std::string id;
    SubjectKey key;
  };
  // A fresh key for a subject written in `tx`; back to the pool if `tx` rolls back.
  [[nodiscard]] Fresh acquire(db::Transaction& tx);
  // Destroys a key in keys.db (its own transaction) and in the cache, with any an earlier
  // destroy_released() left owed.
  void destroy(std::string_view key_id);
  // destroy() for a key a data.db commit has already released (listed by doom()): never throws,
  // since that commit stands. If keys.db fails, the key leaves the cache at once and stays listed
  // in key_pool; the next destroy, close (drop_pool) or open (sweep) destroys it. False then.
  bool destroy_released(std::string_view key_id) noexcept;
  // Lists keys about to be released by a data.db commit (keys.db's key_pool, committed now), so
  // that if the process dies between that commit and destroy(), the next open's sweep destroys
  // them (a key left behind would still open the customer in an old copy of data.db).
  void doom(const std::vector<std::string>& key_ids);
  // Keys drawn but never used (a killed write, or the pool at close) protect nothing: at open,
  // every listed key that `claimed` does not return is deleted; at close, the unused pool.
  using Claimed = std::function<std::unordered_set<std::string>(const std::vector<std::string>&)>;
  void sweep(const Claimed& claimed);
  void drop_pool() noexcept;

  // --- reader side (any thread)
  [[nodiscard]] SubjectKey get(std::string_view key_id);
  // Several keys under one keys.db snapshot, without filling the cache (a scan would only evict
  // what gets and finds use). A key that is missing or does not open is left out: its subject may
  // have been erased since the caller read it, and get() tells the two apart.
  [[nodiscard]] std::map<std::string, SubjectKey, std::less<>> get_many(
      const std::vector<std::string>& key_ids);

  void clear_cache() noexcept;

 private:
  SubjectKey unwrap(db::Connection& c, std::string_view key_id, bool cache);
  // Error(Corrupt) unless `wrapped` opens under the KEK of `epoch` as the key `key_id`.
  SubjectKey open_wrapped(std::string_view key_id, std::uint64_t epoch,
                          std::span<const std::byte> wrapped) const;

  db::Connection& writer_;
  db::ReaderPool& readers_;
  const Kek& kek_;
  std::string store_id_;
  struct Pooled {
    std::int64_t seq;
    std::string id;
  };
  std::deque<Pooled> pool_;                  // write lock
  std::optional<std::uint64_t> next_order_;  // write lock; read from keys.db on first use
  std::vector<std::string> owed_;            // released keys whose destruction failed (writer side)
  bool listed_ = false;  // key_pool may hold rows (a close without them writes nothing)
  std::shared_mutex cache_mu_;
  KeyCache cache_;
};

}  // namespace amanah::detail::keys
