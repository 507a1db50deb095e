// Backups, checks and the files of a restore (backup/backup.hpp).
#include "backup/backup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "fs/fs.hpp"
#include "keys/hierarchy.hpp"
#include "keys/keyslots.hpp"
#include "store/layout.hpp"
#include "store/time.hpp"

namespace amanah::detail::backup {
namespace {

namespace fsys = std::filesystem;

// Where a backup keeps what it is, in its data.db's amanah_meta.
constexpr std::string_view kTakenAt = "backup_taken_at";
constexpr std::string_view kAuditSeq = "backup_audit_seq";
constexpr std::string_view kTombstoneSeq = "backup_tombstone_seq";

std::int64_t count(db::Connection& c, std::string_view sql) {
  auto st = c.prepare(sql);
  return st.step() ? st.column_int64(0) : 0;
}

std::optional<std::string> meta(db::Connection& c, std::string_view key) {
  auto st = c.prepare("SELECT value FROM amanah_meta WHERE key = ?1");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

std::uint64_t number(const std::optional<std::string>& text, std::string_view what) {
  std::uint64_t v = 0;
  if (!text) return 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size())
    throw Error(ErrorCode::Corrupt, "data.db: the backup's " + std::string(what) + " is damaged");
  return v;
}

std::uint64_t bytes_of(const fsys::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

// Every check both a live store and a backup get, on a connection to each database.
CheckReport check_files(db::Connection& data, db::Connection& keys, db::ReaderPool* helpers,
                        const std::string& store_id) {
  data.check_integrity();
  keys.check_integrity();
  CheckReport r;
  {
    db::ReadSnapshot view(keys);
    r.subject_keys = static_cast<std::uint64_t>(count(keys, "SELECT count(*) FROM subject_keys"));
  }
  db::ReadSnapshot view(data);
  r.customers = static_cast<std::uint64_t>(count(data, "SELECT count(*) FROM subjects"));
  r.consent_events = static_cast<std::uint64_t>(count(data, "SELECT count(*) FROM consents"));
  r.tombstones = static_cast<std::uint64_t>(count(data, "SELECT count(*) FROM tombstones"));
  const AuditReport audit =
      audit::verify_chain(data, helpers, store_id, {}, audit::Log::kSplitAbove);
  if (!audit.ok())
    throw Error(ErrorCode::Corrupt, "data.db: the audit log does not verify: " + audit.explain());
  r.audit_entries = audit.entries;
  return r;
}

// A database of a backup, read-only; a key the keyslots proved right that still does not open
// it means the file is damaged or replaced.
db::Connection open_copy(const fsys::path& file, const SecretBytes& key,
                         const std::string& store_id) {
  const std::string name = file.filename().string();
  db::Connection c;
  try {
    c = db::Connection::open_read_only(file, key);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::WrongKey)
      throw Error(ErrorCode::Corrupt, name + " does not open with the backup's keys (damaged)");
    if (e.code() == ErrorCode::NotFound)
      throw Error(ErrorCode::Corrupt, name + " is missing from the backup");
    throw;
  }
  if (meta(c, "store_id") != store_id)
    throw Error(ErrorCode::Corrupt, name + " belongs to another store");
  return c;
}

// A new database file for a copy: written once, then synced as a whole (sync_file), so no
// write-ahead log and no sync per transaction.
db::Connection new_copy(const fsys::path& file, const SecretBytes& key) {
  db::Connection c = db::Connection::open(file, key, /*create=*/true);
  c.exec("PRAGMA journal_mode=DELETE");
  c.exec("PRAGMA synchronous=OFF");
  return c;
}

void require_new(const fsys::path& target) {
  std::error_code ec;
  if (fsys::exists(target, ec)) throw Error(ErrorCode::AlreadyExists, target.string() + " exists");
  if (!fsys::is_directory(target.parent_path(), ec))
    throw Error(ErrorCode::NotFound,
                "parent directory " + target.parent_path().string() + " does not exist");
}

// A hidden sibling of `target` to build it in, made now.
fsys::path new_staging(const fsys::path& target, std::string_view what) {
  fsys::path dir = fs::staging_sibling(target, what, crypto::to_hex(crypto::random_bytes(6)));
  fs::create_private_directory(dir);
  return dir;
}

}  // namespace

void place(const fsys::path& staged, const fsys::path& to) {
  if (::rename(staged.c_str(), to.c_str()) != 0) {
    const int err = errno;
    if (err == ENOTEMPTY || err == EEXIST || err == ENOTDIR)
      throw Error(ErrorCode::AlreadyExists, to.string() + " appeared meanwhile");
    throw Error(ErrorCode::Io, "cannot move " + to.filename().string() +
                                   " into place: " + std::string(std::strerror(err)));
  }
  store::fault_point("place:renamed");
  fs::sync_directory(to.parent_path());
}

BackupInfo Backups::backup(const AccessContext& ctx, const fsys::path& dir,
                           const BackupOptions& options) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  {
    const auto [a, b] =
        std::mismatch(core_.dir().begin(), core_.dir().end(), dir.begin(), dir.end());
    if (a == core_.dir().end())
      throw Error(ErrorCode::InvalidArgument, "a backup cannot be inside the store's directory");
  }
  require_new(dir);
  const Decision d = policy_.current()->decide_store(ctx, Action::backup);
  if (!d.allowed()) {
    log_.record_denial(ctx, "backup", "", "", d);
    throw AccessDenied(d);
  }
  log_.flush();  // the reads queued so far are in the copy

