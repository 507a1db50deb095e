// Connection and Transaction: opening, keying and configuring SQLCipher databases.
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "db/sqlite_internal.hpp"
#include "fs/fs.hpp"

namespace amanah::detail::db {
namespace {

constexpr std::size_t kRawKeySize = 32;
constexpr std::size_t kKeyLiteralSize = 3 + 2 * kRawKeySize;  // x'<64 hex>'
constexpr int kBusyTimeoutMs = 5000;

// SQLCipher logs to stderr by default; its log settings are process-wide and must be in place
// before the first key is set. Best effort: the cipher_version check still fails closed.
void silence_sqlcipher_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Memory statistics put every allocation of every connection behind one global mutex,
    // which serializes parallel readers. Only possible before SQLite is initialized; if the
    // application initialized it already, its setting stays (harmless, just slower).
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
        SQLITE_OK) {
      (void)sqlite3_exec(db, "PRAGMA cipher_log_source=NONE;", nullptr, nullptr, nullptr);
      (void)sqlite3_exec(db, "PRAGMA cipher_log_level=NONE;", nullptr, nullptr, nullptr);
    }
    sqlite3_close_v2(db);  // harmless on nullptr
  });
}

void require_raw_key(const SecretBytes& raw_key) {
  if (raw_key.size() != kRawKeySize)
    throw Error(ErrorCode::InvalidArgument, "a database key must be exactly 32 bytes");
}

// The SQLCipher raw-key literal x'<hex>', built only in wiped memory.
SecretBytes key_literal(const SecretBytes& raw_key) {
  const SecretBytes hex = crypto::to_hex_secret(raw_key);
  SecretBytes out(kKeyLiteralSize);
  auto* p = out.data();
  *p++ = std::byte{'x'};
  *p++ = std::byte{'\''};
  std::memcpy(p, hex.data(), hex.size());
  p[hex.size()] = std::byte{'\''};
  return out;
}

void require_open(sqlite3* db) {
  if (db == nullptr) throw Error(ErrorCode::InvalidOperation, "the database is not open");
}

void exec_sql(sqlite3* db, const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, what);
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// First column of the first row, or nullopt when the statement yields no row.
std::optional<std::string> query_text(sqlite3* db, const char* sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, what);
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) throw_sqlite(db, rc, what);
  const auto* text = sqlite3_column_text(stmt.get(), 0);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), 0)));
}

// Reads the schema, which decrypts page 1; returns the SQLite result code.
int first_read(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(stmt.get());
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// Opens `file` on a fresh connection keyed with `raw_key` and reads page 1: SQLITE_OK, or the
// code of the failure (SQLITE_NOTADB: the key does not open it).
int first_read_with(const std::string& file, const SecretBytes& raw_key) {
  sqlite3* handle = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &handle,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(handle, kBusyTimeoutMs);
    const SecretBytes literal = key_literal(raw_key);
    rc = sqlite3_key_v2(handle, "main", literal.data(), static_cast<int>(literal.size()));
  }
  if (rc == SQLITE_OK) rc = first_read(handle);
  sqlite3_close_v2(handle);  // harmless on nullptr
  return rc;
}

// Whether SQLCipher keyed `db` with the salt stored in `file`'s first 16 bytes. When its read of
// the salt fails, SQLCipher takes the file for a new database and picks a random salt, so the
// first page fails its check as a wrong key would: a read error, not a wrong key. (A file too
// short to hold a salt, or a plain SQLite file, has its first bytes taken as the salt: true.)
bool salt_was_read(sqlite3* db, const std::string& file) {
  std::optional<std::string> salt;
  try {
    salt = query_text(db, "PRAGMA cipher_salt", "reading the cipher salt");
  } catch (const Error&) {
    return true;  // no salt to compare: keep the engine's verdict
  }
  if (!salt || salt->size() != 32) return true;
  std::ifstream in(file, std::ios::binary);
  char head[16] = {};
  if (!in.read(head, sizeof head)) return !in.bad();  // too short for a salt: not a database
  return crypto::to_hex(crypto::as_bytes(std::string_view(head, sizeof head))) == *salt;
}

