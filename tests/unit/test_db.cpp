// The internal SQLCipher layer: keying, fail-closed opening, pragmas, rekey, migrations.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/secret.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include "db/db.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::detail::db::Connection;
using amanah::detail::db::Migration;
using amanah::detail::db::Statement;
using amanah::detail::db::Transaction;
using amanah::test::read_file;
using amanah::test::TempDir;

namespace {

constexpr std::string_view kPlanted = "planted-secret-7731";

std::string query_text(Connection& conn, std::string_view sql) {
  Statement st = conn.prepare(sql);
  REQUIRE(st.step());
  return st.column_text(0);
}

std::int64_t query_int(Connection& conn, std::string_view sql) {
  Statement st = conn.prepare(sql);
  REQUIRE(st.step());
  return st.column_int64(0);
}

bool has_table(Connection& conn, std::string_view name) {
  Statement st = conn.prepare("SELECT count(*) FROM sqlite_schema WHERE type='table' AND name=?");
  st.bind(1, name);
  REQUIRE(st.step());
  return st.column_int64(0) == 1;
}

Connection create_with_row(const fs::path& file, const SecretBytes& key) {
  Connection conn = Connection::open(file, key, true);
  conn.exec("CREATE TABLE t(v TEXT NOT NULL)");
  conn.prepare("INSERT INTO t(v) VALUES (?)").bind(1, kPlanted).run();
  return conn;
}

// Redirects fd 2 into a file for its lifetime; text() restores it and returns what was written.
class StderrCapture {
 public:
  explicit StderrCapture(fs::path file) : file_(std::move(file)) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(saved_ >= 0);
    REQUIRE(fd >= 0);
    REQUIRE(::dup2(fd, 2) == 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  std::string text() {
    restore();
    return read_file(file_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  fs::path file_;
  int saved_ = -1;
};

bool wal_empty(const fs::path& db) {
  const fs::path wal = db.string() + "-wal";
  return !fs::exists(wal) || fs::file_size(wal) == 0;
}

}  // namespace

TEST_CASE("db: create then reopen with the same key reads the data back", "[db]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  { Connection conn = create_with_row(file, key); }
  Connection conn = Connection::open(file, key, false);
  REQUIRE(conn.is_open());
  REQUIRE(query_text(conn, "SELECT v FROM t") == kPlanted);
}

TEST_CASE("db: a different key is WrongKey and prints nothing", "[db]") {
  TempDir dir;
  const auto file = dir / "store.db";
  { Connection conn = create_with_row(file, SecretBytes::random(32)); }
  const auto other = SecretBytes::random(32);
  std::string printed;
  {
    StderrCapture capture(dir / "stderr.txt");
    REQUIRE_AMANAH_ERROR(Connection::open(file, other, false), ErrorCode::WrongKey);
    printed = capture.text();
  }
  CHECK(printed.empty());
}

TEST_CASE("db: a file that is not a database is WrongKey", "[db]") {
  TempDir dir;
  const auto file = dir / "junk.db";
  amanah::test::write_file(file, std::string(8192, 'j'));
  REQUIRE_AMANAH_ERROR(Connection::open(file, SecretBytes::random(32), false), ErrorCode::WrongKey);
}

TEST_CASE("db: open checks existence and key size", "[db]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  SECTION("a missing file without create is NotFound, naming the file") {
    try {
      (void)Connection::open(file, key, false);
      FAIL("no exception");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::NotFound);
      CHECK(std::string_view(e.what()).find("store.db") != std::string_view::npos);
    }
    CHECK_FALSE(fs::exists(file));
  }
  SECTION("create over an existing file is AlreadyExists") {
    { Connection conn = Connection::open(file, key, true); }
    REQUIRE_AMANAH_ERROR(Connection::open(file, key, true), ErrorCode::AlreadyExists);
    // The existing database is untouched and still opens.
    CHECK(Connection::open(file, key, false).is_open());
  }
  SECTION("a key that is not 32 bytes is InvalidArgument") {
    REQUIRE_AMANAH_ERROR(Connection::open(file, SecretBytes::random(16), true),
                         ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR(Connection::open(file, SecretBytes(), true), ErrorCode::InvalidArgument);
    CHECK_FALSE(fs::exists(file));
  }
}

namespace {
// Makes PRAGMA cipher_version answer with no row, as with plain SQLite linked, while it lives.
struct NoCipherVersion {
  NoCipherVersion() {
    amanah::detail::db::testing::g_cipher_version = [](std::optional<std::string>) {
      return std::optional<std::string>();
    };
  }
  ~NoCipherVersion() { amanah::detail::db::testing::g_cipher_version = nullptr; }
  NoCipherVersion(const NoCipherVersion&) = delete;
  NoCipherVersion& operator=(const NoCipherVersion&) = delete;
};
}  // namespace

TEST_CASE("db: without SQLCipher (no cipher_version row) open is Unsupported and writes nothing",
          "[db]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  { Connection conn = create_with_row(file, key); }
  const auto before = amanah::test::snapshot(dir.path());
  REQUIRE(before.size() == 1);  // the WAL was checkpointed and removed at close
  {
    NoCipherVersion plain;
    REQUIRE_AMANAH_ERROR(Connection::open(file, key, false), ErrorCode::Unsupported);
    CHECK(amanah::test::snapshot(dir.path()) == before);

    const auto fresh = dir / "fresh.db";
    REQUIRE_AMANAH_ERROR(Connection::open(fresh, key, true), ErrorCode::Unsupported);
    CHECK((!fs::exists(fresh) || fs::file_size(fresh) == 0));
    CHECK_FALSE(fs::exists(fresh.string() + "-wal"));
    CHECK_FALSE(fs::exists(fresh.string() + "-journal"));
  }
  // The seam passes the real answer through when it does not change it.
  amanah::detail::db::testing::g_cipher_version = [](std::optional<std::string> v) { return v; };
  CHECK(Connection::open(file, key, false).is_open());
  amanah::detail::db::testing::g_cipher_version = nullptr;
  Connection conn = Connection::open(file, key, false);
  CHECK(query_text(conn, "SELECT v FROM t") == kPlanted);
}

TEST_CASE("db: pragmas are in effect after open", "[db]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  auto check = [](Connection& conn) {
    CHECK(query_text(conn, "PRAGMA journal_mode") == "wal");
    CHECK(query_int(conn, "PRAGMA secure_delete") == 1);
    CHECK(query_int(conn, "PRAGMA temp_store") == 2);
    CHECK(query_int(conn, "PRAGMA foreign_keys") == 1);
    CHECK(query_int(conn, "PRAGMA synchronous") == 2);
    CHECK(query_int(conn, "PRAGMA auto_vacuum") == 2);
    CHECK(query_int(conn, "PRAGMA cache_size") == -32768);
    CHECK(query_int(conn, "PRAGMA page_size") == 4096);
    CHECK(query_int(conn, "PRAGMA cipher_page_size") == 4096);
    CHECK(query_text(conn, "PRAGMA cipher_version").starts_with("4."));
  };
  {
    Connection conn = create_with_row(file, key);
    check(conn);
  }
  Connection conn = Connection::open(file, key, false);
  check(conn);
}

TEST_CASE("db: nothing readable reaches the files", "[db]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  const std::vector<fs::path> files = {file, file.string() + "-wal", file.string() + "-shm"};
  auto scan = [&] {
    for (const auto& f : files) {
      if (!fs::exists(f)) continue;
      INFO(f.filename().string());
      CHECK(read_file(f).find(kPlanted) == std::string::npos);
    }
  };
  {
    Connection conn = create_with_row(file, key);
    conn.exec("CREATE TABLE big(v TEXT)");
    for (int i = 0; i < 200; ++i)
      conn.prepare("INSERT INTO big(v) VALUES (?)").bind(1, kPlanted).run();
    REQUIRE(fs::file_size(file.string() + "-wal") > 0);
    scan();  // while the data is still in the WAL
  }
  const std::string bytes = read_file(file);
  REQUIRE(bytes.size() >= 4096);
  CHECK_FALSE(bytes.starts_with("SQLite format 3"));
  scan();
}

TEST_CASE("db: rekey replaces the key", "[db]") {
  TempDir dir;
  const auto old_key = SecretBytes::random(32);
  const auto new_key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  const auto before = dir / "before.db";
  const auto main_only = dir / "main-only.db";
  {
    Connection conn = create_with_row(file, old_key);
    conn.checkpoint_truncate();  // the main file alone now holds everything
    fs::copy_file(file, before);
    conn.prepare("INSERT INTO t(v) VALUES ('after')").run();  // leaves frames in the WAL
    REQUIRE_FALSE(wal_empty(file));

    conn.rekey(new_key);
    CHECK(wal_empty(file));
    CHECK(query_int(conn, "SELECT count(*) FROM t") == 2);
    // Without the checkpoint, the main file alone (e.g. a backup) would still open with the old
    // key.
    fs::copy_file(file, main_only);
    // Another connection already sees the new key only.
    REQUIRE_AMANAH_ERROR(Connection::open(file, old_key, false), ErrorCode::WrongKey);
  }
  REQUIRE_AMANAH_ERROR(Connection::open(file, old_key, false), ErrorCode::WrongKey);
  {
    Connection conn = Connection::open(file, new_key, false);
    CHECK(query_int(conn, "SELECT count(*) FROM t") == 2);
    CHECK(query_text(conn, "SELECT v FROM t ORDER BY rowid LIMIT 1") == kPlanted);
  }
  REQUIRE_AMANAH_ERROR(Connection::open(main_only, old_key, false), ErrorCode::WrongKey);
  {
    Connection copy = Connection::open(main_only, new_key, false);
    CHECK(query_int(copy, "SELECT count(*) FROM t") == 2);
  }
  // A copy taken before the rekey keeps the old key.
  REQUIRE_AMANAH_ERROR(Connection::open(before, new_key, false), ErrorCode::WrongKey);
  Connection old = Connection::open(before, old_key, false);
  CHECK(query_text(old, "SELECT v FROM t") == kPlanted);

  REQUIRE_AMANAH_ERROR(old.rekey(SecretBytes::random(31)), ErrorCode::InvalidArgument);
}

TEST_CASE("db: migrations apply in order, once", "[db]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  const std::array<Migration, 3> steps = {{
      {1, "CREATE TABLE log(step INTEGER); INSERT INTO log VALUES (1);"},
      {2, "CREATE TABLE two(x); INSERT INTO log VALUES (2);"},
      {3, "INSERT INTO log VALUES (3);"},
  }};
  {
    Connection conn = Connection::open(file, key, true);
    CHECK(conn.user_version() == 0);
    migrate(conn, steps);
    CHECK(conn.user_version() == 3);
    CHECK(query_text(conn,
                     "SELECT group_concat(step, ',') FROM (SELECT step FROM log "
                     "ORDER BY rowid)") == "1,2,3");
  }
  Connection conn = Connection::open(file, key, false);
  migrate(conn, steps);  // no-op
  CHECK(conn.user_version() == 3);
  CHECK(query_int(conn, "SELECT count(*) FROM log") == 3);

  SECTION("a newer schema is Unsupported") {
    conn.set_user_version(4);
    try {
      migrate(conn, steps);
      FAIL("no exception");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::Unsupported);
      CHECK(std::string_view(e.what()).find("newer amanah") != std::string_view::npos);
    }
    CHECK(conn.user_version() == 4);
  }
  SECTION("more steps apply from where the file is") {
    const std::array<Migration, 4> more = {
        {steps[0], steps[1], steps[2], {4, "INSERT INTO log VALUES (4);"}}};
    migrate(conn, more);
    CHECK(conn.user_version() == 4);
    CHECK(query_int(conn, "SELECT count(*) FROM log") == 4);
  }
}

