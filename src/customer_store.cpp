// CustomerStore: creating, opening, unlocking and rekeying a store directory.
#include <amanah/error.hpp>
#include <amanah/store.hpp>
#include <amanah/version.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "fs/fs.hpp"
#include "keys/hierarchy.hpp"
#include "keys/keyslots.hpp"
#include "store/access.hpp"
#include "store/impl.hpp"
#include "store/layout.hpp"

namespace amanah {

namespace detail::store {
std::function<void(std::string_view)> g_fault_point;
}

namespace {

namespace fsys = std::filesystem;
namespace crypto = detail::crypto;
namespace keys = detail::keys;
namespace db = detail::db;
namespace layout = detail::store;

void validate_label(std::string_view label) {
  if (label.empty() || label.size() > 128)
    throw Error(ErrorCode::InvalidArgument, "an unlock method label must be 1 to 128 bytes");
  for (unsigned char c : label)
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorCode::InvalidArgument,
                  "an unlock method label must not contain control characters");
}

fsys::path normalized(const fsys::path& dir) {
  fsys::path p = fsys::absolute(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "x/" names the directory x
  return p;
}

// Creates a database file with its schema and the store id it belongs to.
void init_db(const fsys::path& file, const SecretBytes& key, std::span<const db::Migration> schema,
             const std::string& store_id, const std::string* manifest_json) {
  db::Connection c = db::Connection::open(file, key, /*create=*/true);
  db::migrate(c, schema);
  db::Transaction tx(c);
  c.prepare("INSERT INTO amanah_meta(key, value) VALUES ('store_id', ?1), ('created_by', ?2)")
      .bind(1, store_id)
      .bind(2, AMANAH_VERSION_STRING)
      .run();
  if (manifest_json != nullptr)
    c.prepare("INSERT INTO manifest(id, body) VALUES (1, ?1)").bind(1, *manifest_json).run();
  tx.commit();
  c.checkpoint_truncate();
}

// Opens one of the store's databases; any mismatch with the keyslots is damage, not a wrong key
// (the keyslots already proved the key right).
db::Connection open_db(const fsys::path& file, const SecretBytes& key,
                       std::span<const db::Migration> schema, const std::string& store_id) {
  const std::string name = file.filename().string();
  std::error_code ec;
  const auto size = fsys::file_size(file, ec);
  if (ec) throw Error(ErrorCode::Corrupt, name + " is missing from the store");
  // SQLite would treat an empty file as a new database; in a store it is damage.
  if (size == 0) throw Error(ErrorCode::Corrupt, name + " is empty");
  db::Connection c;
  try {
    c = db::Connection::open(file, key, /*create=*/false);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::WrongKey)
      throw Error(ErrorCode::Corrupt,
                  name + " does not open with this store's keys (damaged or replaced)");
    throw;
  }
  // Check whose file it is before migrating writes anything to it.
  if (c.user_version() < 1) throw Error(ErrorCode::Corrupt, name + " has no amanah schema");
  {
    db::Statement st = c.prepare("SELECT value FROM amanah_meta WHERE key = 'store_id'");
    if (!st.step() || st.column_text(0) != store_id)
      throw Error(ErrorCode::Corrupt, name + " belongs to another store");
  }
  db::migrate(c, schema);
  return c;
}

// Re-encrypts one database file from generation `from` to `to`, or confirms it already is at `to`.
void rekey_file(const fsys::path& file, const SecretBytes& from_key, const SecretBytes& to_key) {
  try {
    db::Connection c = db::Connection::open(file, from_key, false);
    c.rekey(to_key);
    return;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::WrongKey) throw;
  }
  try {
    db::Connection c = db::Connection::open(file, to_key, false);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::WrongKey)
      throw Error(ErrorCode::Corrupt,
                  file.filename().string() + " opens with neither the old nor the new key");
    throw;
  }
}

}  // namespace

using Impl = detail::StoreImpl;