// Whether integrity_check's "unable to get the page. error code=N" names an I/O error.
bool io_code_in(const std::string& result) {
  const std::string_view tag = "error code=";
  const auto at = result.find(tag);
  if (at == std::string::npos) return false;
  const int code = std::atoi(result.c_str() + at + tag.size());
  return (code & 0xff) == SQLITE_IOERR;
}

bool exists(const std::filesystem::path& p, const std::string& name) {
  std::error_code ec;
  const auto st = std::filesystem::status(p, ec);
  if (ec && st.type() != std::filesystem::file_type::not_found)
    throw Error(ErrorCode::Io, "cannot access database file " + name + ": " + ec.message());
  return std::filesystem::exists(st);
}

}  // namespace

namespace testing {
std::function<std::optional<std::string>(std::optional<std::string>)> g_cipher_version;
}

// Opens `name`, keys it and proves the key with a first read (the steps every open shares).
Connection Connection::keyed(const std::string& name, Open how, const SecretBytes& raw_key) {
  // Keep a "file:..." relative name from being read as a URI.
  const std::string open_name = name.starts_with("file:") ? "./" + name : name;
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= how == Open::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (how == Open::create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(open_name.c_str(), &handle, flags, nullptr);
  Connection conn(handle);  // closes the handle on every failure below
  if (rc != SQLITE_OK) throw_sqlite(handle, rc, "opening database file " + name);
  sqlite3_busy_timeout(handle, kBusyTimeoutMs);

  {
    const SecretBytes literal = key_literal(raw_key);
    rc = sqlite3_key_v2(handle, "main", literal.data(), static_cast<int>(literal.size()));
  }
  if (rc != SQLITE_OK) throw_sqlite(handle, rc, "keying database file " + name);

  // Fail closed: plain SQLite would ignore the key and write plaintext.
  auto cipher = query_text(handle, "PRAGMA cipher_version", "checking the SQLCipher version");
  if (testing::g_cipher_version) cipher = testing::g_cipher_version(std::move(cipher));
  if (!cipher)
    throw Error(ErrorCode::Unsupported,
                "SQLCipher is not linked (PRAGMA cipher_version returned nothing); refusing to "
                "open " +
                    name + " unencrypted");

  // A wrong key only shows on the first read, as SQLITE_NOTADB.
  rc = first_read(handle);
  if ((rc & 0xff) == SQLITE_NOTADB && !salt_was_read(handle, name))
    throw Error(ErrorCode::Io, "reading the header of database file " + name + " failed");
  if ((rc & 0xff) == SQLITE_NOTADB)
    throw Error(ErrorCode::WrongKey,
                "the key does not open " + name + " (or it is not an amanah database)");
  if (rc != SQLITE_OK) throw_sqlite(handle, rc, "reading database file " + name);

  return conn;
}

Connection Connection::open_read_only(const std::filesystem::path& file,
                                      const SecretBytes& raw_key) {
  require_raw_key(raw_key);
  const std::string name = file.string();
  if (!exists(file, name))
    throw Error(ErrorCode::NotFound, "database file " + name + " does not exist");
  silence_sqlcipher_logging();
  Connection conn = keyed(name, Open::read_only, raw_key);
  exec_sql(conn.db_, "PRAGMA temp_store=MEMORY", "setting temp_store");
  exec_sql(conn.db_, "PRAGMA query_only=ON", "setting query_only");
  return conn;
}

Connection Connection::open(const std::filesystem::path& file, const SecretBytes& raw_key,
                            bool create) {
  require_raw_key(raw_key);
  const std::string name = file.string();
  if (create) {
    // A leftover -wal or -journal would be replayed into the new database.
    for (const char* suffix : {"", "-wal", "-journal"}) {
      if (exists(name + suffix, name))
        throw Error(ErrorCode::AlreadyExists, "database file " + name + suffix + " already exists");
    }
  } else if (!exists(file, name)) {
    throw Error(ErrorCode::NotFound, "database file " + name + " does not exist");
  }
  silence_sqlcipher_logging();

  // SQLite creates files 0644 (less the umask); the store directory is 0700, but the files are
  // private on their own too. SQLite gives the -wal and -shm it creates the main file's mode.
  if (create) {
    fs::create_private_file(file);
  } else {
    // Files written before amanah did this: best effort, the directory still protects them.
    for (const char* suffix : {"", "-wal", "-shm"})
      (void)fs::make_private(name + suffix);
  }

  Connection conn = keyed(name, create ? Open::create : Open::write, raw_key);
  sqlite3* handle = conn.db_;
  exec_sql(handle, "PRAGMA temp_store=MEMORY", "setting temp_store");  // temp files are plaintext
  exec_sql(handle, "PRAGMA secure_delete=ON", "setting secure_delete");
  // Only effective before the first table exists, so only at creation.
  if (create) exec_sql(handle, "PRAGMA auto_vacuum=INCREMENTAL", "setting auto_vacuum");
  const auto mode = query_text(handle, "PRAGMA journal_mode=WAL", "setting journal_mode");
  if (mode != "wal")
    throw Error(ErrorCode::Database, "cannot switch " + name + " to WAL journal mode");
  exec_sql(handle, "PRAGMA synchronous=FULL", "setting synchronous");
  exec_sql(handle, "PRAGMA foreign_keys=ON", "setting foreign_keys");
  exec_sql(handle, "PRAGMA cache_size=-32768", "setting cache_size");  // 32 MiB
  return conn;
}

Connection::~Connection() {
  close();
}

struct Connection::StatementCache {
  struct Entry {
    Statement stmt;
    bool busy = false;
  };
  std::map<std::string, Entry, std::less<>> entries;
};

Connection::Connection() noexcept = default;
Connection::Connection(sqlite3* db) noexcept : db_(db) {}

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

void Connection::close() noexcept {
  cache_.reset();  // finalizes the cached statements first
  // close_v2 defers the close until outstanding statements are finalized.
  if (db_ != nullptr) sqlite3_close_v2(std::exchange(db_, nullptr));
}

CachedStatement Connection::cached(std::string_view sql) {
  require_open(db_);
  if (!cache_) cache_ = std::make_unique<StatementCache>();
  auto& entries = cache_->entries;
  auto it = entries.find(sql);
  if (it == entries.end())
    it = entries.emplace(std::string(sql), StatementCache::Entry{prepare(sql)}).first;
  if (it->second.busy) return CachedStatement(prepare(sql));
  it->second.busy = true;
  return CachedStatement(&it->second.stmt, &it->second.busy);
}

CachedStatement::CachedStatement(Statement own)
    : own_(std::make_unique<Statement>(std::move(own))), stmt_(own_.get()) {}

CachedStatement::CachedStatement(CachedStatement&& other) noexcept
    : own_(std::move(other.own_)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      busy_(std::exchange(other.busy_, nullptr)) {}

CachedStatement::~CachedStatement() {
  if (stmt_ != nullptr) stmt_->reset();
  if (busy_ != nullptr) *busy_ = false;
}

void Connection::exec(std::string_view sql) {
  require_open(db_);
  exec_sql(db_, std::string(sql).c_str(), "executing SQL");
}

Statement Connection::prepare(std::string_view sql) {
  require_open(db_);
  if (sql.empty() || sql.size() > static_cast<std::size_t>(INT_MAX))
    throw Error(ErrorCode::InvalidArgument, "SQL to prepare is empty or too long");
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, &tail);
  Statement result(db_, stmt);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "preparing a statement");
  if (stmt == nullptr) throw Error(ErrorCode::InvalidArgument, "no SQL statement to prepare");
  // A second statement would be silently ignored.
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos)
    throw Error(ErrorCode::InvalidArgument, "prepare takes exactly one SQL statement");
  return result;
}

