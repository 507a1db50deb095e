// The store's lifecycle: creating, opening, rekeying and closing the directory's resources.
#include "store/core.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <amanah/error.hpp>
#include <amanah/version.hpp>

#include "crypto/crypto.hpp"
#include "keys/subject_keys.hpp"
#include "store/layout.hpp"

namespace amanah::detail::store {

namespace {

namespace fsys = std::filesystem;

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

std::shared_ptr<const Clock> or_system(std::shared_ptr<const Clock> clock) {
  return clock ? std::move(clock) : system_clock();
}

}  // namespace

Gate::Gate() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  if (pthread_rwlock_init(&rw_, &attr) != 0)
    throw Error(ErrorCode::Internal, "cannot create the store's lock");
  pthread_rwlockattr_destroy(&attr);
}
Gate::~Gate() {
  pthread_rwlock_destroy(&rw_);
}
void Gate::lock() {
  pthread_rwlock_wrlock(&rw_);
}
void Gate::unlock() {
  pthread_rwlock_unlock(&rw_);
}
void Gate::lock_shared() {
  pthread_rwlock_rdlock(&rw_);
}
void Gate::unlock_shared() {
  pthread_rwlock_unlock(&rw_);
}

DataReader::DataReader(Core& core) : write_(core.write_mu, std::try_to_lock) {
  if (write_.owns_lock()) {
    conn_ = &core.data_writer();
  } else {
    lease_.emplace(core.data_readers().acquire());
    conn_ = &**lease_;
  }
}

void Core::require_open() const {
  if (!data_.is_open()) throw Error(ErrorCode::InvalidOperation, "the store is closed");
}

std::int64_t Core::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_->now().time_since_epoch()).count();
}

std::shared_ptr<const Manifest> Core::manifest() const {
  std::lock_guard g(manifest_mu_);
  return manifest_;
}

void Core::set_manifest(Manifest m) {
  auto next = std::make_shared<const Manifest>(std::move(m));
  std::lock_guard g(manifest_mu_);
  manifest_ = std::move(next);
}

// Writes new keyslots and adopts them only once they are on disk.
void Core::commit_slots(keys::Keyslots next) {
  keys::write_keyslots(file(kKeyslotsFile), next, keys_.root());
  slots_ = std::move(next);
}

// An interrupted rekey left rekey_to in the keyslots: bring both files to that generation (or,
// when a damaged file cannot be re-encrypted, back to db_generation).
void Core::finish_rekey() {
  const std::uint64_t from = slots_.db_generation;
  const std::uint64_t to = *slots_.rekey_to;
  std::uint64_t now_at = to;
  try {
    rekey_file(file(kDataDbFile), keys_.data_db(from), keys_.data_db(to));
    fault_point("rekey:recovered-data");
    rekey_file(file(kKeysDbFile), keys_.keys_db(from), keys_.keys_db(to));
  } catch (const Error& e) {
    // A damaged file cannot be re-encrypted (rekey() already reported Corrupt for it), and
    // retrying at every open would leave the store unopenable. Undo instead: both files back to
    // `from` (each file is wholly at one generation). If that fails too, the store is Corrupt.
    if (e.code() != ErrorCode::Corrupt) throw;
    rekey_file(file(kDataDbFile), keys_.data_db(to), keys_.data_db(from));
    rekey_file(file(kKeysDbFile), keys_.keys_db(to), keys_.keys_db(from));
    now_at = from;
  }
  keys::Keyslots next = slots_;
  next.db_generation = now_at;
  next.rekey_to.reset();
  commit_slots(std::move(next));
}

// The steps of a rotation after its intent is in the keyslots (keysdb_ open, kek_ the old KEK):
// re-wrap (one transaction: all keys or none), checkpoint, then keyslots with `next` alone.
void Core::complete_rotation(keys::Kek next) {
  {
    db::Transaction tx(keysdb_);
    (void)keys::rewrap_subject_keys(keysdb_, kek_, next, slots_.store_id);
    tx.commit();
  }
  fault_point("rotate:rewrapped");
  // The old wrapped keys leave the log (secure_delete zeroed them in the pages rewritten).
  keysdb_.checkpoint_truncate();
  fault_point("rotate:checkpointed");
  keys::Keyslots done = slots_;
  done.kek_epoch = next.epoch();
  done.kek_wrapped = std::move(done.kek_next_wrapped);
  done.kek_next_wrapped.clear();
  done.kek_next_epoch.reset();
  commit_slots(std::move(done));
  kek_ = std::move(next);  // the old KEK is wiped here
}

