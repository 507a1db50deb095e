#include "index/blind_index.hpp"

#include <mutex>

namespace amanah::detail::index {

std::int64_t BlindIndex::tag(const Field& f, std::string_view index_form) {
  {
    std::shared_lock g(mu_);
    if (const auto it = by_field_.find(f.name); it != by_field_.end())
      return it->second.tag(index_form, f.index_bits);
  }
  std::unique_lock g(mu_);
  auto it = by_field_.find(f.name);
  if (it == by_field_.end()) it = by_field_.emplace(f.name, keys_.index(f.name)).first;
  return it->second.tag(index_form, f.index_bits);
}

void BlindIndex::add(db::Connection& w, std::int64_t subject_row, const Field& f,
                     std::string_view index_form) {
  w.cached("INSERT OR IGNORE INTO blind_index(field, tag, subject_row) VALUES (?1, ?2, ?3)")
      ->bind(1, f.name)
      .bind(2, tag(f, index_form))
      .bind(3, subject_row)
      .run();
}

void BlindIndex::remove(db::Connection& w, std::int64_t subject_row, const Field& f,
                        std::string_view index_form) {
  // By the full key: there is no index on the subject (every insert would pay for it).
  w.cached("DELETE FROM blind_index WHERE field = ?1 AND tag = ?2 AND subject_row = ?3")
      ->bind(1, f.name)
      .bind(2, tag(f, index_form))
      .bind(3, subject_row)
      .run();
}

void BlindIndex::drop_field(db::Connection& w, std::string_view field) {
  w.cached("DELETE FROM blind_index WHERE field = ?1")->bind(1, field).run();
}

std::vector<std::int64_t> BlindIndex::shared_tags(db::Connection& c, std::string_view field) {
  std::vector<std::int64_t> tags;
  auto st =
      c.cached("SELECT tag FROM blind_index WHERE field = ?1 GROUP BY tag HAVING count(*) > 1");
  st->bind(1, field);
  while (st->step())
    tags.push_back(st->column_int64(0));
  return tags;
}

}  // namespace amanah::detail::index