SecretBytes Impl::data_key(std::uint64_t gen) const {
  return keys::data_db_key(root, slots.store_id, gen);
}
SecretBytes Impl::keys_key(std::uint64_t gen) const {
  return keys::keys_db_key(root, slots.store_id, gen);
}

void Impl::require_open() const {
  if (!data.is_open()) throw Error(ErrorCode::InvalidOperation, "the store is closed");
}

// Writes new keyslots and adopts them only once they are on disk.
void Impl::commit_slots(keys::Keyslots next) {
  keys::write_keyslots(file(layout::kKeyslotsFile), next, root);
  slots = std::move(next);
}

// An interrupted rekey left rekey_to in the keyslots: bring both files to that generation (or,
// when a damaged file cannot be re-encrypted, back to db_generation).
void Impl::finish_rekey() {
  const std::uint64_t from = slots.db_generation;
  const std::uint64_t to = *slots.rekey_to;
  std::uint64_t now_at = to;
  try {
    rekey_file(file(layout::kDataDbFile), data_key(from), data_key(to));
    rekey_file(file(layout::kKeysDbFile), keys_key(from), keys_key(to));
  } catch (const Error& e) {
    // A damaged file cannot be re-encrypted (rekey() already reported Corrupt for it), and
    // retrying at every open would leave the store unopenable. Undo instead: both files back to
    // `from` (each file is wholly at one generation). If that fails too, the store is Corrupt.
    if (e.code() != ErrorCode::Corrupt) throw;
    rekey_file(file(layout::kDataDbFile), data_key(to), data_key(from));
    rekey_file(file(layout::kKeysDbFile), keys_key(to), keys_key(from));
    now_at = from;
  }
  keys::Keyslots next = slots;
  next.db_generation = now_at;
  next.rekey_to.reset();
  commit_slots(std::move(next));
}

void Impl::open_databases() {
  if (slots.rekey_to) finish_rekey();
  data = open_db(file(layout::kDataDbFile), data_key(slots.db_generation), layout::kDataDbSchema,
                 slots.store_id);
  keysdb = open_db(file(layout::kKeysDbFile), keys_key(slots.db_generation), layout::kKeysDbSchema,
                   slots.store_id);
  load_kek();
}

void Impl::close() noexcept {
  if (data.is_open()) {
    flush_reads_now();
    drop_key_pool();
  }
  data.close();
  keysdb.close();
  key_cache.clear();
  index_macs.clear();
  mask_keys.clear();
  audit_mac = {};
  kek.clear();
  root.clear();
  lock.release();
}

CustomerStore::CustomerStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CustomerStore::CustomerStore(CustomerStore&&) noexcept = default;

Impl& CustomerStore::live() const {
  if (!impl_) throw Error(ErrorCode::InvalidOperation, "the store was moved from");
  return *impl_;
}
CustomerStore& CustomerStore::operator=(CustomerStore&&) noexcept = default;
CustomerStore::~CustomerStore() {
  close();
}

CustomerStore CustomerStore::create(const fsys::path& dir, const KeyProvider& key,
                                    const CreateOptions& options) {
  return create(dir, key, Manifest{}, options);
}