  const fsys::path staging = new_staging(dir, "backup");
  try {
    BackupInfo info;
    info.store_id = core_.store_id();
    keys::Keyslots slots;
    auto data = core_.data_readers().acquire();
    auto keysdb = core_.keys_readers().acquire();
    std::optional<db::ReadSnapshot> data_view;
    std::optional<db::ReadSnapshot> keys_view;
    {
      // Both snapshots begin while nothing writes: one moment for both files and the keyslots.
      std::lock_guard w(core_.write_mu);
      {
        db::Transaction tx(core_.data_writer());
        log_.record_write(tx, ctx, "backup", "", "", policy::rule_list(d));
        tx.commit();
      }
      data_view.emplace(*data);
      keys_view.emplace(*keysdb);
      info.audit_seq = static_cast<std::uint64_t>(count(*data, "SELECT max(last) FROM audit_log"));
      info.tombstone_seq =
          static_cast<std::uint64_t>(count(*data, "SELECT coalesce(max(seq), 0) FROM tombstones"));
      info.customers = static_cast<std::uint64_t>(count(*data, "SELECT count(*) FROM subjects"));
      (void)count(*keysdb, "SELECT count(*) FROM subject_keys");
      slots = core_.slots();
      info.taken_at = store::time_point(core_.now());
    }
    store::fault_point("backup:snapshot");
    {
      db::Connection copy = new_copy(staging / store::kDataDbFile, core_.data_key());
      data->copy_into(copy);
      db::Transaction tx(copy);
      auto put = copy.prepare("INSERT OR REPLACE INTO amanah_meta(key, value) VALUES (?1, ?2)");
      for (const auto& [k, v] :
           {std::pair{kTakenAt, std::to_string(store::unix_seconds(info.taken_at))},
            std::pair{kAuditSeq, std::to_string(info.audit_seq)},
            std::pair{kTombstoneSeq, std::to_string(info.tombstone_seq)}}) {
        put.bind(1, k).bind(2, v).run();
        put.reset();
      }
      tx.commit();
      // The source's header says WAL: a backup is one file per database, which opens read-only.
      copy.exec("PRAGMA journal_mode=DELETE");
    }
    data_view.reset();
    store::fault_point("backup:data-copied");
    {
      db::Connection copy = new_copy(staging / store::kKeysDbFile, core_.keys_key());
      keysdb->copy_into(copy);
      copy.exec("PRAGMA journal_mode=DELETE");
    }
    keys_view.reset();
    store::fault_point("backup:keys-copied");
    if (options.key != nullptr) {
      slots.slots = {
          keys::make_slot(*options.key, core_.keys().root(), slots.store_id, options.label)};
    }
    keys::write_keyslots(staging / store::kKeyslotsFile, slots, core_.keys().root());
    for (std::string_view f : {store::kDataDbFile, store::kKeysDbFile})
      fs::sync_file(staging / f);
    fs::sync_directory(staging);
    store::fault_point("backup:before-rename");
    place(staging, dir);
    info.dir = dir;
    info.bytes = bytes_of(dir);
    return info;
  } catch (...) {
    std::error_code ec;
    fsys::remove_all(staging, ec);
    throw;
  }
}

