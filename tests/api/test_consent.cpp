// The consent registry through the public API: states over a moving clock, history and proof,
// the streamed scan, receipts, evidence validation (messages never carry a value), who may
// record consents, persistence, the forensic scan, and grants racing reads.
#include <amanah/amanah.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "records_fixture.hpp"
#include "support.hpp"

using amanah::ConsentEvent;
using amanah::ConsentEventKind;
using amanah::ConsentEvidence;
using amanah::ConsentMethod;
using amanah::ConsentState;
using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::TimePoint;
using amanah::test::app_key;
using amanah::test::kSiti;
using amanah::test::kSupport;
using amanah::test::TempDir;

namespace {

constexpr std::int64_t kT0 = 1'767'225'600;  // 2026-01-01T00:00:00Z

// The store's clock, moved by the test (and read by several threads).
class TestClock final : public amanah::Clock {
 public:
  explicit TestClock(std::int64_t at) : at_(at) {}
  std::chrono::system_clock::time_point now() const override { return tp(at_.load()); }
  void set(std::int64_t at) { at_ = at; }
  void advance(std::int64_t s) { at_ += s; }
  static TimePoint tp(std::int64_t s) { return TimePoint{std::chrono::seconds{s}}; }

 private:
  std::atomic<std::int64_t> at_;
};

TimePoint tp(std::int64_t s) {
  return TestClock::tp(s);
}

// The example manifest (support may record consents: rule support-records-consent; marketing
// may not), plus a consent purpose with a description and a role with no rule at all.
amanah::Manifest consent_manifest() {
  return amanah::Manifest::from_toml(std::string(amanah::test::kManifestToml) + R"toml(
[purposes.newsletter]
basis = "consent"
description = "Send the monthly newsletter"

[roles.clerk]
)toml",
                                     "consent.toml");
}

struct Fixture {
  TempDir tmp;
  std::shared_ptr<TestClock> clock = std::make_shared<TestClock>(kT0);
  CustomerStore store =
      CustomerStore::create(tmp / "s", *app_key(), consent_manifest(), {.clock = clock});
  CustomerStore reopen() {
    store.close();
    return CustomerStore::open(tmp / "s", *app_key(), amanah::OpenOptions{.clock = clock});
  }
};

ConsentEvidence form(std::string source = "signup-form") {
  return {.source = std::move(source), .notice_version = "2026-01"};
}

// Two events are the same record (compared without printing their evidence).
bool same(const ConsentEvent& a, const ConsentEvent& b) {
  const auto& x = a.evidence;
  const auto& y = b.evidence;
  const bool guardian = x.guardian.has_value() == y.guardian.has_value() &&
                        (!x.guardian || (x.guardian->name == y.guardian->name &&
                                         x.guardian->relationship == y.guardian->relationship));
  return a.id == b.id && a.subject == b.subject && a.purpose == b.purpose && a.kind == b.kind &&
         a.at == b.at && a.actor == b.actor && x.source == y.source &&
         x.notice_version == y.notice_version && x.notice_sha256 == y.notice_sha256 &&
         x.language == y.language && x.method == y.method && x.expires == y.expires && guardian;
}

}  // namespace

