// verify(): recomputes every entry's leaf and the chain, and holds the log against checkpoints.
//
// How a problem is named (the first one found, in sequence order):
// - modified:  an entry's content no longer gives its chain value;
// - deleted:   a sequence number is missing (or every later entry was renumbered down by one);
// - inserted:  an entry that belongs nowhere, with the chain going on as if it were not there;
// - reordered: the entry that belongs at a number is found later in the log;
// - truncated: entries are missing from the end (the log's own record of how far it reached, or a
//              checkpoint, says it went further);
// - rolled_back: the log is not the one a checkpoint signed (an older data.db was put back, and
//              perhaps written to since, or the chain was rewritten by someone with the database
//              key) but nothing inside the file shows it;
// - bad_checkpoint: a checkpoint not signed by the key, or of another store.
#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <amanah/error.hpp>

#include "audit/batch.hpp"
#include "audit/log.hpp"
#include "crypto/crypto.hpp"
#include "store/core.hpp"

namespace amanah::detail::audit {
namespace {

// How far past a bad entry verify() looks for where the chain goes on (to tell an insertion or a
// reordering from a modification). Farther moves are reported as modified.
constexpr std::size_t kLookahead = 4096;

struct Row {
  std::uint64_t seq = 0;
  std::int64_t at = 0;
  const std::string* action = nullptr;  // in the reader's names
  bool allowed = true;
  bool has_subject = false;
  std::array<char, kPseudonymSize> subject{};  // rows outlive the reader's batch: a copy
  Hash payload_hash{};  // computed from the names, or kept for an erased payload
  Hash chain{};
};

using Ids = std::array<std::int64_t, 5>;  // a payload's names: actor, roles, purpose, fields, rules
struct IdsHash {
  std::size_t operator()(const Ids& k) const noexcept {
    std::size_t h = 0;
    for (auto x : k)
      h = h * 1000003u ^ std::hash<std::int64_t>{}(x);
    return h;
  }
};

// The entries of the batch rows that start within [first, last], in stored order (rows by their
// first entry, entries as packed). A row's entries are read whole when it is reached, and its
// locators checked against them.
class Reader {
 public:
  Reader(db::Connection& c, std::uint64_t first, std::uint64_t last)
      : st_(c.prepare("SELECT first, last, min_at, max_at, entries FROM audit_log "
                      "WHERE first >= ?1 ORDER BY first")),
        last_(last) {
    // From the start, rows whose first entry is numbered below 1 too.
    st_.bind(1, first <= 1 ? std::numeric_limits<std::int64_t>::min()
                           : static_cast<std::int64_t>(first));
    auto names = c.prepare("SELECT id, name FROM audit_names");
    while (names.step())
      names_.emplace(names.column_int64(0), names.column_text(1));
  }

  // Reads on past `last` (the look ahead after a bad entry).
  void extend() noexcept { last_ = std::numeric_limits<std::uint64_t>::max(); }

  // The next entry; false at the end. `damaged` is set when an entry cannot even be read (a
  // damaged batch, a missing name, locators that do not match the entries): its content is then
  // taken as modified.
  bool next(Row& r, bool& damaged) {
    damaged = false;
    while (pos_ == batch_.size()) {
      if (done_ || !fetch()) return false;
    }
    const Stored& e = batch_[pos_];
    damaged = pos_ == damaged_at_;
    ++pos_;
    r.seq = e.seq;
    r.at = e.at;
    r.action = &name(e.action, damaged);
    r.allowed = e.allowed;
    r.has_subject = e.has_subject;
    r.subject = e.subject;
    r.chain = e.chain;
    if (e.erased) {
      r.payload_hash = e.payload_hash;
      return true;
    }
    const Ids& ids = e.ids;
    if (auto it = payloads_.find(ids); it != payloads_.end()) {
      r.payload_hash = it->second;
      return true;
    }
    bool missing = false;
    Payload p;
    p.actor = name(ids[0], missing);
    p.roles = name(ids[1], missing);
    p.purpose = name(ids[2], missing);
    p.fields = name(ids[3], missing);
    p.rules = name(ids[4], missing);
    const std::string bytes = payload_bytes(p);
    r.payload_hash = crypto::sha256(crypto::as_bytes(bytes), {});
    if (!missing) payloads_.emplace(ids, r.payload_hash);
    damaged = damaged || missing;
    return true;
  }