TEST_CASE("db: a failing migration step rolls back completely", "[db]") {
  TempDir dir;
  Connection conn = Connection::open(dir / "store.db", SecretBytes::random(32), true);
  const std::array<Migration, 2> broken = {{
      {1, "CREATE TABLE one(x);"},
      {2, "CREATE TABLE two(y); INSERT INTO one VALUES (2); THIS IS NOT SQL;"},
  }};
  REQUIRE_AMANAH_ERROR(migrate(conn, broken), ErrorCode::Database);
  CHECK(conn.user_version() == 1);
  CHECK(has_table(conn, "one"));
  CHECK_FALSE(has_table(conn, "two"));
  CHECK(query_int(conn, "SELECT count(*) FROM one") == 0);

  const std::array<Migration, 2> fixed = {{broken[0], {2, "CREATE TABLE two(y);"}}};
  migrate(conn, fixed);
  CHECK(conn.user_version() == 2);
  CHECK(has_table(conn, "two"));
}

TEST_CASE("db: transactions roll back unless committed", "[db]") {
  TempDir dir;
  Connection conn = Connection::open(dir / "store.db", SecretBytes::random(32), true);
  conn.exec("CREATE TABLE t(x INTEGER)");
  {
    Transaction tx(conn);
    conn.exec("INSERT INTO t VALUES (1)");
  }
  CHECK(query_int(conn, "SELECT count(*) FROM t") == 0);
  try {
    Transaction tx(conn);
    conn.exec("INSERT INTO t VALUES (2)");
    conn.exec("INSERT INTO nowhere VALUES (3)");
    tx.commit();
  } catch (const amanah::Error& e) {
    CHECK(e.code() == ErrorCode::Database);
  }
  CHECK(query_int(conn, "SELECT count(*) FROM t") == 0);
  {
    Transaction tx(conn);
    conn.exec("INSERT INTO t VALUES (4)");
    tx.commit();
    REQUIRE_AMANAH_ERROR(tx.commit(), ErrorCode::InvalidOperation);
  }
  CHECK(query_int(conn, "SELECT x FROM t") == 4);
  // Not left inside a transaction: a new one can begin.
  Transaction again(conn);
  again.commit();
}

