// The store directory's files and schemas.
#pragma once

#include <array>
#include <functional>
#include <string_view>

#include "db/db.hpp"
#include "fs/fs.hpp"

namespace amanah::detail::store {

inline constexpr std::string_view kKeyslotsFile = "keyslots";
inline constexpr std::string_view kDataDbFile = "data.db";
inline constexpr std::string_view kKeysDbFile = "keys.db";

// Schema steps by version; later issues append steps, never edit old ones.
inline constexpr std::array<db::Migration, 8> kDataDbSchema{{
    {1, "CREATE TABLE amanah_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"},
    {2, R"sql(
CREATE TABLE manifest(id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL) STRICT;
-- One row per data subject; doc holds the field values (records/doc.cpp: text for plain
-- values, sealed boxes for values sealed under the subject's key).
CREATE TABLE subjects(
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL UNIQUE,
  doc BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL) STRICT;
-- Keyed, truncated blind indexes of lookup fields.
CREATE TABLE blind_index(
  field TEXT NOT NULL,
  tag INTEGER NOT NULL,
  subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  PRIMARY KEY (field, tag, subject_id)) STRICT, WITHOUT ROWID;
CREATE INDEX blind_index_subject ON blind_index(subject_id);
-- Who accessed what, for which purpose (field names only, never values).
CREATE TABLE access_log(
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  roles TEXT NOT NULL,
  purpose TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  fields TEXT NOT NULL) STRICT;
)sql"},
    {3, R"sql(
-- Leaner rows and fewer B-trees for every insert: subjects get a stable integer row (the blind
-- index refers to it, and scans read in its order); the subjects.key_id index (only the orphan-key
-- sweep after a crash needed it; it now reads subjects once) and blind_index(subject_id) with its
-- cascade (updates and merges delete index rows by their full key) are gone.
DROP INDEX blind_index_subject;
CREATE TABLE subjects_v3(
  row INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  key_id TEXT NOT NULL,
  doc BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL) STRICT;
INSERT INTO subjects_v3(id, key_id, doc, created_at, updated_at)
  SELECT id, key_id, doc, created_at, updated_at FROM subjects ORDER BY rowid;
CREATE TABLE blind_index_v3(
  field TEXT NOT NULL,
  tag INTEGER NOT NULL,
  subject_row INTEGER NOT NULL,
  PRIMARY KEY (field, tag, subject_row)) STRICT, WITHOUT ROWID;
INSERT INTO blind_index_v3
  SELECT b.field, b.tag, s.row FROM blind_index b JOIN subjects_v3 s ON s.id = b.subject_id;
DROP TABLE blind_index;
DROP TABLE subjects;
ALTER TABLE subjects_v3 RENAME TO subjects;
ALTER TABLE blind_index_v3 RENAME TO blind_index;
)sql"},
    {4, R"sql(
-- Access records carry the policy's decision and its deciding rule ids.
ALTER TABLE access_log ADD COLUMN decision TEXT NOT NULL DEFAULT 'allow';
ALTER TABLE access_log ADD COLUMN rules TEXT NOT NULL DEFAULT '';
-- The consent registry (consent/): append-only events, one purpose each.
CREATE TABLE consents(
  id INTEGER PRIMARY KEY,                        -- the event id
  subject_row INTEGER NOT NULL,                  -- subjects.row
  purpose TEXT NOT NULL,
  kind INTEGER NOT NULL CHECK (kind IN (1, 2)),  -- 1 grant, 2 withdrawal
  at INTEGER NOT NULL,                           -- unix seconds, the store's clock
  expires INTEGER,                               -- unix seconds; NULL: no expiry
  evidence BLOB NOT NULL) STRICT;                -- sealed under the subject's key
CREATE INDEX consents_by_purpose ON consents(purpose, subject_row, id);
CREATE INDEX consents_by_subject ON consents(subject_row, id);
)sql"},
    {5, R"sql(
-- The tamper-evident audit log (audit/entry.hpp has the hash chain). Names (actions, actors,
-- role and field lists, rule ids) are kept once in audit_names and referred to by id, so an
-- entry is a few integers, a 16-byte pseudonym and its 32-byte chain value.
CREATE TABLE audit_names(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY,      -- 1, 2, 3, ... without gaps
  at INTEGER NOT NULL,          -- unix seconds, the store's clock
  action INTEGER NOT NULL,      -- audit_names.id
  allowed INTEGER NOT NULL,     -- 1 allowed, 0 denied
  subject BLOB,                 -- the customer's 16-byte pseudonym; NULL: about no one customer
  actor INTEGER, roles INTEGER, purpose INTEGER, fields INTEGER, rules INTEGER,  -- the payload
  payload_hash BLOB,            -- SHA-256 of an erased payload (then the five above are NULL)
  chain BLOB NOT NULL) STRICT;  -- chain_seq
CREATE INDEX audit_by_time ON audit_log(at);
-- The audit service moves these rows into the chain when the store opens, then drops the table.
ALTER TABLE access_log RENAME TO access_log_v4;
)sql"},
    {6, R"sql(
-- The audit log stored in batches: one row per batch of entries written together, so that a
-- read's entry costs a share of a row, not a row and an index entry (audit/batch.hpp has the
-- format; no index on time: a query reads each row's locators, one row per batch). The audit
-- service moves the rows of schema 5 into batches when the store opens, then drops the table.
DROP INDEX audit_by_time;
ALTER TABLE audit_log RENAME TO audit_log_v5;
CREATE TABLE audit_log(
  first INTEGER PRIMARY KEY,    -- seq of the batch's first entry
  last INTEGER NOT NULL,        -- seq of its last entry
  min_at INTEGER NOT NULL,      -- the earliest and latest time of its entries (unix seconds)
  max_at INTEGER NOT NULL,
  entries BLOB NOT NULL) STRICT;
)sql"},
    {7, R"sql(
-- Retention, erasure and the customer's rights (records/ owns the subjects columns; retention/
-- the holds and tombstones; consent/ the objections).
-- state: 0 active, 1 restricted (restrict()), 2 erased but for the fields a legal hold keeps.
ALTER TABLE subjects ADD COLUMN state INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subjects ADD COLUMN ended_at INTEGER;            -- the relationship's end (unix s)
-- "field=unix;..." (records/doc.hpp): when values changed after created_at were collected, and
-- (state 2) until when a legal hold keeps each field that remains.
ALTER TABLE subjects ADD COLUMN set_at TEXT NOT NULL DEFAULT '';
ALTER TABLE subjects ADD COLUMN held_until TEXT NOT NULL DEFAULT '';
-- A legal hold on one customer: nothing of theirs is erased before `until`.
CREATE TABLE holds(
  subject_row INTEGER PRIMARY KEY,  -- subjects.row
  basis TEXT NOT NULL,              -- a legal basis name, e.g. legal_obligation
  placed_at INTEGER NOT NULL,
  until INTEGER NOT NULL) STRICT;
-- One per erasure: the customer's pseudonym and when, never personal data. Restores replay them.
CREATE TABLE tombstones(
  seq INTEGER PRIMARY KEY,
  subject BLOB NOT NULL,     -- the audit pseudonym (16 bytes)
  at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  held_until INTEGER) STRICT;  -- fields a legal hold keeps remain until then; NULL: none
CREATE INDEX tombstones_by_subject ON tombstones(subject);
-- A customer's objection to processing for a purpose (legitimate interest, public task).
CREATE TABLE objections(
  subject_row INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (subject_row, purpose)) STRICT, WITHOUT ROWID;
)sql"},
    {8, R"sql(
-- A legacy 15-digit NPWP and its 16-digit form ("0" + the 15 digits) are indexed alike from this
-- version on (values/ids.cpp). Blind-index tags of npwp fields written before were computed on
-- the 15 digits: this mark lists the field types whose tags records/ recomputes when the store
-- opens (Records::finish_reindex), in one transaction that also deletes the mark. A store with an
-- empty index has nothing to recompute.
INSERT INTO amanah_meta(key, value)
  SELECT 'reindex_types', 'npwp' WHERE EXISTS (SELECT 1 FROM blind_index);
)sql"},
}};
inline constexpr std::array<db::Migration, 3> kKeysDbSchema{{
    {1, "CREATE TABLE amanah_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"},
    {2, R"sql(
-- Per-subject keys, each sealed under the KEK epoch it names.
CREATE TABLE subject_keys(
  key_id TEXT PRIMARY KEY,
  kek_epoch INTEGER NOT NULL,
  wrapped BLOB NOT NULL) STRICT;
)sql"},
    {3, R"sql(
-- Keys drawn ahead of use (keys/subject_keys.hpp): the ones no subject claims after a crash are
-- swept at open.
CREATE TABLE key_pool(seq INTEGER PRIMARY KEY, key_id TEXT NOT NULL) STRICT;
-- Stores from before this table: every key is checked once.
INSERT INTO key_pool(key_id) SELECT key_id FROM subject_keys;
)sql"},
}};

// Test-only fault injection: called at named points of multi-step operations so tests can
// simulate a crash between steps. Empty in production. Defined in fs/, so that the steps of an
// atomic file replacement have points too.
using fs::fault_point;
using fs::g_fault_point;

}  // namespace amanah::detail::store
