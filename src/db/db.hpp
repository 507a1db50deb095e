// Internal SQLCipher layer: the only code that includes <sqlite3.h>.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <amanah/secret.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace amanah::detail::db {

class Statement;
class CachedStatement;

// One SQLCipher connection, keyed with a raw 256-bit key. Move-only; closes on destruction.
class Connection {
 public:
  Connection() noexcept;
  // Opens (or with `create`, creates) the file, keys it with sqlite3_key_v2 using the raw key
  // (x'<hex>' built in wiped memory), and fails closed:
  //   - Error(Unsupported) if PRAGMA cipher_version returns no row (plain SQLite linked);
  //   - Error(WrongKey) if the first read fails with SQLITE_NOTADB (wrong key or not a db);
  //   - Error(NotFound) if !create and the file does not exist.
  // Then sets: temp_store=MEMORY, secure_delete=ON, journal_mode=WAL, synchronous=FULL,
  // foreign_keys=ON, a large cache_size; on creation also page size 4096 and
  // auto_vacuum=INCREMENTAL before any table exists.
  // Files are private to their owner: a new file is created 0600 whatever the umask (SQLite gives
  // its -wal and -shm the same mode); opening takes group/other bits off existing ones.
  static Connection open(const std::filesystem::path& file, const SecretBytes& raw_key,
                         bool create);
  // Opens an existing file read-only (SQLITE_OPEN_READONLY, query_only), with the same checks;
  // sets nothing in the file. For a copy in rollback-journal mode (a backup), which needs no -wal.
  static Connection open_read_only(const std::filesystem::path& file, const SecretBytes& raw_key);
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(std::string_view sql);  // one or more statements, no results
  [[nodiscard]] Statement prepare(std::string_view sql);
  // A statement prepared once per connection and reused (hot paths): see CachedStatement.
  [[nodiscard]] CachedStatement cached(std::string_view sql);

  // Re-encrypts under `new_raw_key` (sqlite3_rekey_v2) then wal_checkpoint(TRUNCATE) so the old
  // key no longer opens anything. Checks every page first: Error(Corrupt) if one is damaged, with
  // nothing changed. If the re-encryption still does not take (sqlite3_rekey_v2 reports success
  // regardless), the connection is closed, because it could write pages under the new key into a
  // file under the old one, and the error is thrown; the file stays under the old key.
  void rekey(const SecretBytes& new_raw_key);
  // Error(Corrupt) naming the first page of the main file whose HMAC does not verify (PRAGMA
  // cipher_integrity_check: reads the whole file; pages only in the WAL are not covered).
  void check_pages();
  // check_pages(), then PRAGMA integrity_check (the b-trees, indexes and free list): Error(Corrupt)
  // naming the file at the first problem.
  void check_integrity();
  // Copies this database, as of this connection's snapshot (its read transaction if one is open),
  // into `dest` page by page (sqlite3_backup in one step): `dest` must be keyed the same way.
  void copy_into(Connection& dest);
  void checkpoint_truncate();
  // The same, but false instead of an error when a reader's snapshot kept the log from being
  // emptied within the busy timeout (the frames it needs stay until a later checkpoint).
  [[nodiscard]] bool try_checkpoint_truncate();
  void incremental_vacuum();

  [[nodiscard]] int user_version();
  void set_user_version(int version);
  [[nodiscard]] std::int64_t last_insert_rowid() const noexcept;
  [[nodiscard]] int changes() const noexcept;

  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return db_ != nullptr; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  enum class Open { create, write, read_only };
  static Connection keyed(const std::string& name, Open how, const SecretBytes& raw_key);
  explicit Connection(sqlite3* db) noexcept;
  struct StatementCache;
  sqlite3* db_ = nullptr;
  std::unique_ptr<StatementCache> cache_;
};

// A prepared statement. Indexes are 1-based for bind, 0-based for columns (as in SQLite).
class Statement {
 public:
  Statement() noexcept = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  // Binds `text` without copying it: it must stay alive and unchanged until the statement is
  // stepped to completion or reset (e.g. bound and run in one expression).
  Statement& bind_unowned(int index, std::string_view text);
  Statement& bind(int index, std::span<const std::byte> blob);
  Statement& bind_null(int index);

  // Steps once: true while a row is available, false when done. Errors throw amanah::Error.
  [[nodiscard]] bool step();
  // Steps to completion, expecting no rows.
  void run();
  void reset() noexcept;  // also clears bindings

