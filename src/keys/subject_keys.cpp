#include "keys/subject_keys.hpp"

#include <algorithm>
#include <array>
#include <shared_mutex>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"

namespace amanah::detail::keys {
namespace {

constexpr std::size_t kPoolRefill = 64;
constexpr std::size_t kKeyIdRandom = 8;  // random bytes after the 8-byte order prefix

std::string subject_key_aad(std::string_view store_id, std::string_view key_id,
                            std::uint64_t epoch) {
  return "amanah/v1/subject-key|" + std::string(store_id) + "|" + std::string(key_id) + "|" +
         std::to_string(epoch);
}

}  // namespace

std::size_t rewrap_subject_keys(db::Connection& writer, const Kek& from, const Kek& to,
                                std::string_view store_id) {
  // Read in batches, then written: a statement never steps over rows changed under it.
  constexpr std::int64_t kBatch = 1024;
  struct Row {
    std::int64_t rowid;
    std::string id;
    crypto::Bytes wrapped;
  };
  std::vector<Row> batch;
  SecretBytes key(crypto::kKeySize);
  std::size_t done = 0;
  std::int64_t after = 0;
  auto read = writer.cached(
      "SELECT rowid, key_id, kek_epoch, wrapped FROM subject_keys WHERE rowid > ?1 "
      "ORDER BY rowid LIMIT ?2");
  auto put = writer.cached("UPDATE subject_keys SET kek_epoch = ?1, wrapped = ?2 WHERE rowid = ?3");
  for (;;) {
    batch.clear();
    std::int64_t seen = 0;
    read->bind(1, after).bind(2, kBatch);
    while (read->step()) {
      ++seen;
      after = read->column_int64(0);
      const auto epoch = static_cast<std::uint64_t>(read->column_int64(2));
      if (epoch == to.epoch()) continue;
      if (epoch != from.epoch())
        throw Error(ErrorCode::Corrupt, "a subject's key is sealed under an unknown KEK epoch");
      const auto blob = read->column_blob(3);
      batch.push_back({after, read->column_text(1), crypto::Bytes(blob.begin(), blob.end())});
    }
    read->reset();
    for (const auto& row : batch) {
      if (!from.aead().open_into(row.wrapped,
                                 crypto::as_bytes(subject_key_aad(store_id, row.id, from.epoch())),
                                 key.mutable_view()))
        throw Error(ErrorCode::Corrupt, "a subject's key in keys.db does not open");
      const auto wrapped = to.aead().seal(
          key.view(), crypto::as_bytes(subject_key_aad(store_id, row.id, to.epoch())));
      put->bind(1, static_cast<std::int64_t>(to.epoch())).bind(2, wrapped).bind(3, row.rowid).run();
      ++done;
    }
    if (seen < kBatch) break;
  }
  return done;
}

std::int64_t count_subject_keys_at(db::Connection& c, std::uint64_t epoch) {
  auto st = c.prepare("SELECT count(*) FROM subject_keys WHERE kek_epoch = ?1");
  st.bind(1, static_cast<std::int64_t>(epoch));
  if (!st.step()) throw Error(ErrorCode::Internal, "count(*) returned no row");
  return st.column_int64(0);
}

SubjectKeys::SubjectKeys(db::Connection& writer, db::ReaderPool& readers, const Kek& kek,
                         std::string store_id)
    : writer_(writer), readers_(readers), kek_(kek), store_id_(std::move(store_id)) {}

void SubjectKeys::reserve(std::size_t n) {
  if (pool_.size() >= n) return;
  const std::size_t count = std::max(kPoolRefill, n - pool_.size());
  std::vector<Pooled> fresh_ids;
  db::Transaction tx(writer_);
  // Listed keys older than the oldest one still unused were taken by committed writes: they are
  // no orphans, so the list is trimmed here (one range delete) rather than per insert.
  {
    auto trim = writer_.cached("DELETE FROM key_pool WHERE seq < ?1");
    trim->bind(1, pool_.empty() ? INT64_MAX : pool_.front().seq).run();
  }
  auto put =
      writer_.cached("INSERT INTO subject_keys(key_id, kek_epoch, wrapped) VALUES (?1, ?2, ?3)");
  auto list = writer_.cached("INSERT INTO key_pool(key_id) VALUES (?1)");
  // Key ids ascend (an 8-byte order prefix, then 8 random bytes): keys.db's key-id index grows
  // at its end instead of at random, and a scan, which reads subjects in the order they were
  // written, finds their keys in order too. The order says no more than the subjects' row order.
  if (!next_order_) {
    auto st = writer_.cached("SELECT max(key_id) FROM subject_keys");
    std::uint64_t top = 0;
    if (st->step() && !st->is_null(0)) {
      crypto::Bytes prefix;
      if (crypto::from_hex(st->column_text(0).substr(0, 16), prefix) && prefix.size() == 8)
        for (const auto b : prefix)
          top = (top << 8) | std::to_integer<std::uint64_t>(b);
    }
    next_order_ = top + 1;
  }
  // All ids and keys drawn in two calls: the generator's per-call cost dominated big batches.
  const crypto::Bytes id_bytes = crypto::random_bytes(count * kKeyIdRandom);
  SecretBytes fresh(count * crypto::kKeySize);
  crypto::random_bytes(fresh.mutable_view());
  for (std::size_t i = 0; i < count; ++i) {
    std::array<std::byte, 8> order{};
    const std::uint64_t at = (*next_order_)++;  // wraps only after 2^64 keys: then unordered
    for (std::size_t b = 0; b < order.size(); ++b)
      order[b] = static_cast<std::byte>(at >> (8 * (7 - b)));
    std::string id = crypto::to_hex(order);
    id += crypto::to_hex(std::span(id_bytes).subspan(i * kKeyIdRandom, kKeyIdRandom));
    const auto key = fresh.view().subspan(i * crypto::kKeySize, crypto::kKeySize);
    const auto aad = subject_key_aad(store_id_, id, kek_.epoch());
    const auto wrapped = kek_.aead().seal(key, crypto::as_bytes(aad));
    put->bind(1, id).bind(2, static_cast<std::int64_t>(kek_.epoch())).bind(3, wrapped).run();
    list->bind(1, id).run();
    fresh_ids.push_back({writer_.last_insert_rowid(), id});
    // Cached (bounded, oldest out first): the insert that takes it seals with it at once.
    std::lock_guard g(cache_mu_);
    const auto slot = cache_.insert(id);
    std::copy(key.begin(), key.end(), slot.begin());
  }
  tx.commit();
  listed_ = true;
  for (auto& p : fresh_ids)
    pool_.push_back(std::move(p));
}

SubjectKeys::Fresh SubjectKeys::acquire(db::Transaction& tx) {
  reserve(1);
  Pooled p = std::move(pool_.front());
  pool_.pop_front();
  Fresh out{p.id, get(p.id)};
  tx.on_rollback([this, p = std::move(p)]() mutable { pool_.push_front(std::move(p)); });
  return out;
}

SubjectKey SubjectKeys::get(std::string_view key_id) {
  {
    std::shared_lock g(cache_mu_);  // lookups in parallel; only a fill takes it alone
    if (const auto cached = cache_.find(key_id); !cached.empty()) return SubjectKey(cached);
  }
  auto lease = readers_.acquire();
  return unwrap(*lease, key_id, /*cache=*/true);
}

std::map<std::string, SubjectKey, std::less<>> SubjectKeys::get_many(
    const std::vector<std::string>& key_ids) {
  std::map<std::string, SubjectKey, std::less<>> out;
  std::vector<std::string_view> missing;
  {
    std::shared_lock g(cache_mu_);
    for (const auto& id : key_ids) {
      if (out.contains(id)) continue;
      if (const auto cached = cache_.find(id); !cached.empty())
        out.emplace(id, SubjectKey(cached));
      else
        missing.push_back(id);
    }
  }
  if (missing.empty()) return out;
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  auto lease = readers_.acquire();
  db::ReadSnapshot snapshot(*lease);
  // Key ids ascend with the subjects' rows, so a batch's keys usually lie in one narrow range:
  // one range read instead of a search per key. A wide range (ids of an older store, which are
  // random) stops at the limit and the rest are read one by one.
  const std::int64_t limit = 2 * static_cast<std::int64_t>(missing.size()) + 16;
  std::int64_t seen = 0;
  {
    auto st = lease->cached(
        "SELECT key_id, kek_epoch, wrapped FROM subject_keys WHERE key_id BETWEEN ?1 AND ?2 "
        "ORDER BY key_id LIMIT ?3");
    st->bind(1, missing.front()).bind(2, missing.back()).bind(3, limit);
    while (st->step()) {
      ++seen;
      const std::string id = st->column_text(0);
      if (!std::binary_search(missing.begin(), missing.end(), std::string_view(id))) continue;
      SubjectKey key =
          open_wrapped(id, static_cast<std::uint64_t>(st->column_int64(1)), st->column_blob(2));
      out.emplace(id, std::move(key));
    }
  }
  // A key not found is left out: its subject may have been erased after the caller read it
  // (get() then tells a missing key, Corrupt, from a customer gone).
  if (seen < limit) return out;
  for (const auto id : missing)
    if (!out.contains(id)) {
      try {
        out.emplace(std::string(id), unwrap(*lease, id, /*cache=*/false));
      } catch (const Error& e) {
        if (e.code() != ErrorCode::Corrupt) throw;
      }
    }
  return out;
}

SubjectKey SubjectKeys::open_wrapped(std::string_view key_id, std::uint64_t epoch,
                                     std::span<const std::byte> wrapped) const {
  if (epoch != kek_.epoch())
    throw Error(ErrorCode::Corrupt, "a subject's key is sealed under an unknown KEK epoch");
  const auto aad = subject_key_aad(store_id_, key_id, epoch);
  SubjectKey key;
  if (!kek_.aead().open_into(wrapped, crypto::as_bytes(aad), key.bytes_))
    throw Error(ErrorCode::Corrupt, "a subject's key in keys.db does not open");
  return key;
}

SubjectKey SubjectKeys::unwrap(db::Connection& c, std::string_view key_id, bool cache) {
  auto st = c.cached("SELECT kek_epoch, wrapped FROM subject_keys WHERE key_id = ?1");
  st->bind(1, key_id);
  if (!st->step()) throw Error(ErrorCode::Corrupt, "a subject's key is missing from keys.db");
  SubjectKey key =
      open_wrapped(key_id, static_cast<std::uint64_t>(st->column_int64(0)), st->column_blob(1));
  if (cache) {
    std::lock_guard g(cache_mu_);
    const auto slot = cache_.insert(key_id);
    std::copy(key.bytes_.begin(), key.bytes_.end(), slot.begin());
  }
  return key;
}

void SubjectKeys::destroy(std::string_view key_id) {
  {
    db::Transaction tx(writer_);
    db::Statement keys = writer_.prepare("DELETE FROM subject_keys WHERE key_id = ?1");
    db::Statement pool = writer_.prepare("DELETE FROM key_pool WHERE key_id = ?1");
    keys.bind(1, key_id).run();
    pool.bind(1, key_id).run();
    for (const auto& k : owed_) {
      keys.bind(1, k).run();
      pool.bind(1, k).run();
    }
    tx.commit();
  }
  owed_.clear();
  std::lock_guard g(cache_mu_);
  cache_.erase(key_id);
}

bool SubjectKeys::destroy_released(std::string_view key_id) noexcept {
  try {
    destroy(key_id);
    return true;
  } catch (...) {
    try {
      owed_.emplace_back(key_id);
    } catch (...) {
      // Still listed in key_pool: the next open's sweep destroys it.
    }
    std::lock_guard g(cache_mu_);
    cache_.erase(key_id);
    return false;
  }
}

void SubjectKeys::doom(const std::vector<std::string>& key_ids) {
  if (key_ids.empty()) return;
  db::Transaction tx(writer_);
  db::Statement ins = writer_.prepare("INSERT INTO key_pool(key_id) VALUES (?1)");
  for (const auto& id : key_ids)
    ins.bind(1, id).run();
  tx.commit();
  listed_ = true;
}

void SubjectKeys::sweep(const Claimed& claimed) {
  std::vector<std::string> listed;
  {
    db::Statement st = writer_.prepare("SELECT key_id FROM key_pool");
    while (st.step())
      listed.push_back(st.column_text(0));
  }
  if (listed.empty()) return;
  const auto used = claimed(listed);
  db::Transaction tx(writer_);
  db::Statement del = writer_.prepare("DELETE FROM subject_keys WHERE key_id = ?1");
  for (const auto& id : listed)
    if (!used.contains(id)) del.bind(1, id).run();
  writer_.exec("DELETE FROM key_pool");
  tx.commit();
}

void SubjectKeys::drop_pool() noexcept {
  if (pool_.empty() && !listed_) return;
  try {
    db::Transaction tx(writer_);
    db::Statement st = writer_.prepare("DELETE FROM subject_keys WHERE key_id = ?1");
    for (const auto& p : pool_)
      st.bind(1, p.id).run();
    for (const auto& k : owed_)
      st.bind(1, k).run();
    writer_.exec("DELETE FROM key_pool");
    tx.commit();
    owed_.clear();
    listed_ = false;
  } catch (...) {
    // Left listed: the next open sweeps them.
  }
  std::lock_guard g(cache_mu_);
  for (const auto& p : pool_)
    cache_.erase(p.id);
  pool_.clear();
}

void SubjectKeys::clear_cache() noexcept {
  std::lock_guard g(cache_mu_);
  cache_.clear();
}

}  // namespace amanah::detail::keys