TEST_CASE("consent states follow the clock: grant, expiry, withdraw, re-grant", "[consent]") {
  Fixture f;
  auto& consents = f.store.consents();
  const CustomerId id = f.store.insert(kSupport, kSiti);
  CHECK(consents.state(id, "marketing") == ConsentState::never);

  f.clock->set(kT0 + 10);
  ConsentEvidence e = form();
  e.notice_sha256 = std::string(64, 'A');
  e.language = "id";
  e.method = ConsentMethod::signature;
  e.expires = tp(kT0 + 1000) + std::chrono::milliseconds(700);  // kept to whole seconds
  const ConsentEvent g1 = consents.grant(kSupport, id, "marketing", e);
  CHECK(g1.kind == ConsentEventKind::grant);
  CHECK(g1.at == tp(kT0 + 10));
  CHECK(g1.actor == "agent-17");
  CHECK(g1.evidence.notice_sha256 == std::string(64, 'a'));
  CHECK((g1.evidence.expires == tp(kT0 + 1000)));
  CHECK(consents.state(id, "marketing") == ConsentState::granted);
  CHECK(consents.state(id, "newsletter") == ConsentState::never);  // one purpose per consent
  CHECK(consents.state(id, "marketing", tp(kT0 + 9)) == ConsentState::never);
  CHECK(consents.state(id, "marketing", tp(kT0 + 999)) == ConsentState::granted);

  f.clock->set(kT0 + 1000);  // expiry is at or before the instant asked about
  CHECK(consents.state(id, "marketing") == ConsentState::expired);
  CHECK(consents.state(id, "marketing", tp(kT0 + 5000)) == ConsentState::expired);

  f.clock->set(kT0 + 1100);
  const ConsentEvent g2 = consents.grant(kSupport, id, "marketing", form("call-centre"));
  CHECK(consents.state(id, "marketing") == ConsentState::granted);

  f.clock->set(kT0 + 1200);
  const ConsentEvent w = consents.withdraw(kSupport, id, "marketing", "email-unsubscribe");
  CHECK(w.kind == ConsentEventKind::withdraw);
  CHECK(w.evidence.source == "email-unsubscribe");
  CHECK(w.evidence.notice_version.empty());
  CHECK(consents.state(id, "marketing") == ConsentState::withdrawn);  // at once
  CHECK(consents.state(id, "marketing", tp(kT0 + 1150)) == ConsentState::granted);

  f.clock->set(kT0 + 1300);
  const ConsentEvent g3 = consents.grant(kSupport, id, "marketing", form());
  CHECK(consents.state(id, "marketing") == ConsentState::granted);
  // A withdrawal without a grant is an objection on record.
  const ConsentEvent w2 = consents.withdraw(kSupport, id, "newsletter", "phone-call");
  CHECK(consents.state(id, "newsletter") == ConsentState::withdrawn);

  SECTION("history: every event, oldest first, as recorded") {
    const auto h = consents.history(id);
    REQUIRE(h.size() == 5);
    CHECK(same(h[0], g1));
    CHECK(same(h[1], g2));
    CHECK(same(h[2], w));
    CHECK(same(h[3], g3));
    CHECK(same(h[4], w2));
    CHECK(g1.id < g2.id);
    CHECK(g2.id < w.id);
    CHECK(w.id < g3.id);
    CHECK(g3.id < w2.id);
  }

  SECTION("prove: the event in force at each instant") {
    CHECK_FALSE(consents.prove(id, "marketing", tp(kT0 + 9)).has_value());
    auto at = [&](std::int64_t s) { return consents.prove(id, "marketing", tp(kT0 + s)); };
    REQUIRE(at(10).has_value());
    CHECK(at(10)->id == g1.id);
    CHECK(at(500)->id == g1.id);
    CHECK(at(1050)->id == g1.id);  // expired, and still the event that decides
    CHECK(at(1100)->id == g2.id);
    CHECK(at(1199)->id == g2.id);
    CHECK(at(1200)->id == w.id);
    CHECK(at(1250)->kind == ConsentEventKind::withdraw);
    CHECK(at(1300)->id == g3.id);
    CHECK(same(*at(1300), g3));
    CHECK(consents.prove(id, "newsletter", tp(kT0 + 2000))->id == w2.id);
    CHECK_FALSE(consents.prove(id, "newsletter", tp(kT0 + 1299)).has_value());
  }

  SECTION("a clock moved back: the latest event recorded at or before the instant decides") {
    f.clock->set(kT0 + 1250);  // before g3's time, after w's
    const ConsentEvent late = consents.withdraw(kSupport, id, "marketing", "back-office");
    CHECK(late.id > g3.id);
    CHECK(consents.state(id, "marketing") == ConsentState::withdrawn);
    CHECK(consents.state(id, "marketing", tp(kT0 + 1400)) == ConsentState::withdrawn);
    CHECK(consents.prove(id, "marketing", tp(kT0 + 1400))->id == late.id);
  }
}

