// The store directory's files and schemas.
#pragma once

#include <array>
#include <functional>
#include <string_view>

#include "db/db.hpp"

namespace amanah::detail::store {

inline constexpr std::string_view kKeyslotsFile = "keyslots";
inline constexpr std::string_view kDataDbFile = "data.db";
inline constexpr std::string_view kKeysDbFile = "keys.db";

// Schema steps by version; later issues append steps, never edit old ones.
inline constexpr std::array<db::Migration, 1> kDataDbSchema{{
    {1, "CREATE TABLE amanah_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"},
}};
inline constexpr std::array<db::Migration, 1> kKeysDbSchema{{
    {1, "CREATE TABLE amanah_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"},
}};

// Test-only fault injection: called at named points of multi-step operations so tests can
// simulate a crash between steps. Empty in production.
extern std::function<void(std::string_view point)> g_fault_point;
inline void fault_point(std::string_view point) {
  if (g_fault_point) g_fault_point(point);
}

}  // namespace amanah::detail::store
