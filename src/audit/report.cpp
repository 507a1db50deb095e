// The words of the audit log's reports: tamper and alert kinds, an alert's and a verification's
// one-line explanations. Names and counts only, never an entry's content.
#include <algorithm>
#include <string>
#include <string_view>

#include <amanah/audit.hpp>

namespace amanah {
namespace {

constexpr std::size_t kMaxQuotedActor = 64;

// The actor is the application's text: quoted only when it is short printable ASCII.
std::string actor_phrase(std::string_view actor) {
  const bool printable =
      actor.size() <= kMaxQuotedActor &&
      std::all_of(actor.begin(), actor.end(), [](char c) { return c >= ' ' && c < 0x7f; });
  if (!printable) return "(unprintable actor)";
  std::string out = "actor '";
  out.append(actor);
  out.push_back('\'');
  return out;
}

}  // namespace

std::string_view to_string(TamperKind kind) noexcept {
  switch (kind) {
    case TamperKind::modified:
      return "modified";
    case TamperKind::deleted:
      return "deleted";
    case TamperKind::inserted:
      return "inserted";
    case TamperKind::reordered:
      return "reordered";
    case TamperKind::truncated:
      return "truncated";
    case TamperKind::rolled_back:
      return "rolled_back";
    case TamperKind::bad_checkpoint:
      return "bad_checkpoint";
  }
  return "unknown";
}

std::string_view to_string(AlertKind kind) noexcept {
  switch (kind) {
    case AlertKind::subjects_read:
      return "subjects_read";
    case AlertKind::exports:
      return "exports";
    case AlertKind::denials:
      return "denials";
  }
  return "unknown";
}

std::string Alert::explain() const {
  std::string out = actor_phrase(actor);
  const std::string n = std::to_string(count);
  switch (kind) {
    case AlertKind::subjects_read:
      out += " read " + n + " distinct customers";
      break;
    case AlertKind::exports:
      out += " ran " + n + " bulk reads or exports";
      break;
    case AlertKind::denials:
      out += " was denied " + n + " requests";
      break;
    default:
      out += " raised " + n + " events of an unknown kind";
      break;
  }
  out += " within " + std::to_string(window.count()) + " s (limit " + std::to_string(limit) + ")";
  return out;
}

std::string AuditReport::explain() const {
  if (!problem)
    return "audit log verified: " + std::to_string(entries) + " entries, " +
           std::to_string(checkpoints) + " checkpoints";
  std::string out = "audit log problem at entry " + std::to_string(problem->seq) + ": ";
  out.append(to_string(problem->kind));
  if (!problem->detail.empty()) out += ": " + problem->detail;
  out += " (" + std::to_string(entries) + " entries checked)";
  return out;
}

}  // namespace amanah
