// MQTT passwords from the file itself, a password file or the environment; secrets never reach any message.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "config/config.hpp"

using namespace hypnic;

namespace {

const std::string SECRETS = HYPNIC_TEST_DATA "/config/secrets/";

std::string config_with(const std::string& mqtt_lines, const std::string& extra = "") {
    return "version: 1\nmqtt:\n  username: hypnic\n" + mqtt_lines +
           "sleepers:\n  - id: alex\n    sensors:\n      - {kind: accel, topic: bed/alex/accel}\n" + extra;
}

std::string all_text(const ConfigResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

}  // namespace

TEST_CASE("an inline password is taken as written") {
    const ConfigResult r = load_config_text(config_with("  password: 'p@ss: w0rd'\n"), "s.yaml");
    INFO(all_text(r));
    REQUIRE(r.ok());
    CHECK(r.config.mqtt.password == "p@ss: w0rd");
}

TEST_CASE("a password file gives its content less one trailing line break") {
    SECTION("LF") {
        const ConfigResult r = load_config_text(config_with("  password_file: " + SECRETS + "mqtt_password.txt\n"), "s.yaml");
        INFO(all_text(r));
        REQUIRE(r.ok());
        CHECK(r.config.mqtt.password == "from-a-file");
    }
    SECTION("CRLF") {
        const ConfigResult r = load_config_text(config_with("  password_file: " + SECRETS + "crlf.txt\n"), "s.yaml");
        REQUIRE(r.ok());
        CHECK(r.config.mqtt.password == "crlf-secret");
    }
}

TEST_CASE("password file problems name the file, never its content") {
    SECTION("missing file: path and OS reason") {
        const ConfigResult r = load_config_text(config_with("  password_file: /nonexistent/pw\n"), "s.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].to_string() ==
              "s.yaml:4:18: mqtt.password_file: cannot read '/nonexistent/pw': No such file or directory");
    }
    SECTION("a directory") {
        const ConfigResult r = load_config_text(config_with("  password_file: " + SECRETS + "\n"), "s.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("mqtt.password_file") == 0);
        CHECK(r.errors[0].message.find(SECRETS) != std::string::npos);
    }
    SECTION("empty") {
        const ConfigResult r = load_config_text(config_with("  password_file: " + SECRETS + "empty.txt\n"), "s.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message == "mqtt.password_file '" + SECRETS + "empty.txt' is empty");
    }
    SECTION("two lines") {
        const ConfigResult r = load_config_text(config_with("  password_file: " + SECRETS + "two_lines.txt\n"), "s.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("more than one line") != std::string::npos);
        CHECK(all_text(r).find("lines\n") == std::string::npos);
        CHECK(all_text(r).find("two\n") == std::string::npos);
    }
}

TEST_CASE("a password from the environment; errors name the variable, never a value") {
    ::setenv("HYPNIC_TEST_PW", "env-secret-42", 1);
    const ConfigResult ok = load_config_text(config_with("  password_env: HYPNIC_TEST_PW\n"), "s.yaml");
    ::unsetenv("HYPNIC_TEST_PW");
    INFO(all_text(ok));
    REQUIRE(ok.ok());
    CHECK(ok.config.mqtt.password == "env-secret-42");

    ::unsetenv("HYPNIC_TEST_PW_UNSET");
    const ConfigResult unset = load_config_text(config_with("  password_env: HYPNIC_TEST_PW_UNSET\n"), "s.yaml");
    REQUIRE(unset.errors.size() == 1);
    CHECK(unset.errors[0].message == "mqtt.password_env: the environment variable 'HYPNIC_TEST_PW_UNSET' is not set");

    ::setenv("HYPNIC_TEST_PW_EMPTY", "", 1);
    const ConfigResult empty = load_config_text(config_with("  password_env: HYPNIC_TEST_PW_EMPTY\n"), "s.yaml");
    ::unsetenv("HYPNIC_TEST_PW_EMPTY");
    REQUIRE(empty.errors.size() == 1);
    CHECK(empty.errors[0].message == "mqtt.password_env: the environment variable 'HYPNIC_TEST_PW_EMPTY' is empty");

    const ConfigResult bad_name = load_config_text(config_with("  password_env: 'MY-VAR'\n"), "s.yaml");
    REQUIRE(bad_name.errors.size() == 1);
    CHECK(bad_name.errors[0].message.find("mqtt.password_env 'MY-VAR'") == 0);
}

TEST_CASE("at most one password source, and a password needs a user name") {
    const ConfigResult two = load_config_text(
        config_with("  password: top-secret-1\n  password_file: " + SECRETS + "mqtt_password.txt\n"), "s.yaml");
    REQUIRE(two.errors.size() == 1);
    CHECK(two.errors[0].line == 5);  // the second source named
    CHECK(two.errors[0].message.find("at most one of") != std::string::npos);

    const ConfigResult no_user = load_config_text(
        "version: 1\nmqtt: {password: top-secret-2}\nsleepers: [{id: a, sensors: [{kind: accel, topic: t}]}]\n", "s.yaml");
    REQUIRE(no_user.errors.size() == 1);
    CHECK(no_user.errors[0].message.find("needs mqtt.username") != std::string::npos);
}

TEST_CASE("secret values appear in no error text, whatever else is wrong") {
    const std::string inline_secret = "Inline-Secret-9f3b";
    const std::string env_secret = "Env-Secret-77aa";
    ::setenv("HYPNIC_TEST_SECRET", env_secret.c_str(), 1);
    const std::vector<std::string> texts = {
        // Wrong type and errors all around the password.
        config_with("  password: [" + inline_secret + "]\n  qos: 9\n"),
        config_with("  password: {" + inline_secret + ": 1}\n"),
        // Credentials inside the URL.
        config_with("  url: tcp://alex:" + inline_secret + "@broker:1883\n"),
        config_with("  url: 'alex:" + inline_secret + "@broker:1883'\n"),
        config_with("  url: 'ftp://alex:" + inline_secret + "@broker'\n"),
        config_with("  url: 'tcp://alex:" + inline_secret + "@broker:99999'\n"),
        // Two sources given: neither value is echoed.
        config_with("  password: " + inline_secret + "\n  password_env: HYPNIC_TEST_SECRET\n"),
        // A password and no user name.
        "version: 1\nmqtt: {password: " + inline_secret + "}\nsleepers: []\n",
        // The environment source alongside unrelated errors.
        config_with("  password_env: HYPNIC_TEST_SECRET\n  keepalive_s: -1\n", "bogus: 1\n"),
        // A duplicated password key.
        config_with("  password: " + inline_secret + "\n  password: " + inline_secret + "\n"),
    };
    for (const auto& text : texts) {
        const ConfigResult r = load_config_text(text, "s.yaml");
        INFO(text);
        CHECK_FALSE(r.ok());
        const std::string all = all_text(r);
        CHECK(all.find(inline_secret) == std::string::npos);
        CHECK(all.find(env_secret) == std::string::npos);
    }
    // And the password file's content never, even when the file is refused.
    const ConfigResult r = load_config_text(
        config_with("  password_file: " + SECRETS + "two_lines.txt\n  password_env: HYPNIC_TEST_SECRET\n"), "s.yaml");
    CHECK(all_text(r).find(env_secret) == std::string::npos);
    ::unsetenv("HYPNIC_TEST_SECRET");
}