// An interrupted rotation left the next KEK in the keyslots: complete it. If keys.db cannot be
// re-wrapped (damaged: Corrupt) and provably holds no key under the next KEK, drop the next KEK
// instead, so the store still opens; if some key is under it, both KEKs are kept and the store is
// Corrupt until keys.db is repaired (dropping it would destroy those keys).
void Core::finish_rotation() {
  const std::uint64_t to = *slots_.kek_next_epoch;
  try {
    complete_rotation(keys::Kek(keys::open_next_kek(slots_, keys_.root()), to));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::Corrupt) throw;
    if (keys::count_subject_keys_at(keysdb_, to) != 0) throw;
    keys::Keyslots back = slots_;
    back.kek_next_epoch.reset();
    back.kek_next_wrapped.clear();
    commit_slots(std::move(back));
  }
}

void Core::open_databases() {
  if (slots_.rekey_to) finish_rekey();
  data_ = open_db(file(kDataDbFile), data_key(), kDataDbSchema, slots_.store_id);
  keysdb_ = open_db(file(kKeysDbFile), keys_key(), kKeysDbSchema, slots_.store_id);
  kek_ = keys::Kek(keys::open_kek(slots_, keys_.root()), slots_.kek_epoch);
  if (slots_.kek_next_epoch) finish_rotation();
  data_readers_.open(file(kDataDbFile), data_key());
  keys_readers_.open(file(kKeysDbFile), keys_key());
}

std::unique_ptr<Core> Core::create(const fsys::path& dir, const KeyProvider& key,
                                   const Manifest& manifest, std::string_view label,
                                   std::shared_ptr<const Clock> clock) {
  const std::string manifest_json = manifest.to_json();
  std::error_code ec;
  const fsys::path parent = dir.parent_path();
  // Build the store in a hidden sibling and rename it into place: a crash never leaves half a
  // store at `dir`.
  const fsys::path tmp =
      fs::staging_sibling(dir, "creating", crypto::to_hex(crypto::random_bytes(6)));
  fs::create_private_directory(tmp);

  auto core = std::make_unique<Core>();
  core->clock_ = or_system(std::move(clock));
  try {
    core->lock_ = fs::DirLock(tmp);
    SecretBytes root = SecretBytes::random(crypto::kKeySize);
    keys::Keyslots k;
    k.store_id = crypto::to_hex(crypto::random_bytes(16));
    k.db_generation = 1;
    k.kek_epoch = 1;
    k.kek_wrapped = keys::seal_kek(SecretBytes::random(crypto::kKeySize), root, k.store_id, 1);
    k.slots.push_back(keys::make_slot(key, root, k.store_id, label));
    core->keys_ = keys::KeyHierarchy(std::move(root), k.store_id);
    core->slots_ = std::move(k);
    core->dir_ = tmp;
    init_db(tmp / kDataDbFile, core->keys_.data_db(1), kDataDbSchema, core->slots_.store_id,
            &manifest_json);
    fault_point("create:data-db");
    init_db(tmp / kKeysDbFile, core->keys_.keys_db(1), kKeysDbSchema, core->slots_.store_id,
            nullptr);
    fault_point("create:keys-db");
    keys::write_keyslots(tmp / kKeyslotsFile, core->slots_, core->keys_.root());
    fault_point("create:before-rename");
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
      const int err = errno;
      if (err == ENOTEMPTY || err == EEXIST || err == ENOTDIR)
        throw Error(ErrorCode::AlreadyExists,
                    dir.string() + " appeared while the store was created");
      throw Error(ErrorCode::Io,
                  "cannot move the new store into place: " + std::string(std::strerror(err)));
    }
  } catch (...) {
    core->close();
    fsys::remove_all(tmp, ec);
    throw;
  }
  fault_point("create:renamed");
  fs::sync_directory(parent);
  core->dir_ = dir;
  core->open_databases();
  core->set_manifest(manifest);
  return core;
}

std::unique_ptr<Core> Core::open(const fsys::path& dir, const KeyProvider& key,
                                 std::shared_ptr<const Clock> clock) {
  auto core = std::make_unique<Core>();
  core->clock_ = or_system(std::move(clock));
  core->dir_ = dir;
  core->lock_ = fs::DirLock(dir);
  core->slots_ = keys::read_keyslots(dir / kKeyslotsFile);
  core->keys_ = keys::KeyHierarchy(keys::unlock(core->slots_, key), core->slots_.store_id);
  core->open_databases();
  return core;
}

