// RAII wrappers over the SQLite C API: connection, prepared statement, transaction.
#include "adapters/store/sqlite_db.hpp"

#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <utility>

namespace hypnic::sqlite {

Db::Db(const std::string& path, int flags) : path_(path) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw StoreError(path + ": cannot open the history database: " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
    // close_v2 defers the close until every statement is finalized, so member order cannot leak.
    if (db_) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

void Db::fail(int rc, std::string_view what) const {
    std::string reason = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
        reason += " (the file is damaged or is not a hypnic database; it was left untouched: move it aside or "
                  "restore a backup to start again)";
    else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        reason += " (another process held the database longer than the busy timeout)";
    else if (primary == SQLITE_FULL)
        reason += " (the disk is full)";
    else if (primary == SQLITE_READONLY || primary == SQLITE_PERM || primary == SQLITE_CANTOPEN)
        reason += " (check the permissions of the file and its directory)";
    throw StoreError(path_ + ": " + std::string(what) + ": " + reason);
}

void Db::exec(const std::string& sql, std::string_view what) const {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);  // the same text is available from sqlite3_errmsg in fail()
    if (rc != SQLITE_OK) fail(rc, what);
}

std::string Db::query_text(const std::string& sql, std::string_view what) const {
    Stmt s(*this, sql);
    return s.step(what) ? s.col_text(0) : std::string();
}

std::int64_t Db::query_int(const std::string& sql, std::string_view what) const {
    Stmt s(*this, sql);
    return s.step(what) ? s.col_int(0) : 0;
}

Stmt::Stmt(const Db& db, const std::string& sql) : db_(&db) {
    const int rc = sqlite3_prepare_v3(db.get(), sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt_, nullptr);
    if (rc != SQLITE_OK) db.fail(rc, "preparing '" + sql.substr(0, 60) + "'");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::check_bind(int rc, int i) {
    if (rc != SQLITE_OK) db_->fail(rc, "binding parameter " + std::to_string(i));
}

Stmt& Stmt::bind(int i, double v) {
    // SQLite would store NaN as NULL anyway; saying so keeps the mapping explicit.
    check_bind(std::isnan(v) ? sqlite3_bind_null(stmt_, i) : sqlite3_bind_double(stmt_, i, v), i);
    return *this;
}

Stmt& Stmt::bind(int i, std::int64_t v) {
    check_bind(sqlite3_bind_int64(stmt_, i, v), i);
    return *this;
}

Stmt& Stmt::bind(int i, std::string_view text) {
    check_bind(sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), i);
    return *this;
}

Stmt& Stmt::bind(int i, const std::optional<double>& v) {
    if (!v) return bind_null(i);
    return bind(i, *v);
}

Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
    check_bind(sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT), i);
    return *this;
}

Stmt& Stmt::bind_null(int i) {
    check_bind(sqlite3_bind_null(stmt_, i), i);
    return *this;
}

bool Stmt::step(std::string_view what) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // The caller's StmtScope (or the destructor) resets the statement after the message was read.
    db_->fail(rc, what);
}

void Stmt::run(std::string_view what) {
    while (step(what)) {
    }
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

double Stmt::col_double(int col) const {
    if (is_null(col)) return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(stmt_, col);
}

std::optional<double> Stmt::col_opt_double(int col) const {
    if (is_null(col)) return std::nullopt;
    return sqlite3_column_double(stmt_, col);
}

std::int64_t Stmt::col_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Stmt::col_text(int col) const {
    // Blob first, then bytes: the documented order that avoids a conversion of the value.
    const void* p = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    if (!p || n <= 0) return {};
    return std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

Transaction::Transaction(const Db& db, Kind kind) : db_(db) {
    if (kind == Kind::write)
        db_.exec("BEGIN IMMEDIATE", "starting a write transaction");
    else
        db_.exec("BEGIN DEFERRED", "starting a read transaction");
}

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT", "committing");
    done_ = true;
}

}  // namespace hypnic::sqlite
