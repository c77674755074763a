// Thin RAII ownership of a SQLite connection, its prepared statements and its transactions.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace hypnic {

/// Any failure of the history store. The message names the database file, what was being done and
/// SQLite's own reason; the file is never replaced or deleted because of an error.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace sqlite {

/// One open connection. Move-only; closes on destruction.
class Db {
public:
    /// Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_*). Throws StoreError.
    Db(const std::string& path, int flags);
    ~Db();
    Db(Db&& other) noexcept;
    Db& operator=(Db&&) = delete;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    sqlite3* get() const { return db_; }
    const std::string& path() const { return path_; }
    /// Runs one or more statements without results. `what` says what for the error message.
    void exec(const std::string& sql, std::string_view what) const;
    /// Throws a StoreError "<path>: <what>: <sqlite message>" for result code `rc`.
    [[noreturn]] void fail(int rc, std::string_view what) const;
    /// The text of the first column of the first row of `sql` ("" when there is none).
    std::string query_text(const std::string& sql, std::string_view what) const;
    /// The integer of the first column of the first row of `sql` (0 when there is none).
    std::int64_t query_int(const std::string& sql, std::string_view what) const;

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

/// A prepared statement, reused: bind, step until done, reset. Column getters map NULL to NaN
/// (plain doubles) or nullopt (optionals), which is how the store writes non-finite and absent values.
class Stmt {
public:
    Stmt(const Db& db, const std::string& sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::int64_t v);
    Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
    Stmt& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
    Stmt& bind(int i, std::string_view text);
    Stmt& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
    Stmt& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
    Stmt& bind(int i, const std::optional<double>& v);
    Stmt& bind_blob(int i, std::string_view bytes);
    Stmt& bind_null(int i);

    /// One step: true when a row is available, false when the statement is done. Throws StoreError.
    bool step(std::string_view what);
    /// Steps to completion (for statements without rows).
    void run(std::string_view what);
    /// Resets and clears bindings so the statement can be reused.
    void reset();

    bool is_null(int col) const;
    double col_double(int col) const;
    std::optional<double> col_opt_double(int col) const;
    std::int64_t col_int(int col) const;
    /// Text or blob bytes, embedded NULs included.
    std::string col_text(int col) const;

private:
    void check_bind(int rc, int i);
    sqlite3_stmt* stmt_ = nullptr;
    const Db* db_;
};

/// Resets a statement when leaving a scope (also on exceptions), so it never stays mid-step.
class StmtScope {
public:
    explicit StmtScope(Stmt& s) : s_(s) {}
    ~StmtScope() { s_.reset(); }
    StmtScope(const StmtScope&) = delete;
    StmtScope& operator=(const StmtScope&) = delete;

private:
    Stmt& s_;
};

/// BEGIN IMMEDIATE (a write: takes the write lock up front, so it never fails half-way on a lock)
/// or BEGIN DEFERRED (a read: one consistent snapshot over several statements) on construction;
/// ROLLBACK on destruction unless commit() ran.
class Transaction {
public:
    enum class Kind { write, read };
    explicit Transaction(const Db& db, Kind kind = Kind::write);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    const Db& db_;
    bool done_ = false;
};

}  // namespace sqlite
}  // namespace hypnic