TEST_CASE("subjects_with_consent streams the live subjects in storage order", "[consent]") {
  Fixture f;
  auto& consents = f.store.consents();
  constexpr int kSubjects = 800;
  std::vector<amanah::FieldValues> batch;
  for (int i = 0; i < kSubjects; ++i)
    batch.push_back(amanah::test::customer(i));
  const std::vector<CustomerId> ids = f.store.insert_many(kSupport, batch);

  // Mixed states at kT0 + 100: granted (7 in 10), withdrawn, expired, another purpose only.
  f.clock->set(kT0 + 10);
  std::vector<CustomerId> live, live_before;
  for (int i = 0; i < kSubjects; ++i) {
    const auto& id = ids[static_cast<std::size_t>(i)];
    switch (i % 10) {
      case 7:
        (void)consents.grant(kSupport, id, "marketing", form());
        live_before.push_back(id);
        break;
      case 8: {
        ConsentEvidence e = form();
        e.expires = tp(kT0 + 50);
        (void)consents.grant(kSupport, id, "marketing", e);
        live_before.push_back(id);
        break;
      }
      case 9:
        (void)consents.grant(kSupport, id, "newsletter", form());
        break;
      default:
        (void)consents.grant(kSupport, id, "marketing", form());
        live.push_back(id);
        live_before.push_back(id);
    }
  }
  f.clock->set(kT0 + 60);
  for (int i = 7; i < kSubjects; i += 10)
    (void)consents.withdraw(kSupport, ids[static_cast<std::size_t>(i)], "marketing", "app");
  f.clock->set(kT0 + 100);
  REQUIRE(live.size() > 2 * 256);  // several batches

  std::vector<CustomerId> seen;
  for (const CustomerId& id : consents.subjects_with_consent("marketing", tp(kT0 + 100)))
    seen.push_back(id);
  CHECK(seen.size() == live.size());
  CHECK((seen == live));

  // Earlier: before the withdrawals and the expiry.
  seen.clear();
  for (const CustomerId& id : consents.subjects_with_consent("marketing", tp(kT0 + 40)))
    seen.push_back(id);
  CHECK((seen == live_before));
  // Before any grant: nobody.
  auto none = consents.subjects_with_consent("marketing", tp(kT0 + 9));
  CHECK(none.begin() == none.end());
  std::size_t newsletter = 0;
  for (const CustomerId& id : consents.subjects_with_consent("newsletter", tp(kT0 + 100))) {
    (void)id;
    ++newsletter;
  }
  CHECK(newsletter == kSubjects / 10);
  REQUIRE_AMANAH_ERROR(consents.subjects_with_consent("markting", tp(kT0)),
                       ErrorCode::InvalidArgument);
}