CustomerStore CustomerStore::create(const fsys::path& dir_in, const KeyProvider& key,
                                    const Manifest& manifest, const CreateOptions& options) {
  validate_label(options.label);
  const std::string manifest_json = manifest.to_json();
  const fsys::path dir = normalized(dir_in);
  std::error_code ec;
  const auto st = fsys::status(dir, ec);
  if (fsys::exists(st)) {
    if (!fsys::is_directory(st))
      throw Error(ErrorCode::AlreadyExists, dir.string() + " exists and is not a directory");
    if (fsys::exists(dir / layout::kKeyslotsFile))
      throw Error(ErrorCode::AlreadyExists, "a store already exists at " + dir.string());
    if (!fsys::is_empty(dir, ec) || ec)
      throw Error(ErrorCode::AlreadyExists, dir.string() + " is not empty");
  }
  const fsys::path parent = dir.parent_path();
  if (!fsys::is_directory(parent, ec))
    throw Error(ErrorCode::NotFound, "parent directory " + parent.string() + " does not exist");

  // Build the store in a hidden sibling and rename it into place: a crash never leaves half a
  // store at `dir`.
  // (Built with append: GCC 12 at -O3 warns a false -Wrestrict on "." + std::string.)
  std::string tmp_name = ".";
  tmp_name.append(dir.filename().string()).append(".creating-");
  tmp_name.append(crypto::to_hex(crypto::random_bytes(6)));
  const fsys::path tmp = parent / tmp_name;
  if (!fsys::create_directory(tmp, ec) || ec)
    throw Error(ErrorCode::Io, "cannot create " + tmp.string() + ": " + ec.message());
  fsys::permissions(tmp, fsys::perms::owner_all, ec);

  auto impl = std::make_unique<Impl>();
  try {
    impl->lock = detail::fs::DirLock(tmp);
    impl->root = SecretBytes::random(crypto::kKeySize);
    keys::Keyslots k;
    k.store_id = crypto::to_hex(crypto::random_bytes(16));
    k.db_generation = 1;
    k.kek_epoch = 1;
    k.kek_wrapped =
        keys::seal_kek(SecretBytes::random(crypto::kKeySize), impl->root, k.store_id, 1);
    k.slots.push_back(keys::make_slot(key, impl->root, k.store_id, options.label));
    impl->slots = std::move(k);
    impl->dir = tmp;
    init_db(tmp / layout::kDataDbFile, impl->data_key(1), layout::kDataDbSchema,
            impl->slots.store_id, &manifest_json);
    init_db(tmp / layout::kKeysDbFile, impl->keys_key(1), layout::kKeysDbSchema,
            impl->slots.store_id, nullptr);
    keys::write_keyslots(tmp / layout::kKeyslotsFile, impl->slots, impl->root);
    layout::fault_point("create:before-rename");
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
      const int err = errno;
      if (err == ENOTEMPTY || err == EEXIST || err == ENOTDIR)
        throw Error(ErrorCode::AlreadyExists,
                    dir.string() + " appeared while the store was created");
      throw Error(ErrorCode::Io,
                  "cannot move the new store into place: " + std::string(std::strerror(err)));
    }
  } catch (...) {
    impl->close();
    fsys::remove_all(tmp, ec);
    throw;
  }
  detail::fs::sync_directory(parent);
  impl->dir = dir;
  impl->open_databases();
  impl->manifest = manifest;
  return CustomerStore(std::move(impl));
}

CustomerStore CustomerStore::open(const fsys::path& dir_in, const KeyProvider& key) {
  const fsys::path dir = normalized(dir_in);
  std::error_code ec;
  if (!fsys::exists(dir, ec)) throw Error(ErrorCode::NotFound, "no store at " + dir.string());
  if (!fsys::is_directory(dir, ec) || !fsys::exists(dir / layout::kKeyslotsFile, ec))
    throw Error(ErrorCode::NotAStore, dir.string() + " is not an amanah store (no keyslots file)");

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->lock = detail::fs::DirLock(dir);
  impl->slots = keys::read_keyslots(dir / layout::kKeyslotsFile);
  impl->root = keys::unlock(impl->slots, key);
  impl->open_databases();
  impl->load_stored_manifest();
  return CustomerStore(std::move(impl));
}

CustomerStore CustomerStore::open(const fsys::path& dir, const KeyProvider& key,
                                  const Manifest& manifest, const OpenOptions& options) {
  CustomerStore store = open(dir, key);
  std::lock_guard g(store.impl_->mu);
  store.impl_->adopt_manifest(manifest, options);
  return store;
}

const Manifest& CustomerStore::manifest() const {
  Impl& self = live();
  return self.manifest;  // replaced only while opening, before anyone else sees the store
}

