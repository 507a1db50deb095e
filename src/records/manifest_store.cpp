// The manifest kept inside a store, and what changing it may do to existing data.
#include <set>

#include <amanah/error.hpp>

#include "records/doc.hpp"
#include "store/impl.hpp"
#include "values/values.hpp"

namespace amanah::detail {
namespace {

std::string stored_manifest_json(db::Connection& c) {
  db::Statement st = c.prepare("SELECT body FROM manifest WHERE id = 1");
  return st.step() ? st.column_text(0) : std::string();
}

}  // namespace

void StoreImpl::load_stored_manifest() {
  const std::string body = stored_manifest_json(data);
  if (body.empty()) {
    manifest = Manifest{};
    return;
  }
  try {
    manifest = Manifest::from_json(body);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::InvalidManifest)
      throw Error(ErrorCode::Corrupt, "the manifest stored in data.db is damaged");
    throw;
  }
}

void StoreImpl::adopt_manifest(const Manifest& next, const OpenOptions& options) {
  require_open();
  if (next == manifest) return;
  // Fields whose stored values the new manifest would strand or misread.
  std::set<std::string, std::less<>> removed, changed, reindex;
  for (const Field& old : manifest.fields()) {
    const Field* now = next.field(old.name);
    if (now == nullptr) {
      removed.insert(old.name);
      if (old.lookup) reindex.insert(old.name);
      continue;
    }
    if (now->type != old.type || now->category != old.category ||
        now->encrypted() != old.encrypted())
      changed.insert(old.name);
    if (now->lookup != old.lookup || now->index_bits != old.index_bits) reindex.insert(old.name);
  }
  // Fields that become unique: their existing values must already be distinct.
  std::set<std::string, std::less<>> now_unique;
  for (const Field& f : next.fields()) {
    const Field* before = manifest.field(f.name);
    if (f.unique && before != nullptr && !before->unique) now_unique.insert(f.name);
  }

  db::Transaction tx(data);
  if (!removed.empty() || !changed.empty() || !reindex.empty()) {
    std::set<std::string, std::less<>> holding;                 // fields that hold data somewhere
    std::vector<std::pair<std::string, std::string>> subjects;  // id, key id
    {
      db::Statement st = data.prepare("SELECT id, key_id, doc FROM subjects");
      while (st.step()) {
        const records::Doc doc = records::decode(st.column_blob(2));
        for (const auto& [name, v] : doc)
          holding.insert(name);
        subjects.emplace_back(st.column_text(0), st.column_text(1));
      }
    }
    for (const auto& f : changed)
      if (holding.contains(f))
        throw Error(ErrorCode::InvalidManifest,
                    "field '" + f + "' holds data: its type, category or encryption cannot change");
    for (const auto& f : removed)
      if (holding.contains(f) && !options.erase_removed_fields)
        throw Error(ErrorCode::InvalidManifest,
                    "field '" + f +
                        "' holds data and is missing from the new manifest "
                        "(OpenOptions::erase_removed_fields erases it)");

    db::Statement del_index = data.prepare("DELETE FROM blind_index WHERE field = ?1");
    for (const auto& f : reindex)
      del_index.bind(1, f).run();

    db::Statement upd = data.prepare("UPDATE subjects SET doc = ?1 WHERE id = ?2");
    db::Statement add_index = data.prepare(
        "INSERT OR IGNORE INTO blind_index(field, tag, subject_id) VALUES (?1, ?2, ?3)");
    const Manifest old = manifest;
    manifest = next;  // tag computation reads the new field definitions
    try {
      for (const auto& [id, key_id] : subjects) {
        db::Statement st = data.prepare("SELECT doc FROM subjects WHERE id = ?1");
        st.bind(1, id);
        if (!st.step()) continue;
        records::Doc doc = records::decode(st.column_blob(0));
        bool dirty = false;
        for (const auto& f : removed)
          dirty = doc.erase(f) > 0 || dirty;
        if (dirty) upd.bind(1, records::encode(doc)).bind(2, id).run();
        for (const auto& name : reindex) {
          const Field* f = next.field(name);
          const auto it = doc.find(name);
          if (f == nullptr || !f->lookup || it == doc.end()) continue;
          const std::string value = plain_value(id, key_id, name, it->second);
          add_index.bind(1, name)
              .bind(2, index_tag(*f, stored_index_form(*f, value)))
              .bind(3, id)
              .run();
        }
      }
    } catch (...) {
      manifest = old;
      throw;
    }
    manifest = old;
  }
  for (const auto& name : now_unique) {
    // Equal values share a blind-index tag; confirm each shared tag against the real values.
    const Field& f = *next.field(name);
    std::vector<std::int64_t> tags;
    {
      db::Statement st = data.prepare(
          "SELECT tag FROM blind_index WHERE field = ?1 GROUP BY tag HAVING count(*) > 1");
      st.bind(1, name);
      while (st.step())
        tags.push_back(st.column_int64(0));
    }
    for (const auto tag : tags) {
      std::set<std::string> forms;
      const auto holders = tagged(f, tag);
      for (const auto& [id, form] : holders)
        forms.insert(form);
      if (forms.size() < holders.size())
        throw Error(ErrorCode::InvalidManifest,
                    "field '" + name +
                        "' cannot become unique: some customers share a value (find_duplicates "
                        "and merge them first)");
    }
  }
  data.prepare("INSERT OR REPLACE INTO manifest(id, body) VALUES (1, ?1)")
      .bind(1, next.to_json())
      .run();
  tx.commit();
  manifest = next;
  if (!removed.empty()) {
    // Erased values must not linger in the WAL or in free pages.
    data.checkpoint_truncate();
    data.incremental_vacuum();
    data.checkpoint_truncate();
  }
}

}  // namespace amanah::detail