  [[nodiscard]] bool is_null(int col) const;
  [[nodiscard]] std::int64_t column_int64(int col) const;
  [[nodiscard]] std::string column_text(int col) const;
  [[nodiscard]] std::span<const std::byte> column_blob(int col) const;  // valid until next step

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// A borrowed cached statement. Reset (bindings cleared) when it goes out of scope, so no read
// stays open. If the same SQL is already borrowed (re-entrant use), a fresh statement is
// prepared instead.
class CachedStatement {
 public:
  CachedStatement(CachedStatement&& other) noexcept;
  CachedStatement& operator=(CachedStatement&&) = delete;
  ~CachedStatement();
  Statement* operator->() noexcept { return stmt_; }
  Statement& operator*() noexcept { return *stmt_; }

 private:
  friend class Connection;
  CachedStatement(Statement* shared, bool* busy) noexcept : stmt_(shared), busy_(busy) {}
  explicit CachedStatement(Statement own);
  std::unique_ptr<Statement> own_;
  Statement* stmt_ = nullptr;
  bool* busy_ = nullptr;
};

// The write transaction services compose in: BEGIN IMMEDIATE on construction; ROLLBACK on
// destruction unless commit() ran. Services that keep state beside the database (a queue, a key
// pool) register hooks instead of hand-kept protocols: on_commit runs after COMMIT succeeded,
// on_rollback after a rollback (in reverse order of registration). Hooks must not throw.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();
  void on_commit(std::function<void()> hook) { commit_hooks_.push_back(std::move(hook)); }
  void on_rollback(std::function<void()> hook) { rollback_hooks_.push_back(std::move(hook)); }
  [[nodiscard]] Connection& connection() noexcept { return *conn_; }

 private:
  Connection* conn_;
  bool done_ = false;
  std::vector<std::function<void()>> commit_hooks_, rollback_hooks_;
};

// A savepoint inside a transaction: released by release(), rolled back to on destruction
// otherwise (the enclosing transaction goes on).
class Savepoint {
 public:
  explicit Savepoint(Transaction& tx);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  void release();

 private:
  Connection* conn_;
  bool done_ = false;
};

// A read transaction (BEGIN DEFERRED) over several statements: one snapshot and one round of
// file locks instead of one per statement. Ends on destruction; a no-op inside a transaction.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Connection& conn);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Connection* conn_ = nullptr;  // null when it began nothing
};

// Read connections of one database file, opened on demand and reused, so reads run in parallel
// in WAL without the writer's lock. Each connection serves one thread at a time (a Lease).
// reset() closes the idle ones and makes outstanding leases close on return (after a rekey).
class ReaderPool {
 public:
  ReaderPool() = default;
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() noexcept { return conn_; }
    Connection* operator->() noexcept { return &conn_; }

   private:
    friend class ReaderPool;
    Lease(ReaderPool* pool, Connection conn, std::uint64_t epoch) noexcept;
    ReaderPool* pool_;
    Connection conn_;
    std::uint64_t epoch_;
  };

  // Serves `file` with `raw_key` from now on.
  void open(std::filesystem::path file, SecretBytes raw_key);
  [[nodiscard]] Lease acquire();
  // Adopts a new key (or none): idle connections are closed, leased ones close when returned.
  void reset(SecretBytes raw_key);
  void clear() noexcept;

 private:
  std::filesystem::path file_;
  std::mutex mu_;
  SecretBytes key_;
  std::uint64_t epoch_ = 0;
  std::vector<Connection> idle_;
};

// Schema migrations: each step runs in one transaction that also sets PRAGMA user_version.
struct Migration {
  int version;           // 1, 2, 3, ... in order
  std::string_view sql;  // statements taking the schema from version-1 to version
};
// Applies the missing steps. Error(Unsupported) if the file's version is newer than the
// newest step (written by a newer amanah).
void migrate(Connection& conn, std::span<const Migration> steps);

// Maps a SQLite result code to an amanah::Error (never includes bound values).
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what);

namespace testing {
// Test-only seam: when set, Connection::open passes the result of PRAGMA cipher_version through
// it (nullopt: no row, as when plain SQLite is linked). Empty in production.
extern std::function<std::optional<std::string>(std::optional<std::string>)> g_cipher_version;
}  // namespace testing

}  // namespace amanah::detail::db