const fsys::path& CustomerStore::path() const {
  Impl& self = live();
  return self.dir;
}

std::string CustomerStore::store_id() const {
  Impl& self = live();
  std::lock_guard g(self.mu);
  return self.slots.store_id;
}

std::vector<UnlockMethod> CustomerStore::unlock_methods() const {
  Impl& self = live();
  std::lock_guard g(self.mu);
  self.require_open();
  std::vector<UnlockMethod> out;
  for (const auto& s : self.slots.slots)
    out.push_back({s.id, s.wrapped.kind, s.label});
  return out;
}

std::string CustomerStore::add_unlock_method(const KeyProvider& key, std::string_view label) {
  validate_label(label);
  Impl& self = live();
  std::lock_guard g(self.mu);
  self.require_open();
  keys::Keyslots next = self.slots;
  next.slots.push_back(keys::make_slot(key, self.root, next.store_id, label));
  std::string id = next.slots.back().id;
  self.commit_slots(std::move(next));
  return id;
}

void CustomerStore::remove_unlock_method(std::string_view id) {
  Impl& self = live();
  std::lock_guard g(self.mu);
  self.require_open();
  keys::Keyslots next = self.slots;
  const auto it = std::find_if(next.slots.begin(), next.slots.end(),
                               [&](const keys::Slot& s) { return s.id == id; });
  if (it == next.slots.end())
    throw Error(ErrorCode::NotFound, "no unlock method with id " + std::string(id));
  if (next.slots.size() == 1)
    throw Error(ErrorCode::InvalidOperation, "cannot remove the last unlock method");
  next.slots.erase(it);
  self.commit_slots(std::move(next));
}

SecretBytes CustomerStore::add_recovery_key(std::string_view label) {
  SecretBytes printed = generate_recovery_key();
  (void)add_unlock_method(*recovery_key(printed.clone()), label);
  return printed;
}

void CustomerStore::rekey() {
  Impl& self = live();
  std::lock_guard g(self.mu);
  self.require_open();
  Impl& s = self;
  const std::uint64_t to = s.slots.db_generation + 1;
  try {
    // Record the intent first, so a crash in between is finished by the next open.
    keys::Keyslots marked = s.slots;
    marked.rekey_to = to;
    s.commit_slots(std::move(marked));
    layout::fault_point("rekey:marked");
    s.data.rekey(s.data_key(to));
    layout::fault_point("rekey:data-done");
    s.keysdb.rekey(s.keys_key(to));
    layout::fault_point("rekey:keys-done");
    keys::Keyslots done = s.slots;
    done.db_generation = to;
    done.rekey_to.reset();
    s.commit_slots(std::move(done));
  } catch (...) {
    // The files may be at two generations now; only a fresh open sorts that out.
    s.close();
    throw;
  }
}

std::uint64_t CustomerStore::key_generation() const {
  Impl& self = live();
  std::lock_guard g(self.mu);
  return self.slots.db_generation;
}

void CustomerStore::close() noexcept {
  if (!impl_) return;
  std::lock_guard g(impl_->mu);
  impl_->close();
}

bool CustomerStore::is_open() const noexcept {
  if (!impl_) return false;
  std::lock_guard g(impl_->mu);
  return impl_->data.is_open();
}

namespace detail {

db::Connection& StoreAccess::data_db(CustomerStore& s) {
  return s.impl_->data;
}
db::Connection& StoreAccess::keys_db(CustomerStore& s) {
  return s.impl_->keysdb;
}
SecretBytes StoreAccess::data_db_key(const CustomerStore& s) {
  return s.impl_->data_key(s.impl_->slots.db_generation);
}
SecretBytes StoreAccess::keys_db_key(const CustomerStore& s) {
  return s.impl_->keys_key(s.impl_->slots.db_generation);
}

}  // namespace detail
}  // namespace amanah
