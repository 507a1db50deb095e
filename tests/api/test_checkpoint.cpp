// Audit signing keys, checkpoint lines and the file sink, through the public API. (Checkpoints
// are signed by the store; their signatures are tested in unit/test_checkpoint.cpp.)
#include <amanah/amanah.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support.hpp"

using amanah::AuditPublicKey;
using amanah::AuditSigningKey;
using amanah::Checkpoint;
using amanah::Error;
using amanah::ErrorCode;
using amanah::FileCheckpointSink;
using amanah::SecretBytes;
using amanah::test::TempDir;

namespace {

const std::string kHead = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kSig = std::string(64, 'a') + std::string(64, '7');

std::string line_for(std::uint64_t seq, std::string_view store = "5f3c9a") {
  return "amanah-checkpoint 1 " + std::string(store) + " " + std::to_string(seq) + " 1767225600 " +
         kHead + " " + kSig;
}

// Error code and a message that does not quote `secret`.
void require_quiet_error(const std::function<void()>& f, ErrorCode code, std::string_view secret) {
  try {
    f();
    FAIL("expected an amanah::Error");
  } catch (const Error& e) {
    CHECK(e.code() == code);
    if (!secret.empty()) CHECK(std::string(e.what()).find(secret) == std::string::npos);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Keys

TEST_CASE("a generated audit key comes back from its private bytes", "[audit][checkpoint]") {
  const AuditSigningKey key = amanah::generate_audit_key();
  REQUIRE(key.private_key().size() == 32);
  const AuditSigningKey again(key.private_key().clone());
  CHECK(again.public_key() == key.public_key());
  CHECK(again.private_key().equals(key.private_key()));
  const AuditSigningKey copy = key.clone();
  CHECK(copy.public_key() == key.public_key());
  CHECK(copy.private_key().equals(key.private_key()));

  const AuditSigningKey other = amanah::generate_audit_key();
  CHECK_FALSE(other.public_key() == key.public_key());
  CHECK_FALSE(other.private_key().equals(key.private_key()));
}

TEST_CASE("an audit signing key needs 32 private bytes", "[audit][checkpoint]") {
  REQUIRE_AMANAH_ERROR(AuditSigningKey(SecretBytes(31)), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(AuditSigningKey(SecretBytes(33)), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(AuditSigningKey(SecretBytes()), ErrorCode::InvalidArgument);
  CHECK_NOTHROW(AuditSigningKey(SecretBytes(32)));
}

TEST_CASE("audit public keys in hex", "[audit][checkpoint]") {
  const AuditPublicKey key = amanah::generate_audit_key().public_key();
  const std::string hex = key.hex();
  CHECK(hex.size() == 64);
  CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(AuditPublicKey::from_hex(hex) == key);
  std::string upper = hex;
  for (char& c : upper)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  CHECK(AuditPublicKey::from_hex(upper) == key);

  for (const std::string& bad :
       {std::string(), hex.substr(0, 63), hex.substr(0, 62), hex + "00", hex.substr(0, 63) + "g",
        " " + hex.substr(1), std::string(64, 'z')}) {
    require_quiet_error([&] { (void)AuditPublicKey::from_hex(bad); }, ErrorCode::InvalidArgument,
                        bad.size() > 8 ? std::string_view(bad).substr(1, 8) : "");
  }
}

// ---------------------------------------------------------------------------------------------
// Lines

TEST_CASE("checkpoint lines round-trip", "[audit][checkpoint]") {
  const std::string line = line_for(20000);
  const Checkpoint c = Checkpoint::from_line(line);
  CHECK(c.store_id == "5f3c9a");
  CHECK(c.seq == 20000);
  CHECK(c.at == amanah::TimePoint(std::chrono::seconds(1767225600)));
  CHECK(c.head[0] == std::byte{0x00});
  CHECK(c.head[1] == std::byte{0x11});
  CHECK(c.head[31] == std::byte{0xff});
  CHECK(c.signature[0] == std::byte{0xaa});
  CHECK(c.signature[63] == std::byte{0x77});
  CHECK(c.to_line() == line);

  // Edge values.
  const std::string edges = "amanah-checkpoint 1 " + std::string(128, '~') +
                            " 18446744073709551615 -1 " + kHead + " " + kSig;
  CHECK(Checkpoint::from_line(edges).to_line() == edges);
  CHECK(Checkpoint::from_line(line_for(0)).seq == 0);
}

TEST_CASE("a hand-made checkpoint is signed by no one", "[audit][checkpoint]") {
  const Checkpoint c = Checkpoint::from_line(line_for(5));
  CHECK_FALSE(c.signed_by(amanah::generate_audit_key().public_key()));
  CHECK_FALSE(Checkpoint{}.signed_by(AuditPublicKey{}));
}

TEST_CASE("malformed checkpoint lines are Corrupt and are not echoed", "[audit][checkpoint]") {
  const std::string good = line_for(7);
  const std::string head_sig = " " + kHead + " " + kSig;
  const std::vector<std::string> bad = {
      "",
      "amanah-checkpoint",
      "amanah-checkpoint 2 5f3c9a 7 1767225600" + head_sig,  // unknown version
      "amanah-checkpoint 01 5f3c9a 7 1767225600" + head_sig,
      "amanah-checkpointx 1 5f3c9a 7 1767225600" + head_sig,
      "AMANAH-CHECKPOINT 1 5f3c9a 7 1767225600" + head_sig,
      "amanah-checkpoint 1 5f3c9a 7" + head_sig,                        // 6 fields
      "amanah-checkpoint 1 5f3c9a 7 1767225600" + head_sig + " extra",  // 8 fields
      "amanah-checkpoint 1 5f3c9a  7 1767225600" + head_sig,            // double space
      " " + good,
      good + " ",
      good + "\r",
      "amanah-checkpoint\t1 5f3c9a 7 1767225600" + head_sig,
      "amanah-checkpoint 1 5f3c9a 007 1767225600" + head_sig,  // leading zeros
      "amanah-checkpoint 1 5f3c9a +7 1767225600" + head_sig,
      "amanah-checkpoint 1 5f3c9a -7 1767225600" + head_sig,
      "amanah-checkpoint 1 5f3c9a 7e3 1767225600" + head_sig,
      "amanah-checkpoint 1 5f3c9a 18446744073709551616 1767225600" + head_sig,  // 2^64
      "amanah-checkpoint 1 5f3c9a 7 -0" + head_sig,
      "amanah-checkpoint 1 5f3c9a 7 - " + kHead + " " + kSig,
      "amanah-checkpoint 1 5f3c9a 7 1767225600.5" + head_sig,
      "amanah-checkpoint 1 5f3c9a 7 99999999999999" + head_sig,  // beyond a TimePoint
      "amanah-checkpoint 1 5f3c9a 7 1767225600 " + kHead.substr(1) + " " + kSig,
      "amanah-checkpoint 1 5f3c9a 7 1767225600 " + kHead + "0 " + kSig,
      "amanah-checkpoint 1 5f3c9a 7 1767225600 " + kHead + " " + kSig.substr(2),
      "amanah-checkpoint 1 5f3c9a 7 1767225600 " + kHead + " " + kSig + "00",
      "amanah-checkpoint 1 5f3c9a 7 1767225600 00112233445566778899AABBCCDDEEFF0011223344556677"
      "8899aabbccddeeff " +
          kSig,  // upper-case hex
      "amanah-checkpoint 1 5f3c9a 7 1767225600 " + std::string(64, 'g') + " " + kSig,
      "amanah-checkpoint 1 " + std::string(129, 'a') + " 7 1767225600" + head_sig,
      "amanah-checkpoint 1 caf\xc3\xa9 7 1767225600" + head_sig,
      std::string("amanah-checkpoint 1 5f\x01"
                  "3c 7 1767225600") +
          head_sig,
      good + "\n",
      std::string(good).insert(30, 1, '\0'),
  };
  for (const std::string& line : bad) {
    INFO("case " << (&line - bad.data()));
    try {
      (void)Checkpoint::from_line(line);
      FAIL("expected Corrupt");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::Corrupt);
      const std::string what = e.what();
      CHECK(what.find(kHead.substr(0, 16)) == std::string::npos);
      CHECK(what.find(kSig.substr(60, 16)) == std::string::npos);
      CHECK(what.find("5f3c9a") == std::string::npos);
      CHECK(what.find("1767225600") == std::string::npos);
    }
  }
}

TEST_CASE("to_line refuses a store id a line cannot carry", "[audit][checkpoint]") {
  Checkpoint c = Checkpoint::from_line(line_for(1));
  for (const std::string& id : {std::string(), std::string("a b"), std::string("a\nb"),
                                std::string(129, 'a'), std::string("\xff")}) {
    c.store_id = id;
    REQUIRE_AMANAH_ERROR((void)c.to_line(), ErrorCode::InvalidArgument);
  }
}

// ---------------------------------------------------------------------------------------------
// The file sink

TEST_CASE("FileCheckpointSink appends lines that read returns in order", "[audit][checkpoint]") {
  TempDir tmp;
  const auto file = tmp / "checkpoints.txt";
  CHECK(FileCheckpointSink::read(file).empty());  // missing: none

  FileCheckpointSink sink(file);
  REQUIRE(sink.file() == file);
  for (std::uint64_t seq : {10000u, 20000u, 30000u})
    sink.publish(Checkpoint::from_line(line_for(seq)));
  CHECK(amanah::test::read_file(file) ==
        line_for(10000) + "\n" + line_for(20000) + "\n" + line_for(30000) + "\n");

  const auto read = FileCheckpointSink::read(file);
  REQUIRE(read.size() == 3);
  CHECK(read[0].to_line() == line_for(10000));
  CHECK(read[1].to_line() == line_for(20000));
  CHECK(read[2].to_line() == line_for(30000));

  // A second sink on the same file appends after the first's lines.
  FileCheckpointSink(file).publish(Checkpoint::from_line(line_for(40000)));
  CHECK(FileCheckpointSink::read(file).size() == 4);

  // An empty file holds none.
  amanah::test::write_file(tmp / "empty", "");
  CHECK(FileCheckpointSink::read(tmp / "empty").empty());
}

TEST_CASE("a torn last line is skipped, then cut before the next append", "[audit][checkpoint]") {
  TempDir tmp;
  const auto file = tmp / "checkpoints.txt";
  FileCheckpointSink sink(file);
  sink.publish(Checkpoint::from_line(line_for(1)));
  sink.publish(Checkpoint::from_line(line_for(2)));
  const std::string whole = amanah::test::read_file(file);

  // A crash part way through the third line, at every length, and without only the newline.
  const std::string third = line_for(3);
  for (std::size_t cut : {std::size_t{1}, std::size_t{10}, std::size_t{17}, std::size_t{60},
                          third.size() - 1, third.size()}) {
    INFO("cut " << cut);
    amanah::test::write_file(file, whole + third.substr(0, cut));
    const auto read = FileCheckpointSink::read(file);
    REQUIRE(read.size() == 2);
    CHECK(read[1].seq == 2);

    sink.publish(Checkpoint::from_line(line_for(4)));
    CHECK(amanah::test::read_file(file) == whole + line_for(4) + "\n");
    const auto after = FileCheckpointSink::read(file);
    REQUIRE(after.size() == 3);
    CHECK(after[2].seq == 4);
  }

  // A torn first line.
  amanah::test::write_file(file, third.substr(0, 40));
  CHECK(FileCheckpointSink::read(file).empty());
  sink.publish(Checkpoint::from_line(line_for(5)));
  CHECK(amanah::test::read_file(file) == line_for(5) + "\n");
}

TEST_CASE("a bad line that is not the last is Corrupt, naming the line", "[audit][checkpoint]") {
  TempDir tmp;
  const auto file = tmp / "checkpoints.txt";
  const std::string bad =
      "amanah-checkpoint 1 5f3c9a 2 1767225600 " + kHead + " " + kSig.substr(0, 127) + "X";
  amanah::test::write_file(file, line_for(1) + "\n" + bad + "\n" + line_for(3) + "\n");
  try {
    (void)FileCheckpointSink::read(file);
    FAIL("expected Corrupt");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::Corrupt);
    const std::string what = e.what();
    CHECK(what.find(file.string()) != std::string::npos);
    CHECK(what.find("line 2") != std::string::npos);
    CHECK(what.find(kHead.substr(0, 16)) == std::string::npos);
    CHECK(what.find("5f3c9a") == std::string::npos);
  }
  // A blank line in the middle is bad too, as is a bad last line that has its newline.
  amanah::test::write_file(file, line_for(1) + "\n\n" + line_for(3) + "\n");
  REQUIRE_AMANAH_ERROR((void)FileCheckpointSink::read(file), ErrorCode::Corrupt);
  amanah::test::write_file(file, line_for(1) + "\n" + bad + "\n");
  REQUIRE_AMANAH_ERROR((void)FileCheckpointSink::read(file), ErrorCode::Corrupt);
}

TEST_CASE("the sink will not cut into a file that is not its own", "[audit][checkpoint]") {
  TempDir tmp;
  const auto file = tmp / "notes.txt";
  const std::string notes = "some other file\nwhose last line has no newline";
  amanah::test::write_file(file, notes);
  FileCheckpointSink sink(file);
  REQUIRE_AMANAH_ERROR(sink.publish(Checkpoint::from_line(line_for(1))), ErrorCode::Corrupt);
  CHECK(amanah::test::read_file(file) == notes);

  // Nor into a directory, and reading one is an I/O error.
  std::filesystem::create_directory(tmp / "dir");
  REQUIRE_AMANAH_ERROR(FileCheckpointSink(tmp / "dir").publish(Checkpoint::from_line(line_for(1))),
                       ErrorCode::Io);
  REQUIRE_AMANAH_ERROR((void)FileCheckpointSink::read(tmp / "dir"), ErrorCode::Io);
  // A missing directory: I/O error naming the file.
  REQUIRE_AMANAH_ERROR(
      FileCheckpointSink(tmp / "missing" / "c.txt").publish(Checkpoint::from_line(line_for(1))),
      ErrorCode::Io);
}

TEST_CASE("FileCheckpointSink is safe to publish from several threads", "[audit][checkpoint]") {
  TempDir tmp;
  const auto file = tmp / "checkpoints.txt";
  FileCheckpointSink sink(file);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 4; ++t)
    threads.emplace_back([&sink, t] {
      for (std::uint64_t i = 0; i < 25; ++i)
        sink.publish(Checkpoint::from_line(line_for(t * 100 + i)));
    });
  for (auto& th : threads)
    th.join();
  const auto read = FileCheckpointSink::read(file);
  REQUIRE(read.size() == 100);
  std::vector<bool> seen(400, false);
  for (const auto& c : read)
    seen[c.seq] = true;
  for (std::uint64_t t = 0; t < 4; ++t)
    for (std::uint64_t i = 0; i < 25; ++i)
      CHECK(seen[t * 100 + i]);
}

TEST_CASE("alert and report explanations", "[audit]") {
  amanah::Alert a;
  a.kind = amanah::AlertKind::subjects_read;
  a.actor = "x";
  a.count = 101;
  a.limit = 100;
  a.window = std::chrono::seconds(60);
  CHECK(a.explain() == "actor 'x' read 101 distinct customers within 60 s (limit 100)");
  a.kind = amanah::AlertKind::exports;
  a.window = std::chrono::seconds(3600);
  a.count = 6;
  a.limit = 5;
  CHECK(a.explain() == "actor 'x' ran 6 bulk reads or exports within 3600 s (limit 5)");
  a.kind = amanah::AlertKind::denials;
  a.window = std::chrono::seconds(60);
  CHECK(a.explain() == "actor 'x' was denied 6 requests within 60 s (limit 5)");
  a.actor = "bad\nactor";
  CHECK(a.explain() == "(unprintable actor) was denied 6 requests within 60 s (limit 5)");
  a.actor = std::string(65, 'a');
  CHECK(a.explain().rfind("(unprintable actor) ", 0) == 0);
  a.actor = std::string(64, 'a');
  CHECK(a.explain().rfind("actor '" + std::string(64, 'a') + "' ", 0) == 0);

  CHECK(amanah::to_string(amanah::AlertKind::subjects_read) == "subjects_read");
  CHECK(amanah::to_string(amanah::AlertKind::exports) == "exports");
  CHECK(amanah::to_string(amanah::AlertKind::denials) == "denials");
  using amanah::TamperKind;
  CHECK(amanah::to_string(TamperKind::modified) == "modified");
  CHECK(amanah::to_string(TamperKind::deleted) == "deleted");
  CHECK(amanah::to_string(TamperKind::inserted) == "inserted");
  CHECK(amanah::to_string(TamperKind::reordered) == "reordered");
  CHECK(amanah::to_string(TamperKind::truncated) == "truncated");
  CHECK(amanah::to_string(TamperKind::rolled_back) == "rolled_back");
  CHECK(amanah::to_string(TamperKind::bad_checkpoint) == "bad_checkpoint");

  amanah::AuditReport r;
  r.entries = 12;
  r.checkpoints = 1;
  CHECK(r.explain() == "audit log verified: 12 entries, 1 checkpoints");
  r.problem = amanah::AuditProblem{7, TamperKind::modified, "entry hash does not match"};
  CHECK(r.explain() ==
        "audit log problem at entry 7: modified: entry hash does not match (12 entries checked)");
}