void Connection::rekey(const SecretBytes& new_raw_key) {
  require_open(db_);
  require_raw_key(new_raw_key);
  const char* main_file = sqlite3_db_filename(db_, "main");
  const std::string name = main_file != nullptr ? main_file : "";
  // sqlite3_rekey_v2 rewrites every page in one transaction. On a page that fails its HMAC it
  // rolls back but still returns SQLITE_OK, and leaves this connection in a state where the next
  // calls fail with a bare SQLITE_ERROR or SQLITE_BUSY (after the busy timeout). So every page is
  // checked first, with the WAL folded in, and damage is Corrupt while nothing has changed yet.
  checkpoint_truncate();
  check_pages();
  {
    const SecretBytes literal = key_literal(new_raw_key);
    (void)sqlite3_rekey_v2(db_, "main", literal.data(), static_cast<int>(literal.size()));
  }
  // Its result says nothing, so confirm on a second connection that the file now opens with the
  // new key (page 1 is rewritten in the same transaction as every other page).
  const int rc = first_read_with(name, new_raw_key);
  if (rc != SQLITE_OK) {
    // Every page verified just before, so pages failing their check now are the rekey's own,
    // half written under the new key (e.g. a write error or a full disk): not damage.
    Error failed = (rc & 0xff) == SQLITE_NOTADB
                       ? Error(ErrorCode::Database, "re-encrypting " + name + " did not complete")
                       : sqlite_error(nullptr, rc, "checking the re-encryption of " + name);
    // This connection may now write pages under the new key into a file still under the old
    // one: it must not write anything more.
    close();
    throw failed;
  }
  // Until the WAL is checkpointed, the main file still opens with the old key.
  checkpoint_truncate();
}