 private:
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

  // Reads the next row whole; false past `last` or at the end.
  bool fetch() {
    batch_.clear();
    pos_ = 0;
    damaged_at_ = kNone;
    if (!st_.step()) {
      done_ = true;
      return false;
    }
    const auto first = static_cast<std::uint64_t>(st_.column_int64(0));
    if (first > last_) {
      done_ = true;  // the row stays unread: a reader never goes back
      return false;
    }
    Unpacker u(st_.column_blob(4));
    Stored e;
    BatchBounds b{};
    while (u.next(e)) {
      b.add(e);
      batch_.push_back(e);
    }
    const bool located = !batch_.empty() && b.first == first &&
                         b.last == static_cast<std::uint64_t>(st_.column_int64(1)) &&
                         b.min_at == st_.column_int64(2) && b.max_at == st_.column_int64(3);
    if (u.damaged() || batch_.empty()) {
      // What could not be read stands for one entry, numbered as if it followed on.
      Stored bad;
      bad.seq = batch_.empty() ? first : batch_.back().seq + 1;
      damaged_at_ = batch_.size();
      batch_.push_back(bad);
    } else if (!located) {
      damaged_at_ = 0;
    }
    return true;
  }

  const std::string& name(std::int64_t id, bool& damaged) {
    static const std::string none;
    auto it = names_.find(id);
    if (it == names_.end()) {
      damaged = true;
      return none;
    }
    return it->second;
  }

