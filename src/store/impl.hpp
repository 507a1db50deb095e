// The state behind a CustomerStore, shared by the store's lifecycle code (customer_store.cpp)
// and the records engine (records/).
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/manifest.hpp>
#include <amanah/record.hpp>
#include <amanah/secret.hpp>
#include <amanah/store.hpp>

#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "fs/fs.hpp"
#include "keys/keyslots.hpp"
#include "records/doc.hpp"
#include "records/key_cache.hpp"

namespace amanah::detail {

struct AccessEntry {
  std::int64_t at = 0;  // unix seconds
  std::string actor, roles, purpose, action;
  std::string subject;  // keyed pseudonym of the subject id; empty when not about one subject
  std::string fields;   // field names, comma-separated; never values
};

// "a,b,c": how roles and field names are written in the access log.
[[nodiscard]] std::string join_names(const std::vector<std::string>& names);

struct StoreImpl {
  std::filesystem::path dir;
  fs::DirLock lock;  // declared first: released last
  keys::Keyslots slots;
  SecretBytes root;
  SecretBytes kek;  // current KEK epoch: wraps per-subject keys
  db::Connection data;
  db::Connection keysdb;
  Manifest manifest;
  mutable std::mutex mu;

  // Derived keys, computed on first use.
  std::map<std::string, crypto::HmacSha256, std::less<>> index_macs;  // per lookup field
  std::map<std::string, SecretBytes, std::less<>> mask_keys;          // per field, for Mask::hash
  crypto::HmacSha256 audit_mac;  // subject pseudonyms in the log

  // Per-subject keys: a pool of fresh keys already in keys.db (so an insert commits data.db
  // only), and a small cache of unwrapped keys.
  std::deque<std::string> key_pool;
  records::KeyCache key_cache;

  std::vector<AccessEntry> pending_reads;  // flushed in batches and with every write

  // --- lifecycle (customer_store.cpp)
  std::filesystem::path file(std::string_view name) const { return dir / name; }
  SecretBytes data_key(std::uint64_t gen) const;
  SecretBytes keys_key(std::uint64_t gen) const;
  void require_open() const;
  void commit_slots(keys::Keyslots next);
  void finish_rekey();
  void open_databases();
  void close() noexcept;

  // --- records (records/)
  void load_kek();
  // Adopts `next` as the manifest: stores it, checks compatibility with the stored one.
  void adopt_manifest(const Manifest& next, const OpenOptions& options);
  void load_stored_manifest();
  void check_context(const AccessContext& ctx) const;
  const crypto::HmacSha256& index_mac(std::string_view field);
  // Blind-index tag of a normalized value: HMAC-SHA256 truncated to the field's index_bits.
  std::int64_t index_tag(const Field& f, std::string_view index_form);
  // Subjects whose lookup field `f` has blind-index tag `tag`, each with the index form of its
  // stored value. The index is truncated on purpose: callers compare the forms.
  std::vector<std::pair<std::string, std::string>> tagged(const Field& f, std::int64_t tag);
  // What indexes compare, from a stored canonical value.
  static std::string stored_index_form(const Field& f, std::string_view canonical);
  const SecretBytes& mask_key(std::string_view field);
  std::string pseudonym(std::string_view subject_id);
  void log_write(const AccessContext& ctx, std::string_view action, std::string_view subject,
                 std::string_view fields);  // inside the caller's transaction
  void log_read(const AccessContext& ctx, std::string_view subject, std::string_view fields);
  // Writes the queued reads inside the caller's transaction and returns how many; the caller
  // forgets them with forget_reads(n) once that transaction has committed (a rollback keeps them).
  [[nodiscard]] std::size_t flush_reads();
  void forget_reads(std::size_t n);
  void flush_reads_now() noexcept;  // its own transaction, best effort (close)

  // Makes sure the pool holds at least `n` fresh keys (one keys.db transaction if it must grow).
  void reserve_subject_keys(std::size_t n);
  std::string acquire_subject_key();             // key id from the pool (refilled in keys.db)
  void release_subject_key(std::string key_id);  // back to the pool (insert rolled back)
  // The subject key (a view into the key cache, valid until the next subject_key call).
  std::span<const std::byte> subject_key(std::string_view key_id);
  // A stored value as text: opened under the subject's key if sealed (Error(Corrupt) if that
  // fails).
  std::string plain_value(std::string_view subject_id, std::string_view key_id,
                          std::string_view field, const records::DocValue& v);
  void destroy_subject_key(std::string_view key_id);
  void drop_key_pool() noexcept;
};

}  // namespace amanah::detail
