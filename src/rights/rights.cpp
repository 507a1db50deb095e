// The customer's rights: export, rectification, restriction, objection (rights/rights.hpp).
#include "rights/rights.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <shared_mutex>

#include <nlohmann/json.hpp>

#include <amanah/error.hpp>

#include "policy/context.hpp"
#include "store/time.hpp"

namespace amanah::detail::rights {
namespace {

using nlohmann::json;
using records::SubjectState;

using store::iso8601;
std::string iso8601(TimePoint t) {
  return store::iso8601(store::unix_seconds(t));
}

std::string_view state_name(SubjectState s) {
  switch (s) {
    case SubjectState::active:
      return "active";
    case SubjectState::restricted:
      return "restricted";
    case SubjectState::erased_held:
      return "erased_held";
  }
  return "unknown";
}

// A reason kept as part of a name in the audit log: a short name, never free text (which could
// carry a value).
void check_reason(std::string_view reason) {
  const bool well_formed =
      !reason.empty() && reason.size() <= 64 &&
      std::all_of(reason.begin(), reason.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      });
  if (!well_formed)
    throw Error(ErrorCode::InvalidArgument,
                "a reason must match [a-z0-9_-]+ and be at most 64 bytes");
}

json consent_json(const ConsentEvent& e) {
  json j{{"id", e.id},
         {"purpose", e.purpose},
         {"event", e.kind == ConsentEventKind::grant ? "grant" : "withdrawal"},
         {"at", iso8601(e.at)},
         {"recorded_by", e.actor},
         {"source", e.evidence.source}};
  if (e.kind == ConsentEventKind::grant) {
    j["notice_version"] = e.evidence.notice_version;
    j["method"] = std::string(to_string(e.evidence.method));
    if (!e.evidence.notice_sha256.empty()) j["notice_sha256"] = e.evidence.notice_sha256;
    if (!e.evidence.language.empty()) j["language"] = e.evidence.language;
    if (e.evidence.expires) j["expires"] = iso8601(*e.evidence.expires);
    if (e.evidence.guardian)
      j["guardian"] = {{"name", e.evidence.guardian->name},
                       {"relationship", e.evidence.guardian->relationship}};
  }
  return j;
}

json entry_json(const AuditEntry& e) {
  return {{"seq", e.seq},       {"at", iso8601(e.at)},  {"actor", e.actor},
          {"roles", e.roles},   {"purpose", e.purpose}, {"action", e.action},
          {"fields", e.fields}, {"allowed", e.allowed}, {"rules", e.rules}};
}

}  // namespace

std::string Rights::decide_store(const AccessContext& ctx, Action action, std::string_view name,
                                 std::string_view subject) {
  const Decision d = policy_.current()->decide_store(ctx, action);
  if (!d.allowed()) {
    log_.record_denial(ctx, name, subject, "", d);
    throw AccessDenied(d);
  }
  return policy::rule_list(d);
}

