// amanah CLI — the audit log: verify it, a customer's trail, and a breach's scope.
//
// `breach-scope` names the actor under suspicion with --suspect, not --actor: --actor is the
// caller's own identity on every command that touches records (the query itself is recorded
// under it), and one option meaning two people would be a trap.
#include <sstream>

#include "common.hpp"
#include "store_support.hpp"

namespace amanah::cli {
namespace {

struct AuditArgs {
  std::string dir, id, from, to, checkpoints, public_key, suspect;
};

TimePoint time_or(const std::string& text, TimePoint fallback) {
  return text.empty() ? fallback : parse_time(text);
}

nlohmann::json entry_json(const AuditEntry& e) {
  return {{"seq", e.seq},         {"at", iso_time(e.at)}, {"actor", e.actor},
          {"roles", e.roles},     {"purpose", e.purpose}, {"action", e.action},
          {"subject", e.subject}, {"fields", e.fields},   {"allowed", e.allowed},
          {"rules", e.rules}};
}

std::string entry_text(const AuditEntry& e) {
  std::ostringstream t;
  t << e.seq << "  " << iso_time(e.at) << "  " << e.actor << " as " << join(e.roles, ",") << " for "
    << e.purpose << "  " << e.action;
  if (!e.fields.empty()) t << " [" << join(e.fields, ",") << "]";
  t << (e.allowed ? "  allowed" : "  DENIED");
  if (!e.rules.empty()) t << " (" << join(e.rules, ",") << ")";
  return t.str();
}

// Prints a query's entries, one line each, or as the document `head` plus "entries".
void emit_entries(const Global& g, AuditEntries entries, nlohmann::json head) {
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const auto& e : entries) {
    list.push_back(entry_json(e));
    text += entry_text(e) + "\n";
  }
  head["entries"] = std::move(list);
  emit(g, head, text.empty() ? std::string("no entries") : text);
}
}  // namespace