TEST_CASE("db: a read snapshot sees one state across statements", "[db]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  Connection reader = Connection::open(file, key, true);
  reader.exec("CREATE TABLE t(x INTEGER)");
  Connection writer = Connection::open(file, key, false);
  {
    amanah::detail::db::ReadSnapshot snap(reader);
    CHECK(query_int(reader, "SELECT count(*) FROM t") == 0);
    writer.exec("INSERT INTO t VALUES (1)");  // committed by another connection meanwhile
    CHECK(query_int(reader, "SELECT count(*) FROM t") == 0);
  }
  CHECK(query_int(reader, "SELECT count(*) FROM t") == 1);  // ended: the new row shows
  // Inside a write transaction it begins nothing and ends nothing.
  {
    Transaction tx(reader);
    reader.exec("INSERT INTO t VALUES (2)");
    { amanah::detail::db::ReadSnapshot nested(reader); }
    tx.commit();
  }
  CHECK(query_int(reader, "SELECT count(*) FROM t") == 2);
}

TEST_CASE("db: statements round-trip values", "[db]") {
  TempDir dir;
  Connection conn = Connection::open(dir / "store.db", SecretBytes::random(32), true);
  conn.exec("CREATE TABLE v(i INTEGER, s TEXT, b BLOB, n)");
  const std::string text = "Siti Rahma \xC3\xA9\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82";
  const std::array<std::byte, 5> blob = {std::byte{0}, std::byte{1}, std::byte{0}, std::byte{0xff},
                                         std::byte{0}};
  const std::int64_t big = INT64_MIN;

  Statement ins = conn.prepare("INSERT INTO v(i, s, b, n) VALUES (?, ?, ?, ?)");
  ins.bind(1, big).bind(2, std::string_view(text)).bind(3, std::span<const std::byte>(blob));
  ins.bind_null(4).run();
  CHECK(conn.changes() == 1);
  CHECK(conn.last_insert_rowid() == 1);
  ins.reset();  // clears bindings: everything NULL now
  ins.run();
  ins.bind(1, std::int64_t{7}).bind(2, std::string_view()).bind(3, std::span<const std::byte>());
  ins.run();  // empty text and blob stay non-NULL

  Statement sel = conn.prepare("SELECT i, s, b, n FROM v ORDER BY rowid");
  REQUIRE(sel.step());
  CHECK(sel.column_int64(0) == big);
  CHECK(sel.column_text(1) == text);
  const auto got = sel.column_blob(2);
  CHECK(std::vector<std::byte>(got.begin(), got.end()) ==
        std::vector<std::byte>(blob.begin(), blob.end()));
  CHECK(sel.is_null(3));
  CHECK_FALSE(sel.is_null(0));
  REQUIRE(sel.step());
  for (int c = 0; c < 4; ++c)
    CHECK(sel.is_null(c));
  REQUIRE(sel.step());
  CHECK(sel.column_int64(0) == 7);
  CHECK_FALSE(sel.is_null(1));
  CHECK_FALSE(sel.is_null(2));
  CHECK(sel.column_text(1).empty());
  CHECK(sel.column_blob(2).empty());
  CHECK_FALSE(sel.step());
  REQUIRE_AMANAH_ERROR((void)sel.column_int64(4), ErrorCode::InvalidArgument);

  // Reusable after reset.
  sel.reset();
  REQUIRE(sel.step());
  CHECK(sel.column_int64(0) == big);
}