std::string Rights::export_subject(const AccessContext& ctx, const CustomerId& id) {
  json out;
  std::vector<std::string> shown;
  std::string rules;
  {
    std::shared_lock gate(core_.gate);
    core_.require_open();
    const auto t = policy_.current();
    const Manifest& m = t->manifest();
    std::vector<std::string> names = records_.held_fields(id);
    // `export` on every field the customer holds: a copy for the customer is all of it.
    const Decision d = names.empty() ? t->decide_all(ctx, Action::export_data)
                                     : t->decide(ctx, Action::export_data, names);
    if (!d.allowed()) {
      log_.record_denial(ctx, "export", id.str(), audit::join_names(names), d);
      throw AccessDenied(d);
    }
    // Read again: a field added meanwhile was not decided, and is left out (no mask for it).
    store::DataReader lease(core_);
    auto s = records_.existing(*lease, id);
    names.clear();
    for (const auto& [name, v] : s.doc)
      names.push_back(name);
    rules = policy::rule_list(d);
    const std::int64_t now = core_.now();
    out["format"] = "amanah/subject-export/1";
    out["store"] = m.store_name();
    out["customer"] = id.str();
    out["exported_at"] = iso8601(now);
    out["state"] = state_name(s.state);
    out["created_at"] = iso8601(s.created_at);
    out["updated_at"] = iso8601(s.updated_at);
    out["relationship_ended_at"] = s.ended_at ? json(iso8601(*s.ended_at)) : json(nullptr);
    json fields = json::array();
    for (const auto& name : names) {
      const Field* f = m.field(name);
      if (f == nullptr) continue;
      const auto mask = d.mask(name).value_or(Mask::nullify);
      std::optional<std::string> value = records_.value_of(s, name);
      if (mask != Mask::none) value = masks_.show(*f, mask, *value);
      if (!value) continue;
      json purposes = json::array();
      for (const auto& p : f->purposes) {
        const Purpose* decl = m.purpose(p);
        purposes.push_back({{"id", p},
                            {"basis", decl ? std::string(to_string(decl->basis)) : ""},
                            {"description", decl ? decl->description : ""}});
      }
      json field{{"name", name},
                 {"value", *value},
                 {"type", std::string(to_string(f->type))},
                 {"category", std::string(to_string(f->category))},
                 {"purposes", purposes},
                 {"collected_at", iso8601(s.collected(name))}};
      if (mask != Mask::none) field["mask"] = std::string(to_string(mask));
      if (const auto sch = retention::schedule_of(m, *f)) {
        json r{
            {"rule", sch->rule}, {"keep", sch->keep}, {"from", std::string(to_string(sch->from))}};
        if (sch->basis) r["legal_hold_basis"] = std::string(to_string(*sch->basis));
        const auto e = retention_.expires(*lease, m, s, *f, &*sch, now);
        r["erased_after"] = e ? json(iso8601(*e)) : json(nullptr);
        field["retention"] = std::move(r);
      } else {
        field["retention"] = nullptr;
      }
      out["fields"].push_back(std::move(field));
      shown.push_back(name);
    }
    if (!out.contains("fields")) out["fields"] = json::array();
    const auto hold = retention_.hold_of(*lease, s.row, now);
    out["legal_hold"] = hold ? json{{"basis", std::string(to_string(hold->basis))},
                                    {"placed_at", iso8601(hold->placed_at)},
                                    {"until", iso8601(hold->until)}}
                             : json(nullptr);
    json objections = json::array();
    for (const auto& [purpose, at] : consents_.objections(*lease, s.row))
      objections.push_back({{"purpose", purpose}, {"at", iso8601(at)}});
    out["objections"] = std::move(objections);
  }
  // Each of these takes the gate itself.
  json consents = json::array();
  for (const auto& e : consents_.history(id))
    consents.push_back(consent_json(e));
  out["consents"] = std::move(consents);
  json trail = json::array();
  const TimePoint until{std::chrono::seconds(core_.now() + 86400)};
  for (const auto& e : log_.trail(ctx, id.str(), TimePoint{}, until))
    trail.push_back(entry_json(e));
  out["access_trail"] = std::move(trail);
  log_.record_read(ctx, id.str(), audit::join_names(shown), rules, "export");
  return out.dump(2);
}

void Rights::rectify(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
                     std::string_view reason) {
  check_reason(reason);
  records_.rectify(ctx, id, changes, reason);
  // The old value: its page and WAL frames go now.
  std::shared_lock gate(core_.gate);
  std::lock_guard w(core_.write_mu);
  if (core_.is_open()) (void)core_.scrub();
}

void Rights::set_restricted(const AccessContext& ctx, const CustomerId& id, bool on,
                            std::string_view audit_action) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  const std::string rules = decide_store(ctx, Action::restrict, audit_action, id.str());
  std::lock_guard w(core_.write_mu);
  db::Transaction tx(core_.data_writer());
  const auto s = records_.existing(tx.connection(), id);
  if (s.state == SubjectState::erased_held)
    throw Error(ErrorCode::InvalidOperation,
                "the customer was erased: what a legal hold keeps stays restricted");
  const SubjectState next = on ? SubjectState::restricted : SubjectState::active;
  if (s.state == next) return;  // already so: nothing to record
  records_.set_state(tx, s, next);
  log_.record_write(tx, ctx, audit_action, id.str(), "", rules);
  tx.commit();
}

void Rights::restrict(const AccessContext& ctx, const CustomerId& id, std::string_view reason) {
  check_reason(reason);
  set_restricted(ctx, id, true, "restrict:" + std::string(reason));
}

void Rights::lift_restriction(const AccessContext& ctx, const CustomerId& id) {
  set_restricted(ctx, id, false, "lift_restriction");
}

void Rights::object(const AccessContext& ctx, const CustomerId& id, std::string_view purpose) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  const auto m = core_.manifest();
  const Purpose* p = m->purpose(purpose);
  if (p == nullptr)
    throw Error(ErrorCode::InvalidArgument,
                "purpose " + policy::quoted(purpose, true) + " is not declared in the manifest");
  if (p->basis != LegalBasis::legitimate_interest && p->basis != LegalBasis::public_task)
    throw Error(ErrorCode::InvalidArgument,
                "an objection applies to a purpose whose basis is legitimate_interest or "
                "public_task (a consent is withdrawn instead)");
  const std::string rules = decide_store(ctx, Action::object, "object", id.str());
  std::lock_guard w(core_.write_mu);
  db::Transaction tx(core_.data_writer());
  const auto s = records_.existing(tx.connection(), id);
  consents_.add_objection(tx, s.row, purpose, core_.now());
  log_.record_write(tx, ctx, "object", id.str(), purpose, rules);
  tx.commit();
}

}  // namespace amanah::detail::rights