void Core::rekey() {
  require_open();
  const std::uint64_t to = slots_.db_generation + 1;
  keys::Keyslots before = slots_;
  try {
    // Record the intent first, so a crash in between is finished by the next open.
    keys::Keyslots marked = slots_;
    marked.rekey_to = to;
    commit_slots(std::move(marked));
    fault_point("rekey:marked");
    data_.rekey(keys_.data_db(to));
    fault_point("rekey:data-done");
    keysdb_.rekey(keys_.keys_db(to));
    fault_point("rekey:keys-done");
    keys::Keyslots done = slots_;
    done.db_generation = to;
    done.rekey_to.reset();
    commit_slots(std::move(done));
  } catch (...) {
    // Nothing re-encrypted yet: as if never called. Otherwise the files may be at two
    // generations now, and only a fresh open sorts that out.
    if (!undo_rekey(std::move(before))) close();
    throw;
  }
  // Readers keyed with the old generation would no longer open a page.
  data_readers_.reset(data_key());
  keys_readers_.reset(keys_key());
}

void Core::rotate_kek() {
  require_open();
  const std::uint64_t to = slots_.kek_epoch + 1;
  keys::Keyslots before = slots_;
  try {
    SecretBytes fresh = SecretBytes::random(crypto::kKeySize);
    // Record the intent first, so a crash in between is finished by the next open.
    keys::Keyslots marked = slots_;
    marked.kek_next_epoch = to;
    marked.kek_next_wrapped = keys::seal_kek(fresh, keys_.root(), slots_.store_id, to);
    commit_slots(std::move(marked));
    fault_point("rotate:marked");
    complete_rotation(keys::Kek(std::move(fresh), to));
  } catch (...) {
    // Nothing re-wrapped: as if never called. Otherwise keys.db may be re-wrapped while the
    // keyslots still name the old KEK: only a fresh open sorts that out.
    if (!undo_rotation(std::move(before), to)) close();
    throw;
  }
}

// A rekey that failed before either file was re-encrypted (both still open under the current
// generation's keys: SQLCipher rewrites page 1 in the same transaction as every other page) takes
// its intent back out of the keyslots and reopens the connections (a failed sqlite3_rekey leaves
// its own unusable). False when that cannot be shown or done: the caller closes the core.
bool Core::undo_rekey(keys::Keyslots before) noexcept {
  try {
    db::Connection data = open_db(file(kDataDbFile), data_key(), kDataDbSchema, slots_.store_id);
    db::Connection keysdb = open_db(file(kKeysDbFile), keys_key(), kKeysDbSchema, slots_.store_id);
    commit_slots(std::move(before));
    data_ = std::move(data);
    keysdb_ = std::move(keysdb);
    data_readers_.reset(data_key());
    keys_readers_.reset(keys_key());
    return true;
  } catch (...) {
    return false;
  }
}

// A rotation whose re-wrap did not commit (no key in keys.db under the next epoch) takes the next
// KEK back out of the keyslots; kek_ was never replaced. False when that cannot be shown or done.
bool Core::undo_rotation(keys::Keyslots before, std::uint64_t to) noexcept {
  try {
    if (keys::count_subject_keys_at(keysdb_, to) != 0) return false;
    commit_slots(std::move(before));
    return true;
  } catch (...) {
    return false;
  }
}

bool Core::scrub() noexcept {
  if (!is_open()) return false;
  try {
    data_.incremental_vacuum();
    keysdb_.incremental_vacuum();
    fault_point("scrub:vacuumed");
    const bool data_done = data_.try_checkpoint_truncate();
    const bool keys_done = keysdb_.try_checkpoint_truncate();
    scrub_owed_ = false;
    return data_done && keys_done;
  } catch (...) {
    // Owed: the next scrub, or close(), tries again.
    scrub_owed_ = true;
    return false;
  }
}

void Core::close() noexcept {
  if (scrub_owed_) (void)scrub();
  data_readers_.clear();
  keys_readers_.clear();
  data_.close();
  keysdb_.close();
  kek_ = {};
  keys_.clear();
  lock_.release();
}

}  // namespace amanah::detail::store