void Connection::check_pages() {
  require_open(db_);
  if (const auto problem = damaged_page(db_)) {
    const char* main_file = sqlite3_db_filename(db_, "main");
    if (is_read_failure(db_, *problem))
      throw Error(ErrorCode::Io, std::string("reading database file ") +
                                     (main_file != nullptr ? main_file : "") +
                                     " failed: " + *problem);
    throw Error(ErrorCode::Corrupt, std::string("database file ") +
                                        (main_file != nullptr ? main_file : "") +
                                        " is damaged: " + *problem);
  }
}

void Connection::check_integrity() {
  check_pages();
  const char* main_file = sqlite3_db_filename(db_, "main");
  const std::string name = main_file != nullptr ? main_file : "";
  const auto result = query_text(db_, "PRAGMA integrity_check(1)", "checking " + name);
  // Every page just passed its check, and a page number past the end is reported as invalid:
  // a page (or pointer-map entry) the check then failed to read, or was "unable to get" with an
  // I/O error code, is a read that failed.
  if (result && (result->find("failed to get page") != std::string::npos ||
                 result->find("Failed to read ptrmap") != std::string::npos || io_code_in(*result)))
    throw Error(ErrorCode::Io, "reading database file " + name + " failed: " + *result);
  if (result != "ok")
    throw Error(ErrorCode::Corrupt, "database file " + name + " is damaged: " +
                                        result.value_or("integrity_check returned nothing"));
}

void Connection::copy_into(Connection& dest) {
  require_open(db_);
  require_open(dest.db_);
  sqlite3_backup* b = sqlite3_backup_init(dest.db_, "main", db_, "main");
  if (b == nullptr) throw_sqlite(dest.db_, sqlite3_errcode(dest.db_), "starting a copy");
  const int rc = sqlite3_backup_step(b, -1);
  const int finished = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) throw_sqlite(dest.db_, rc, "copying a database");
  if (finished != SQLITE_OK) throw_sqlite(dest.db_, finished, "finishing a copy");
}

void Connection::checkpoint_truncate() {
  require_open(db_);
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "checkpointing the write-ahead log");
}

bool Connection::try_checkpoint_truncate() {
  require_open(db_);
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc == SQLITE_BUSY) return false;
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "checkpointing the write-ahead log");
  return true;
}

void Connection::incremental_vacuum() {
  require_open(db_);
  exec_sql(db_, "PRAGMA incremental_vacuum", "reclaiming free pages");
}

int Connection::user_version() {
  require_open(db_);
  const auto v = query_text(db_, "PRAGMA user_version", "reading the schema version");
  if (!v) throw Error(ErrorCode::Database, "PRAGMA user_version returned no row");
  return std::stoi(*v);
}

void Connection::set_user_version(int version) {
  require_open(db_);
  const std::string sql = "PRAGMA user_version=" + std::to_string(version);
  exec_sql(db_, sql.c_str(), "setting the schema version");
}

std::int64_t Connection::last_insert_rowid() const noexcept {
  return db_ != nullptr ? sqlite3_last_insert_rowid(db_) : 0;
}