TEST_CASE("a receipt names the store, the purpose, the event and its evidence", "[consent]") {
  Fixture f;
  auto& consents = f.store.consents();
  const CustomerId id = f.store.insert(kSupport, kSiti);
  REQUIRE_AMANAH_ERROR((void)consents.receipt(id, "newsletter"), ErrorCode::NotFound);

  f.clock->set(kT0 + 3661);
  ConsentEvidence e = form();
  e.notice_sha256 = std::string(64, 'b');
  e.language = "en-US";
  e.method = ConsentMethod::verbal;
  e.expires = tp(kT0 + 86400 * 365);
  e.guardian = amanah::Guardian{.name = "Ibu Rahma", .relationship = "parent"};
  const ConsentEvent g = consents.grant(kSupport, id, "newsletter", e);

  using nlohmann::json;
  const json r = json::parse(consents.receipt(id, "newsletter"));
  CHECK(r.at("store").at("name") == "Toko Contoh");
  CHECK(r.at("subject") == id.str());
  CHECK(r.at("purpose").at("id") == "newsletter");
  CHECK(r.at("purpose").at("description") == "Send the monthly newsletter");
  CHECK(r.at("purpose").at("basis") == "consent");
  CHECK(r.at("state") == "granted");
  CHECK(r.at("event").at("id") == g.id);
  CHECK(r.at("event").at("kind") == "grant");
  CHECK(r.at("event").at("time") == "2026-01-01T01:01:01Z");
  CHECK(r.at("event").at("recorded_by") == "agent-17");
  const json& ev = r.at("evidence");
  CHECK(ev.at("source") == "signup-form");
  CHECK(ev.at("notice_version") == "2026-01");
  CHECK(ev.at("notice_sha256") == std::string(64, 'b'));
  CHECK(ev.at("language") == "en-US");
  CHECK(ev.at("method") == "verbal");
  CHECK(ev.at("expires") == "2027-01-01T00:00:00Z");
  CHECK((ev.at("guardian").at("name") == "Ibu Rahma"));
  CHECK(ev.at("guardian").at("relationship") == "parent");
  CHECK(r.contains("issued_at"));

  f.clock->set(kT0 + 4000);
  const ConsentEvent w = consents.withdraw(kSupport, id, "newsletter", "letter");
  const json r2 = json::parse(consents.receipt(id, "newsletter"));
  CHECK(r2.at("state") == "withdrawn");
  CHECK(r2.at("event").at("id") == w.id);
  CHECK(r2.at("event").at("kind") == "withdraw");
  CHECK(r2.at("evidence").at("source") == "letter");
  ConsentEvidence brief = form();
  brief.expires = tp(kT0 + 5000);
  (void)consents.grant(kSupport, id, "marketing", brief);
  CHECK(json::parse(consents.receipt(id, "marketing")).at("state") == "granted");
  f.clock->set(kT0 + 5000);
  CHECK(json::parse(consents.receipt(id, "marketing")).at("state") == "expired");
  REQUIRE_AMANAH_ERROR((void)consents.receipt(id, "service"), ErrorCode::NotFound);
  REQUIRE_AMANAH_ERROR((void)consents.receipt(id, "no_such"), ErrorCode::InvalidArgument);
}