TEST_CASE("db: constraint violations are Duplicate without the value", "[db]") {
  TempDir dir;
  Connection conn = Connection::open(dir / "store.db", SecretBytes::random(32), true);
  conn.exec("CREATE TABLE u(email TEXT UNIQUE); CREATE TABLE p(id TEXT PRIMARY KEY)");
  for (const char* table : {"u", "p"}) {
    INFO(table);
    const std::string sql = std::string("INSERT INTO ") + table + " VALUES (?)";
    Statement ins = conn.prepare(sql);
    ins.bind(1, kPlanted).run();
    try {
      ins.run();
      FAIL("no exception");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::Duplicate);
      const std::string_view msg = e.what();
      CHECK(msg.find(kPlanted) == std::string_view::npos);
      CHECK(msg.find("constraint") != std::string_view::npos);
    }
    // The statement is usable again after the failure.
    ins.reset();
    ins.bind(1, std::string_view("another")).run();
  }
  conn.exec("CREATE TABLE c(x INTEGER NOT NULL)");
  REQUIRE_AMANAH_ERROR(conn.prepare("INSERT INTO c VALUES (NULL)").run(), ErrorCode::Database);
}

TEST_CASE("db: misuse is reported", "[db]") {
  TempDir dir;
  Connection conn = Connection::open(dir / "store.db", SecretBytes::random(32), true);
  REQUIRE_AMANAH_ERROR(conn.exec("NOT SQL"), ErrorCode::Database);
  REQUIRE_AMANAH_ERROR((void)conn.prepare("SELECT 1; SELECT 2"), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR((void)conn.prepare(""), ErrorCode::InvalidArgument);
  CHECK(conn.prepare("SELECT 1; ").step());
  REQUIRE_AMANAH_ERROR(conn.prepare("SELECT 1").run(), ErrorCode::Internal);
  REQUIRE_AMANAH_ERROR(conn.prepare("SELECT ?").bind(2, std::int64_t{1}), ErrorCode::Database);
}

TEST_CASE("db: moved-from connections and statements are empty", "[db]") {
  TempDir dir;
  Connection a = Connection::open(dir / "store.db", SecretBytes::random(32), true);
  Connection b = std::move(a);
  CHECK_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move)
  CHECK(b.is_open());
  REQUIRE_AMANAH_ERROR(a.exec("SELECT 1"), ErrorCode::InvalidOperation);  // NOLINT
  CHECK(a.changes() == 0);                                                // NOLINT

  Statement s = b.prepare("SELECT 42");
  Statement t = std::move(s);
  REQUIRE_AMANAH_ERROR((void)s.step(), ErrorCode::InvalidOperation);  // NOLINT
  REQUIRE(t.step());
  CHECK(t.column_int64(0) == 42);

  // A statement may outlive its connection's close().
  b.close();
  CHECK_FALSE(b.is_open());
  t.reset();
}