int Connection::changes() const noexcept {
  return db_ != nullptr ? sqlite3_changes(db_) : 0;
}

Transaction::Transaction(Connection& conn) : conn_(&conn) {
  conn.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (done_) return;
  // Errors are swallowed: a failed statement may already have rolled the transaction back.
  if (conn_->is_open()) {
    sqlite3* db = conn_->handle();
    if (sqlite3_get_autocommit(db) == 0)
      (void)sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  for (auto it = rollback_hooks_.rbegin(); it != rollback_hooks_.rend(); ++it)
    (*it)();
}

Savepoint::Savepoint(Transaction& tx) : conn_(&tx.connection()) {
  conn_->exec("SAVEPOINT amanah_sp");
}

Savepoint::~Savepoint() {
  if (done_ || !conn_->is_open()) return;
  sqlite3* db = conn_->handle();
  if (sqlite3_get_autocommit(db) == 0) {
    (void)sqlite3_exec(db, "ROLLBACK TO amanah_sp", nullptr, nullptr, nullptr);
    (void)sqlite3_exec(db, "RELEASE amanah_sp", nullptr, nullptr, nullptr);
  }
}

void Savepoint::release() {
  conn_->exec("RELEASE amanah_sp");
  done_ = true;
}

ReadSnapshot::ReadSnapshot(Connection& conn) {
  require_open(conn.handle());
  if (sqlite3_get_autocommit(conn.handle()) == 0) return;
  conn.exec("BEGIN DEFERRED");
  conn_ = &conn;
}

ReadSnapshot::~ReadSnapshot() {
  // Nothing was written, so ending it cannot lose anything; errors are swallowed.
  if (conn_ == nullptr || !conn_->is_open()) return;
  sqlite3* db = conn_->handle();
  if (sqlite3_get_autocommit(db) == 0) (void)sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  if (done_) throw Error(ErrorCode::InvalidOperation, "the transaction was already committed");
  conn_->exec("COMMIT");
  done_ = true;
  rollback_hooks_.clear();
  for (auto& hook : commit_hooks_)
    hook();
}

void ReaderPool::open(std::filesystem::path file, SecretBytes raw_key) {
  std::vector<Connection> old;
  std::lock_guard g(mu_);
  file_ = std::move(file);
  key_ = std::move(raw_key);
  ++epoch_;
  old.swap(idle_);
}

ReaderPool::Lease::Lease(ReaderPool* pool, Connection conn, std::uint64_t epoch) noexcept
    : pool_(pool), conn_(std::move(conn)), epoch_(epoch) {}

ReaderPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      conn_(std::move(other.conn_)),
      epoch_(other.epoch_) {}

ReaderPool::Lease::~Lease() {
  if (pool_ == nullptr || !conn_.is_open()) return;
  std::lock_guard g(pool_->mu_);
  // A connection keyed before a reset() is closed, never reused.
  if (epoch_ == pool_->epoch_ && !pool_->key_.empty()) pool_->idle_.push_back(std::move(conn_));
}

ReaderPool::Lease ReaderPool::acquire() {
  SecretBytes key;
  std::uint64_t epoch = 0;
  {
    std::lock_guard g(mu_);
    if (key_.empty()) throw Error(ErrorCode::InvalidOperation, "the store is closed");
    if (!idle_.empty()) {
      Connection c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c), epoch_);
    }
    key = key_.clone();
    epoch = epoch_;
  }
  // Opened outside the lock: other readers go on meanwhile.
  Connection c = Connection::open(file_, key, /*create=*/false);
  c.exec("PRAGMA query_only=ON");
  return Lease(this, std::move(c), epoch);
}

void ReaderPool::reset(SecretBytes raw_key) {
  std::vector<Connection> old;
  {
    std::lock_guard g(mu_);
    key_ = std::move(raw_key);
    ++epoch_;
    old.swap(idle_);
  }
}

void ReaderPool::clear() noexcept {
  std::vector<Connection> old;
  std::lock_guard g(mu_);
  key_.clear();
  ++epoch_;
  old.swap(idle_);
}

}  // namespace amanah::detail::db