  db::Statement st_;
  std::uint64_t last_;
  std::vector<Stored> batch_;
  std::size_t pos_ = 0;
  std::size_t damaged_at_ = kNone;
  bool done_ = false;
  std::unordered_map<std::int64_t, std::string> names_;
  std::unordered_map<Ids, Hash, IdsHash> payloads_;
};

// Whether `r`, taken as entry number `seq`, follows `previous`.
bool links(const Row& r, const Hash& previous, std::uint64_t seq) {
  const std::string_view subject =
      r.has_subject ? std::string_view(r.subject.data(), r.subject.size()) : std::string_view();
  return link(previous, leaf(seq, r.at, r.allowed, *r.action, subject, r.payload_hash)) == r.chain;
}

AuditProblem problem(std::uint64_t seq, TamperKind kind, std::string detail) {
  return AuditProblem{.seq = seq, .kind = kind, .detail = std::move(detail)};
}

// The first bad row is rows[0] (expected number `seq`, after chain value `previous`); the rows
// after it are what the log holds next (up to kLookahead).
AuditProblem classify(const std::vector<Row>& rows, bool damaged, const Hash& previous,
                      std::uint64_t seq) {
  const Row& bad = rows[0];
  if (bad.seq > seq)
    return problem(
        seq, TamperKind::deleted,
        "entries " + std::to_string(seq) + " to " + std::to_string(bad.seq - 1) + " are missing");
  // Where does the entry that belongs at `seq` stand?
  for (std::size_t q = 1; q < rows.size(); ++q) {
    if (!links(rows[q], previous, seq)) continue;
    // Found later. If the bad row belongs after it, two entries changed places; if it belongs
    // nowhere and the chain goes on without it, it was inserted.
    const bool belongs_later = [&] {
      if (links(bad, rows[q].chain, seq + 1)) return true;
      for (std::size_t p = 1; p < rows.size(); ++p)
        if (links(bad, rows[p].chain, rows[p].seq + 1)) return true;
      return false;
    }();
    if (q == 1 && !belongs_later)
      return problem(seq, TamperKind::inserted,
                     "entry " + std::to_string(seq) +
                         " belongs nowhere in the chain, which goes on without it");
    return problem(seq, TamperKind::reordered,
                   "the entry that belongs at " + std::to_string(seq) + " stands at position " +
                       std::to_string(seq + q));
  }
  // Every later entry renumbered down by one after a deletion: the bad row is the next entry.
  if (!damaged && rows.size() > 1 && links(rows[1], bad.chain, rows[1].seq + 1))
    return problem(seq, TamperKind::deleted,
                   "entry " + std::to_string(seq) + " is missing (later entries renumbered)");
  return problem(seq, TamperKind::modified,
                 "entry " + std::to_string(seq) + " does not match its chain value");
}

// A stretch of the log to check: the batch rows whose first entry is numbered rows_from..last
// (by their locators), the first entry expected to be number `first` and to follow `previous`.
struct Part {
  std::uint64_t rows_from = 1;
  std::uint64_t first = 1;
  std::uint64_t last = 0;
  Hash previous{};
};

// What checking a part found.
struct Segment {
  std::uint64_t entries = 0;
  std::uint64_t checkpoints = 0;
  std::optional<AuditProblem> problem;
  std::uint64_t next = 1;   // the number the next entry would have
  std::size_t next_cp = 0;  // the first checkpoint past this part
};

Segment check(db::Connection& c, const Part& part, const std::vector<const Checkpoint*>& cps) {
  Segment out;
  Reader reader(c, part.rows_from, part.last);
  Hash previous = part.previous;
  std::uint64_t seq = part.first;
  std::size_t next_cp = 0;
  while (next_cp < cps.size() && cps[next_cp]->seq < seq)
    ++next_cp;  // the earlier part's
  Row row;
  bool damaged = false;
  while (reader.next(row, damaged)) {
    if (damaged || row.seq != seq || !links(row, previous, seq)) {
      std::vector<Row> rows{row};
      const bool first_damaged = damaged;
      reader.extend();  // the look ahead may cross the end of this part
      Row more;
      while (rows.size() < kLookahead && reader.next(more, damaged))
        rows.push_back(more);
      out.problem = classify(rows, first_damaged, previous, seq);
      return out;
    }
    previous = row.chain;
    ++out.entries;
    for (; next_cp < cps.size() && cps[next_cp]->seq <= seq; ++next_cp) {
      // The same checkpoint given twice counts once.
      if (next_cp == 0 || cps[next_cp - 1]->seq != seq ||
          cps[next_cp - 1]->head != cps[next_cp]->head)
        ++out.checkpoints;
      if (cps[next_cp]->head != previous) {
        out.problem = problem(
            seq, TamperKind::rolled_back,
            "entries up to " + std::to_string(seq) + " are not the ones the checkpoint signed");
        return out;
      }
    }
    ++seq;
  }
  out.next = seq;
  out.next_cp = next_cp;
  return out;
}

}  // namespace

AuditReport Log::verify(const std::vector<Checkpoint>* checkpoints,
                        const AuditPublicKey* key) const {
  AuditReport report;
  std::vector<const Checkpoint*> cps;
  std::optional<AuditPublicKey> signer;
  if (checkpoints != nullptr && !checkpoints->empty()) {
    if (key != nullptr)
      signer = *key;
    else if (signing_)
      signer = signing_->public_key();
    else
      throw Error(ErrorCode::InvalidArgument,
                  "checkpoints need a public key to check them: none given and the store was "
                  "opened without an audit signing key");
    for (const Checkpoint& cp : *checkpoints)
      cps.push_back(&cp);
    std::stable_sort(cps.begin(), cps.end(),
                     [](const Checkpoint* a, const Checkpoint* b) { return a->seq < b->seq; });
    for (const Checkpoint* cp : cps) {
      if (cp->store_id != core_.store_id() || !cp->signed_by(*signer)) {
        report.problem =
            problem(cp->seq, TamperKind::bad_checkpoint,
                    "the checkpoint at entry " + std::to_string(cp->seq) +
                        (cp->store_id != core_.store_id() ? " is another store's"
                                                          : " is not signed by the audit key"));
        return report;
      }
    }
  }

  std::shared_lock gate(core_.gate);
  if (!core_.is_open()) throw Error(ErrorCode::InvalidOperation, "the store is closed");
  auto lease = core_.data_readers().acquire();
  report = verify_chain(*lease, &core_.data_readers(), core_.store_id(), cps, split_above_);
  return report;
}

AuditReport verify_chain(db::Connection& c, db::ReaderPool* helpers, std::string_view store_id,
                         const std::vector<const Checkpoint*>& cps, std::uint64_t split_above) {
  AuditReport report;
  db::ReadSnapshot snapshot(c);
  std::uint64_t reached = 0;  // how far the log says it reached
  bool reach_damaged = false;
  {
    auto st = c.prepare("SELECT value FROM amanah_meta WHERE key = 'audit_seq'");
    if (st.step()) {
      const auto r = parse_seq(st.column_text(0));
      reached = r.value_or(0);
      reach_damaged = !r;
    }
  }

  std::uint64_t top = 0;  // the last entry in this snapshot
  {
    auto st = c.prepare("SELECT max(last) FROM audit_log");
    if (st.step()) top = static_cast<std::uint64_t>(st.column_int64(0));
  }
  // Two halves on both cores, split where a batch row starts: the second starts from the chain
  // value of the last entry before it, which the first half checks as its last link, so together
  // they check what one pass would.
  Part second{.rows_from = 0};
  if (helpers != nullptr && top >= split_above) {
    auto st = c.prepare(
        "SELECT first, (SELECT entries FROM audit_log b WHERE b.first < a.first "
        "ORDER BY b.first DESC LIMIT 1) FROM audit_log a WHERE first <= ?1 "
        "ORDER BY first DESC LIMIT 1");
    st.bind(1, static_cast<std::int64_t>(top / 2));
    if (st.step()) {
      if (const auto e = last_entry(st.column_blob(1))) {
        second.rows_from = static_cast<std::uint64_t>(st.column_int64(0));
        second.first = e->seq + 1;
        second.last = top;  // the other connection's snapshot may hold later rows
        second.previous = e->chain;
      }
    }
  }
  Segment whole;
  if (second.rows_from <= 1) {
    whole = check(c, {.first = 1, .last = top, .previous = genesis(store_id)}, cps);
  } else {
    std::optional<Segment> later;
    std::exception_ptr failed;
    std::thread helper([&] {
      try {
        auto other = helpers->acquire();
        db::ReadSnapshot view(*other);
        later = check(*other, second, cps);
      } catch (...) {
        failed = std::current_exception();
      }
    });
    try {
      whole =
          check(c, {.first = 1, .last = second.rows_from - 1, .previous = genesis(store_id)}, cps);
    } catch (...) {
      helper.join();
      throw;
    }
    helper.join();
    if (!whole.problem) {
      if (failed) std::rethrow_exception(failed);
      whole.entries += later->entries;
      whole.checkpoints += later->checkpoints;
      whole.problem = std::move(later->problem);
      whole.next = later->next;
      whole.next_cp = later->next_cp;
    }
  }
  report.entries = whole.entries;
  report.checkpoints = whole.checkpoints;
  if (whole.problem) {
    report.problem = std::move(whole.problem);
    return report;
  }
  const std::uint64_t seq = whole.next;
  const std::size_t next_cp = whole.next_cp;
  const std::uint64_t last = seq - 1;
  if (reach_damaged) {
    // Without it, entries cut from the end cannot be ruled out.
    report.problem = problem(last + 1, TamperKind::truncated,
                             "the log's record of how far it reached is damaged: entries after " +
                                 std::to_string(last) + " may be missing");
    return report;
  }
  if (reached > last) {
    report.problem = problem(last + 1, TamperKind::truncated,
                             "entries " + std::to_string(last + 1) + " to " +
                                 std::to_string(reached) + " are missing from the end");
    return report;
  }
  if (reached < last) {
    report.entries = reached;  // the entries after it are the problem, however they chain
    report.problem =
        problem(reached + 1, TamperKind::inserted,
                "entries after " + std::to_string(reached) + " were added outside the store");
    return report;
  }
  if (next_cp < cps.size()) {
    report.problem = problem(
        cps[next_cp]->seq, TamperKind::rolled_back,
        "the log ends at entry " + std::to_string(last) + " but a checkpoint signed entry " +
            std::to_string(cps[next_cp]->seq) + ": an older copy of the store was put back");
    return report;
  }
  return report;
}

}  // namespace amanah::detail::audit