namespace {

// A database of several pages (auto_vacuum=INCREMENTAL: page 2 is a pointer-map page), closed
// with everything in the main file.
void create_pages(const fs::path& file, const SecretBytes& key) {
  Connection conn = Connection::open(file, key, true);
  conn.exec("CREATE TABLE t(v TEXT NOT NULL)");
  Transaction tx(conn);
  for (int i = 0; i < 400; ++i)
    conn.prepare("INSERT INTO t(v) VALUES (?)").bind(1, std::string(100, 'a')).run();
  tx.commit();
  conn.checkpoint_truncate();
}

// Flips 16 bytes of `file` at `offset`.
void damage(const fs::path& file, std::size_t offset) {
  std::string bytes = read_file(file);
  REQUIRE(offset + 16 <= bytes.size());
  for (std::size_t i = offset; i < offset + 16; ++i)
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  amanah::test::write_file(file, bytes);
}

// The code of what `f` throws (it must throw an amanah::Error).
template <class F>
ErrorCode code_of(F&& f) {
  try {
    f();
  } catch (const amanah::Error& e) {
    return e.code();
  }
  FAIL("expected an amanah::Error");
  return ErrorCode::Internal;
}

}  // namespace

TEST_CASE("db: a damaged pointer-map page is Corrupt when a write meets it", "[db][damage]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  create_pages(file, key);
  damage(file, 4096 + 100);  // page 2
  Connection conn = Connection::open(file, key, false);
  CHECK(query_int(conn, "SELECT count(*) FROM t") == 400);  // reads never touch page 2
  const auto insert_many = [&] {
    for (int i = 0; i < 100; ++i)
      conn.prepare("INSERT INTO t(v) VALUES (?)").bind(1, std::string(100, 'b')).run();
  };
  CHECK(amanah::to_string(code_of(insert_many)) == "Corrupt");
  // Asked again, the connection says the same rather than a bare engine error.
  CHECK(amanah::to_string(code_of(insert_many)) == "Corrupt");
}

TEST_CASE("db: rekey of a damaged database is Corrupt and changes nothing", "[db][damage]") {
  TempDir dir;
  const auto key = SecretBytes::random(32);
  const auto new_key = SecretBytes::random(32);
  const auto file = dir / "store.db";
  create_pages(file, key);
  const std::size_t pages = fs::file_size(file) / 4096;
  REQUIRE(pages >= 4);
  const auto spot = GENERATE_COPY(std::size_t{2}, std::size_t{3}, pages);
  CAPTURE(spot);
  damage(file, (spot - 1) * 4096 + 100);
  Connection conn = Connection::open(file, key, false);
  const auto code = code_of([&] { conn.rekey(new_key); });
  CHECK(amanah::to_string(code) == "Corrupt");
  // Nothing changed: the connection still works and the file still opens with the old key only.
  CHECK(conn.is_open());
  CHECK(query_int(conn, "SELECT count(*) FROM sqlite_schema") == 1);
  conn.close();
  REQUIRE_AMANAH_ERROR(Connection::open(file, new_key, false), ErrorCode::WrongKey);
  REQUIRE_NOTHROW(Connection::open(file, key, false));
}