TEST_CASE("bad evidence is refused naming the part, never its value, and changes nothing",
          "[consent]") {
  Fixture f;
  auto& consents = f.store.consents();
  const CustomerId id = f.store.insert(kSupport, kSiti);
  const std::string m = "PLANTED-7731";  // in every bad value

  struct Bad {
    const char* part;
    ConsentEvidence e;
  };
  std::vector<Bad> bad;
  auto with = [&](const char* part, auto change) {
    ConsentEvidence e = form();
    change(e);
    bad.push_back({part, e});
  };
  with("source", [&](ConsentEvidence& e) { e.source.clear(); });
  with("source", [&](ConsentEvidence& e) { e.source = m + std::string(130, 'x'); });
  with("source", [&](ConsentEvidence& e) { e.source = m + "\x01"; });
  with("source", [&](ConsentEvidence& e) { e.source = m + "\n"; });
  with("source", [&](ConsentEvidence& e) { e.source = m + "\xc2\x85"; });  // U+0085
  with("source", [&](ConsentEvidence& e) { e.source = m + "\xff"; });      // not UTF-8
  with("source", [&](ConsentEvidence& e) { e.source = m + "\xc0\xaf"; });  // overlong
  with("source", [&](ConsentEvidence& e) { e.source = m + "\xe2\x82"; });  // cut short
  with("notice_version", [&](ConsentEvidence& e) { e.notice_version.clear(); });
  with("notice_version", [&](ConsentEvidence& e) { e.notice_version = m + std::string(60, 'v'); });
  with("notice_version", [&](ConsentEvidence& e) { e.notice_version = m + "\x7f"; });
  with("notice_sha256", [&](ConsentEvidence& e) { e.notice_sha256 = m; });
  with("notice_sha256", [&](ConsentEvidence& e) { e.notice_sha256 = std::string(63, 'a'); });
  with("notice_sha256",
       [&](ConsentEvidence& e) { e.notice_sha256 = m + std::string(64 - m.size(), 'a'); });
  with("language", [&](ConsentEvidence& e) { e.language = m + "_"; });
  with("language", [&](ConsentEvidence& e) { e.language = "e"; });
  with("language", [&](ConsentEvidence& e) { e.language = "en-"; });
  with("language", [&](ConsentEvidence& e) { e.language = "en US"; });
  with("method", [&](ConsentEvidence& e) { e.method = static_cast<ConsentMethod>(42); });
  with("expires", [&](ConsentEvidence& e) { e.expires = tp(kT0); });  // not after now
  with("expires", [&](ConsentEvidence& e) { e.expires = tp(kT0 - 86400); });
  with("expires", [&](ConsentEvidence& e) {
    e.expires = tp(kT0) + std::chrono::milliseconds(999);  // the same second
  });
  with("guardian name", [&](ConsentEvidence& e) { e.guardian = amanah::Guardian{"", "parent"}; });
  with("guardian name", [&](ConsentEvidence& e) {
    e.guardian = amanah::Guardian{m + std::string(250, 'n'), "parent"};
  });
  with("guardian name", [&](ConsentEvidence& e) {
    e.guardian = amanah::Guardian{m + "\t", "parent"};
  });
  with("guardian relationship", [&](ConsentEvidence& e) {
    e.guardian = amanah::Guardian{"Ibu", ""};
  });
  with("guardian relationship", [&](ConsentEvidence& e) {
    e.guardian = amanah::Guardian{"Ibu", m + "\r"};
  });
  with("guardian relationship", [&](ConsentEvidence& e) {
    e.guardian = amanah::Guardian{"Ibu", m + std::string(60, 'r')};
  });

  for (const auto& b : bad) {
    INFO("part: " << b.part);
    try {
      (void)consents.grant(kSupport, id, "marketing", b.e);
      FAIL("accepted");
    } catch (const amanah::Error& e) {
      const std::string what = e.what();
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK(what.find(b.part) != std::string::npos);
      CHECK(what.find(m) == std::string::npos);  // checked as a boolean: nothing printed
    }
  }
  for (const std::string& source : {std::string(), m + "\x01", m + std::string(130, 's')}) {
    try {
      (void)consents.withdraw(kSupport, id, "marketing", source);
      FAIL("accepted");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK(std::string(e.what()).find(m) == std::string::npos);
    }
  }
  CHECK(consents.history(id).empty());
  CHECK(consents.state(id, "marketing") == ConsentState::never);

  // The limits themselves are accepted.
  ConsentEvidence edge = form(std::string(128, 's'));
  edge.notice_version = std::string(64, 'v');
  edge.notice_sha256 = std::string(64, 'F');
  edge.language = "zh-Hant-TW";
  edge.method = ConsentMethod::other;
  edge.expires = tp(kT0 + 1);
  edge.guardian = amanah::Guardian{std::string(256, 'g'), std::string(64, 'r')};
  (void)consents.grant(kSupport, id, "marketing", edge);
  const ConsentEvidence utf8 = form("formulir pendaftaran — situs web ✓");
  (void)consents.grant(kSupport, id, "marketing", utf8);
  CHECK(consents.history(id).size() == 2);
}