void add_audit_commands(CLI::App& app, Global& g, Status& status) {
  auto a = std::make_shared<AuditArgs>();
  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log");
  audit->require_subcommand(1);

  auto* verify = audit->add_subcommand(
      "verify", "check every entry and the hash chain (and signed checkpoints, if given)");
  verify->add_option("DIR", a->dir, "the store")->required();
  verify->add_option("--checkpoints", a->checkpoints,
                     "a checkpoint file (FileCheckpointSink) to check the log against: finds "
                     "truncation and rollback");
  verify
      ->add_option("--public-key", a->public_key,
                   "the audit public key (64 hex digits) the checkpoints are signed with")
      ->needs(verify->get_option("--checkpoints"));
  add_key_options(*verify, g);
  verify->callback([&g, &status, a] {
    std::vector<Checkpoint> cps;
    std::optional<AuditPublicKey> key;
    if (!a->public_key.empty()) key = AuditPublicKey::from_hex(a->public_key);
    if (!a->checkpoints.empty()) {
      if (!std::filesystem::exists(a->checkpoints))
        throw Error(ErrorCode::NotFound, a->checkpoints + " does not exist");
      cps = FileCheckpointSink::read(a->checkpoints);
    }
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const AuditReport r = a->checkpoints.empty()
                              ? store.audit().verify()
                              : (key ? store.audit().verify(cps, *key) : store.audit().verify(cps));
    nlohmann::json doc = {{"ok", r.ok()},
                          {"entries", r.entries},
                          {"checkpoints", r.checkpoints},
                          {"explain", r.explain()}};
    if (r.problem)
      doc["problem"] = {{"seq", r.problem->seq},
                        {"kind", to_string(r.problem->kind)},
                        {"detail", r.problem->detail}};
    emit(g, doc, r.explain());
    status = r.ok() ? 0 : exit_status(ErrorCode::AuditTampered);
  });

  auto* trail = audit->add_subcommand(
      "trail", "who read or changed a customer's data, when and why (needs read_audit)");
  trail->add_option("DIR", a->dir, "the store")->required();
  trail->add_option("ID", a->id, "the customer id")->required();
  trail->add_option("--from", a->from, "from this time (YYYY-MM-DD[THH:MM:SSZ])");
  trail->add_option("--to", a->to, "up to this time");
  add_context_options(*trail, g);
  add_key_options(*trail, g);
  trail->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    const TimePoint from = time_or(a->from, TimePoint::min());
    const TimePoint to = time_or(a->to, TimePoint::max());
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    emit_entries(g, store.audit().trail(ctx, id, from, to),
                 {{"id", id.str()}, {"pseudonym", store.audit().pseudonym(id)}});
    status = 0;
  });

  auto* acc = audit->add_subcommand(
      "accesses",
      "everything one actor did in a time window (needs read_audit); the actor in "
      "question is --suspect, --actor is who is asking");
  acc->add_option("DIR", a->dir, "the store")->required();
  acc->add_option("--suspect", a->suspect, "the actor whose entries to list")->required();
  acc->add_option("--from", a->from, "from this time (YYYY-MM-DD[THH:MM:SSZ])");
  acc->add_option("--to", a->to, "up to this time");
  add_context_options(*acc, g);
  add_key_options(*acc, g);
  acc->callback([&g, &status, a] {
    const TimePoint from = time_or(a->from, TimePoint::min());
    const TimePoint to = time_or(a->to, TimePoint::max());
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    emit_entries(g, store.audit().accesses(ctx, a->suspect, from, to), {{"suspect", a->suspect}});
    status = 0;
  });

  auto* scope = audit->add_subcommand(
      "breach-scope",
      "what one actor touched in a time window: customers, fields, categories (needs "
      "read_audit). The actor under suspicion is --suspect; --actor is who is asking");
  scope->add_option("DIR", a->dir, "the store")->required();
  scope->add_option("--suspect", a->suspect, "the actor whose accesses are in question")
      ->required();
  scope->add_option("--from", a->from, "start of the window (YYYY-MM-DD[THH:MM:SSZ])")->required();
  scope->add_option("--to", a->to, "end of the window")->required();
  add_context_options(*scope, g);
  add_key_options(*scope, g);
  scope->callback([&g, &status, a] {
    const TimePoint from = parse_time(a->from);
    const TimePoint to = parse_time(a->to);
    if (to < from) throw Error(ErrorCode::InvalidArgument, "--to is before --from");
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const BreachScope s = store.audit().breach_scope(ctx, a->suspect, from, to);
    nlohmann::json subjects = nlohmann::json::array();
    nlohmann::json fields = nlohmann::json::object();
    nlohmann::json categories = nlohmann::json::object();
    std::ostringstream t;
    t << "actor " << a->suspect << " from " << iso_time(from) << " to " << iso_time(to) << "\n"
      << "  entries: " << s.entries << " (" << s.denied << " denied)\n"
      << "  customers touched: " << s.subjects.size() << "\n";
    for (const auto& sub : s.subjects) {
      subjects.push_back({{"pseudonym", sub.pseudonym},
                          {"id", sub.id ? nlohmann::json(sub.id->str()) : nlohmann::json()},
                          {"accesses", sub.accesses}});
      t << "    " << (sub.id ? sub.id->str() : "(erased) " + sub.pseudonym) << "  " << sub.accesses
        << " access(es)\n";
    }
    t << "  fields:";
    for (const auto& [f, n] : s.fields) {
      fields[f] = n;
      t << " " << f << "=" << n;
    }
    t << "\n  categories:";
    for (const auto& [c, n] : s.categories) {
      categories[c] = n;
      t << " " << c << "=" << n;
    }
    t << "\n";
    emit(g,
         {{"suspect", a->suspect},
          {"from", iso_time(from)},
          {"to", iso_time(to)},
          {"entries", s.entries},
          {"denied", s.denied},
          {"subjects", subjects},
          {"fields", fields},
          {"categories", categories}},
         t.str());
    status = 0;
  });
}

}  // namespace amanah::cli
