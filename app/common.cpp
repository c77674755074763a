// Configuration loading with error reporting, and logger set-up, for every subcommand.
#include "app/common.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "adapters/tz.hpp"

namespace hypnic::app {

std::optional<Config> load_config_reporting(const std::string& path) {
    ConfigResult r = load_config_file(path);
    if (!r.ok()) {
        for (const auto& e : r.errors) std::cerr << e.to_string() << '\n';
        return std::nullopt;
    }
    return std::move(r.config);
}

namespace {

/// `%*` in a log pattern: the sd-daemon priority prefix "<N>" (syslog levels), which journald turns
/// into the entry's PRIORITY and strips from the message.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const char* prefix = "<6>";
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug: prefix = "<7>"; break;
            case spdlog::level::info: prefix = "<6>"; break;
            case spdlog::level::warn: prefix = "<4>"; break;
            case spdlog::level::err: prefix = "<3>"; break;
            case spdlog::level::critical: prefix = "<2>"; break;
            default: break;
        }
        dest.append(prefix, prefix + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

/// True when stderr is the stream systemd connected to the journal: $JOURNAL_STREAM names its
/// "device:inode" (a child with redirected stderr inherits the variable but not the stream).
bool stderr_is_journal() {
    const char* env = std::getenv("JOURNAL_STREAM");
    if (!env || !*env) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

}  // namespace

std::unique_ptr<Zone> make_zone_reporting(const Config& config, const std::string& config_path) {
    try {
        return make_zone(config.timezone);
    } catch (const std::exception& e) {
        std::cerr << config_path << ": " << e.what() << '\n';
        return nullptr;
    }
}

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("hypnicd");
    // journald and container runtimes add their own timestamps; the level stays visible for
    // filtering, and under journald it also becomes the entry's priority.
    if (stderr_is_journal()) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%l: %v");
        logger->set_formatter(std::move(formatter));
    } else {
        logger->set_pattern("%^%l%$: %v");
    }
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
}

}  // namespace hypnic::app