TEST_CASE("grants need a consent purpose, a known customer and manage_consent", "[consent]") {
  Fixture f;
  auto& consents = f.store.consents();
  const CustomerId id = f.store.insert(kSupport, kSiti);
  const std::string planted = "siti.PLANTED@example.co.id";

  SECTION("purposes") {
    try {
      (void)consents.grant(kSupport, id, "service", form());  // basis contract
      FAIL("accepted");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK(std::string(e.what()).find("'service'") != std::string::npos);
    }
    try {
      (void)consents.grant(kSupport, id, "markting", form());
      FAIL("accepted");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK(std::string(e.what()).find("'markting'") != std::string::npos);
    }
    for (const std::string& p : {planted, std::string(), std::string("marketing\n")}) {
      try {
        (void)consents.grant(kSupport, id, p, form());
        FAIL("accepted");
      } catch (const amanah::Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
        CHECK(std::string(e.what()).find("PLANTED") == std::string::npos);
      }
    }
    REQUIRE_AMANAH_ERROR(consents.withdraw(kSupport, id, "service", "x"),
                         ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR((void)consents.state(id, planted), ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR((void)consents.prove(id, planted, tp(kT0)), ErrorCode::InvalidArgument);
    // A purpose name the manifest does not declare may still be asked to prove (nothing here).
    CHECK_FALSE(consents.prove(id, "old_purpose", tp(kT0)).has_value());
  }

  SECTION("customers") {
    const CustomerId nobody = CustomerId::parse(std::string(32, 'a'));
    REQUIRE_AMANAH_ERROR(consents.grant(kSupport, nobody, "marketing", form()),
                         ErrorCode::NotFound);
    REQUIRE_AMANAH_ERROR(consents.withdraw(kSupport, nobody, "marketing", "x"),
                         ErrorCode::NotFound);
    REQUIRE_AMANAH_ERROR((void)consents.state(nobody, "marketing"), ErrorCode::NotFound);
    REQUIRE_AMANAH_ERROR((void)consents.history(nobody), ErrorCode::NotFound);
    REQUIRE_AMANAH_ERROR((void)consents.prove(nobody, "marketing", tp(kT0)), ErrorCode::NotFound);
  }

  SECTION("callers") {
    const amanah::AccessContext marketing{
        .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "marketing"};
    REQUIRE_THROWS_AS(consents.grant(marketing, id, "marketing", form()), amanah::AccessDenied);
    REQUIRE_AMANAH_ERROR(consents.withdraw(marketing, id, "marketing", "x"),
                         ErrorCode::AccessDenied);
    try {
      (void)consents.grant(marketing, id, "marketing", form());
      FAIL("accepted");
    } catch (const amanah::AccessDenied& e) {
      CHECK(e.code() == ErrorCode::AccessDenied);
      CHECK_FALSE(e.decision().allowed());
      CHECK(e.decision().action() == amanah::Action::manage_consent);
    }
    const amanah::AccessContext clerk{.actor = "c-1", .roles = {"clerk"}, .purpose = "service"};
    REQUIRE_THROWS_AS(consents.grant(clerk, id, "marketing", form()), amanah::AccessDenied);
    const amanah::AccessContext stranger{
        .actor = "x", .roles = {"no_such_role"}, .purpose = "service"};
    REQUIRE_AMANAH_ERROR(consents.grant(stranger, id, "marketing", form()),
                         ErrorCode::AccessDenied);
    amanah::AccessContext anonymous = kSupport;
    anonymous.actor.clear();
    REQUIRE_AMANAH_ERROR(consents.grant(anonymous, id, "marketing", form()),
                         ErrorCode::InvalidArgument);
    amanah::AccessContext roleless = kSupport;
    roleless.roles.clear();
    REQUIRE_AMANAH_ERROR(consents.grant(roleless, id, "marketing", form()),
                         ErrorCode::InvalidArgument);
  }

  CHECK(consents.history(id).empty());
  CHECK(consents.state(id, "marketing") == ConsentState::never);
  f.store.close();
  REQUIRE_AMANAH_ERROR((void)f.store.consents().state(id, "marketing"),
                       ErrorCode::InvalidOperation);
}

TEST_CASE("consents survive close and reopen", "[consent]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, kSiti);
  ConsentEvidence e = form();
  e.guardian = amanah::Guardian{"Ibu Rahma", "parent"};
  e.expires = tp(kT0 + 500);
  f.clock->set(kT0 + 5);
  const ConsentEvent g = f.store.consents().grant(kSupport, id, "marketing", e);
  f.clock->set(kT0 + 6);
  const ConsentEvent w = f.store.consents().withdraw(kSupport, id, "newsletter", "app");

  CustomerStore again = f.reopen();
  auto& consents = again.consents();
  const auto h = consents.history(id);
  REQUIRE(h.size() == 2);
  CHECK(same(h[0], g));
  CHECK(same(h[1], w));
  CHECK(consents.state(id, "marketing") == ConsentState::granted);
  CHECK(consents.state(id, "newsletter") == ConsentState::withdrawn);
  f.clock->set(kT0 + 500);
  CHECK(consents.state(id, "marketing") == ConsentState::expired);
  // Event ids keep growing across opens.
  CHECK(consents.grant(kSupport, id, "marketing", form()).id > w.id);
}

TEST_CASE("a guardian's name is in no file of the store in plain text", "[consent][forensic]") {
  Fixture f;
  const std::string name = "PLANTED-Guardian-Wulandari-4471";
  const std::string relation = "PLANTED-relation-aunt-9902";
  const CustomerId id = f.store.insert(kSupport, kSiti);
  ConsentEvidence e = form();
  e.guardian = amanah::Guardian{name, relation};
  (void)f.store.consents().grant(kSupport, id, "marketing", e);
  CHECK(f.store.consents().history(id).at(0).evidence.guardian->name == name);

  const auto dir = f.tmp / "s";
  auto plain_anywhere = [&] {
    for (const auto& file : amanah::test::files_below(dir)) {
      const std::string bytes = amanah::test::read_file(file);
      if (bytes.find(name) != std::string::npos || bytes.find(relation) != std::string::npos)
        return true;
    }
    return false;
  };
  CHECK_FALSE(plain_anywhere());  // open: pages in the WAL
  f.store.close();
  CHECK_FALSE(plain_anywhere());
}

TEST_CASE("grants and withdrawals race state() on 8 threads", "[consent][concurrency]") {
  Fixture f;
  constexpr int kSubjects = 6;
  constexpr int kWriters = 3;
  constexpr int kRounds = 12;
  std::vector<amanah::FieldValues> batch;
  for (int i = 0; i < kSubjects; ++i)
    batch.push_back(amanah::test::customer(i));
  const std::vector<CustomerId> ids = f.store.insert_many(kSupport, batch);
  auto& consents = f.store.consents();

  // Each writer owns two subjects: rounds of grant then withdraw, ending withdrawn. Once a
  // subject's last withdrawal has returned, every thread must see it withdrawn.
  std::vector<std::atomic<bool>> final_withdrawn(kSubjects);
  std::atomic<int> writers_done{0}, errors{0}, stale{0}, reads{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      try {
        for (int r = 0; r < kRounds; ++r)
          for (int s = w; s < kSubjects; s += kWriters) {
            const auto& id = ids[static_cast<std::size_t>(s)];
            (void)consents.grant(kSupport, id, "marketing", form());
            (void)consents.withdraw(kSupport, id, "marketing", "app");
            if (r == kRounds - 1) final_withdrawn[static_cast<std::size_t>(s)] = true;
          }
      } catch (...) {
        ++errors;
      }
      ++writers_done;
    });
  for (int t = 0; t < 8 - kWriters; ++t)
    threads.emplace_back([&, t] {
      try {
        int i = t;
        while (writers_done < kWriters) {
          const auto s = static_cast<std::size_t>(i++ % kSubjects);
          const bool done = final_withdrawn[s];
          const ConsentState st = consents.state(ids[s], "marketing");
          if (done && st != ConsentState::withdrawn) ++stale;
          if (st == ConsentState::expired) ++errors;
          ++reads;
        }
        for (std::size_t s = 0; s < kSubjects; ++s)
          if (consents.state(ids[s], "marketing") != ConsentState::withdrawn) ++stale;
      } catch (...) {
        ++errors;
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(errors == 0);
  CHECK(stale == 0);
  CHECK(reads > 0);
  for (const auto& id : ids)
    CHECK(consents.history(id).size() == 2 * kRounds);
}
