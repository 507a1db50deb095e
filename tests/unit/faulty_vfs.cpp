// The fault-injecting VFS (faulty_vfs.hpp): a shim whose files wrap the default VFS's files.
#include "faulty_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <stdexcept>

namespace amanah::test {
namespace {

std::atomic<std::uint64_t> g_counts[kIoKinds];
std::atomic<int> g_armed_kind{-1};
std::atomic<std::uint64_t> g_nth{0};
std::atomic<int> g_error{SQLITE_OK};
std::atomic<bool> g_persistent{false};
std::atomic<std::uint64_t> g_fired{0};

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs{};
bool g_installed = false;

// Counts one operation; the error to return if the armed fault hits it, else SQLITE_OK.
int tick(IoKind kind) {
  const auto k = static_cast<int>(kind);
  const std::uint64_t n = ++g_counts[k];
  if (g_armed_kind.load() != k) return SQLITE_OK;
  const std::uint64_t nth = g_nth.load();
  if (n == nth || (g_persistent.load() && n > nth)) {
    ++g_fired;
    return g_error.load();
  }
  return SQLITE_OK;
}

// Our file: the header SQLite sees, then the real file in the same allocation.
struct File {
  sqlite3_file base;
  sqlite3_file* real;
};
sqlite3_file* real(sqlite3_file* f) {
  return reinterpret_cast<File*>(f)->real;
}

int x_close(sqlite3_file* f) {
  sqlite3_file* r = real(f);
  const int rc = r->pMethods != nullptr ? r->pMethods->xClose(r) : SQLITE_OK;
  f->pMethods = nullptr;
  return rc;
}
int x_read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  if (const int rc = tick(IoKind::read); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xRead(real(f), buf, amt, off);
}
int x_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  if (const int rc = tick(IoKind::write); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xWrite(real(f), buf, amt, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int rc = tick(IoKind::truncate); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  if (const int rc = tick(IoKind::sync); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) {
  if (const int rc = tick(IoKind::lock); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xLock(real(f), level);
}
int x_unlock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xUnlock(real(f), level);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
  return real(f)->pMethods->xSectorSize(real(f));
}
int x_device_chars(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  // Taking a WAL lock counts as a lock; releasing one never fails.
  if ((flags & SQLITE_SHM_LOCK) != 0)
    if (const int rc = tick(IoKind::lock); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
  return real(f)->pMethods->xShmUnmap(real(f), del);
}

// Version 1 for files without shared memory, 2 for those with it. Never 3: no memory-mapped
// reads (xFetch), which would bypass the counted xRead.
const sqlite3_io_methods kMethods1 = {
    1,       x_close,  x_read,           x_write,        x_truncate,    x_sync,         x_file_size,
    x_lock,  x_unlock, x_check_reserved, x_file_control, x_sector_size, x_device_chars, nullptr,
    nullptr, nullptr,  nullptr,          nullptr,        nullptr};
const sqlite3_io_methods kMethods2 = {2,
                                      x_close,
                                      x_read,
                                      x_write,
                                      x_truncate,
                                      x_sync,
                                      x_file_size,
                                      x_lock,
                                      x_unlock,
                                      x_check_reserved,
                                      x_file_control,
                                      x_sector_size,
                                      x_device_chars,
                                      x_shm_map,
                                      x_shm_lock,
                                      x_shm_barrier,
                                      x_shm_unmap,
                                      nullptr,
                                      nullptr};

int v_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<File*>(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->real->pMethods = nullptr;
  const int rc = g_real->xOpen(g_real, name, file->real, flags, out_flags);
  if (file->real->pMethods != nullptr) {
    const bool shm = file->real->pMethods->iVersion >= 2 && file->real->pMethods->xShmMap;
    file->base.pMethods = shm ? &kMethods2 : &kMethods1;
  }
  return rc;
}
int v_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_real->xDelete(g_real, name, sync_dir);
}
int v_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}
int v_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* v_dl_open(sqlite3_vfs*, const char* name) {
  return g_real->xDlOpen(g_real, name);
}
void v_dl_error(sqlite3_vfs*, int n, char* out) {
  g_real->xDlError(g_real, n, out);
}
void (*v_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_real->xDlSym(g_real, h, sym);
}
void v_dl_close(sqlite3_vfs*, void* h) {
  g_real->xDlClose(g_real, h);
}
int v_randomness(sqlite3_vfs*, int n, char* out) {
  return g_real->xRandomness(g_real, n, out);
}
int v_sleep(sqlite3_vfs*, int us) {
  return g_real->xSleep(g_real, us);
}
int v_current_time(sqlite3_vfs*, double* out) {
  return g_real->xCurrentTime(g_real, out);
}
int v_last_error(sqlite3_vfs*, int n, char* out) {
  return g_real->xGetLastError(g_real, n, out);
}
int v_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_real->xCurrentTimeInt64(g_real, out);
}

}  // namespace

FaultyVfs::FaultyVfs() {
  if (g_installed) throw std::logic_error("FaultyVfs: one at a time");
  sqlite3_initialize();
  g_real = sqlite3_vfs_find(nullptr);
  if (g_real == nullptr || g_real->iVersion < 2) throw std::logic_error("FaultyVfs: no default");
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;  // no system-call overrides
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_real->szOsFile;
  g_vfs.mxPathname = g_real->mxPathname;
  g_vfs.zName = "amanah-faulty";
  g_vfs.xOpen = v_open;
  g_vfs.xDelete = v_delete;
  g_vfs.xAccess = v_access;
  g_vfs.xFullPathname = v_full_pathname;
  g_vfs.xDlOpen = v_dl_open;
  g_vfs.xDlError = v_dl_error;
  g_vfs.xDlSym = v_dl_sym;
  g_vfs.xDlClose = v_dl_close;
  g_vfs.xRandomness = v_randomness;
  g_vfs.xSleep = v_sleep;
  g_vfs.xCurrentTime = v_current_time;
  g_vfs.xGetLastError = v_last_error;
  g_vfs.xCurrentTimeInt64 = v_current_time64;
  disarm();
  reset();
  if (sqlite3_vfs_register(&g_vfs, 1) != SQLITE_OK) throw std::logic_error("FaultyVfs: register");
  g_installed = true;
}

FaultyVfs::~FaultyVfs() {
  disarm();
  sqlite3_vfs_unregister(&g_vfs);
  sqlite3_vfs_register(g_real, 1);
  g_installed = false;
}

void FaultyVfs::reset() {
  for (auto& c : g_counts)
    c = 0;
}

std::uint64_t FaultyVfs::count(IoKind kind) const {
  return g_counts[static_cast<int>(kind)].load();
}

void FaultyVfs::arm(const IoFault& fault) {
  g_armed_kind = -1;
  g_nth = fault.nth;
  g_error = fault.error;
  g_persistent = fault.persistent;
  g_fired = 0;
  reset();
  g_armed_kind = static_cast<int>(fault.kind);
}

void FaultyVfs::disarm() {
  g_armed_kind = -1;
}

std::uint64_t FaultyVfs::fired() const {
  return g_fired.load();
}

}  // namespace amanah::test