CheckReport Backups::check() {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  {
    // Folds the write-ahead logs in where no reader holds them, so the page check covers the
    // pages written since the last checkpoint too.
    std::lock_guard w(core_.write_mu);
    (void)core_.data_writer().try_checkpoint_truncate();
    (void)core_.keys_writer().try_checkpoint_truncate();
  }
  auto data = core_.data_readers().acquire();
  auto keysdb = core_.keys_readers().acquire();
  return check_files(*data, *keysdb, &core_.data_readers(), core_.store_id());
}

DatabaseKeys Backups::disclose_keys(const AccessContext& ctx) {
  std::shared_lock gate(core_.gate);  // no rekey meanwhile: the keys are those of the files
  core_.require_open();
  const Decision d = policy_.current()->decide_store(ctx, Action::disclose_keys);
  if (!d.allowed()) {
    log_.record_denial(ctx, "disclose_keys", "", "", d);
    throw AccessDenied(d);
  }
  std::lock_guard w(core_.write_mu);
  // Recorded and committed first: no key leaves without its entry on disk.
  {
    db::Transaction tx(core_.data_writer());
    log_.record_write(tx, ctx, "disclose_keys", "", "", policy::rule_list(d));
    tx.commit();
  }
  DatabaseKeys keys;
  keys.data_db = core_.data_key();
  keys.keys_db = core_.keys_key();
  keys.generation = core_.slots().db_generation;
  return keys;
}

CheckReport verify(const fsys::path& dir, const KeyProvider& key) {
  std::error_code ec;
  if (!fsys::exists(dir / store::kKeyslotsFile, ec))
    throw Error(ErrorCode::NotAStore, dir.string() + " is not an amanah backup (no keyslots file)");
  const keys::Keyslots slots = keys::read_keyslots(dir / store::kKeyslotsFile);
  const keys::KeyHierarchy h(keys::unlock(slots, key), slots.store_id);
  db::Connection data =
      open_copy(dir / store::kDataDbFile, h.data_db(slots.db_generation), slots.store_id);
  db::Connection keysdb =
      open_copy(dir / store::kKeysDbFile, h.keys_db(slots.db_generation), slots.store_id);
  CheckReport r = check_files(data, keysdb, nullptr, slots.store_id);
  if (const auto taken = meta(data, kTakenAt)) {
    BackupInfo b;
    b.dir = dir;
    b.store_id = slots.store_id;
    b.taken_at = store::time_point(static_cast<std::int64_t>(number(taken, "time")));
    b.audit_seq = number(meta(data, kAuditSeq), "audit sequence");
    b.tombstone_seq = number(meta(data, kTombstoneSeq), "tombstone sequence");
    b.customers = r.customers;
    b.bytes = bytes_of(dir);
    r.backup = std::move(b);
  }
  return r;
}

Staged stage(const fsys::path& from, const fsys::path& to, const KeyProvider& key) {
  require_new(to);
  const CheckReport checked = verify(from, key);
  if (!checked.backup)
    throw Error(ErrorCode::InvalidArgument,
                from.string() + " is a store, not a backup: restore takes what backup() wrote");
  Staged out{new_staging(to, "restoring"), *checked.backup};
  try {
    for (std::string_view f : {store::kKeyslotsFile, store::kDataDbFile, store::kKeysDbFile}) {
      fsys::copy_file(from / f, out.dir / f);
      fsys::permissions(out.dir / f, fsys::perms::owner_read | fsys::perms::owner_write);
      fs::sync_file(out.dir / f);
    }
    fs::sync_directory(out.dir);
  } catch (...) {
    std::error_code ec;
    fsys::remove_all(out.dir, ec);
    throw;
  }
  return out;
}

}  // namespace amanah::detail::backup
