// TLS and authentication against a mosquitto configured here: a CA, server and client certificates
// made with openssl and a password file made with mosquitto_passwd, all at run time in a temp dir.
#include <catch2/catch.hpp>

#include <signal.h>

#include <sstream>

#include "config/config.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

// Distinctive, so that finding it anywhere in the output is a leak, not a coincidence.
const std::string PASSWORD = "Zq7-hypnic-s3cret-!pw";

/// Runs a tool to completion; fails the test with its output when it does not succeed.
void run_tool(const std::vector<std::string>& argv) {
    ChildProcess p(argv);
    const auto rc = p.wait(60s);
    INFO(argv[0] << ": " << p.out() << p.err());
    REQUIRE(rc);
    REQUIRE(*rc == 0);
}

/// A CA, a server certificate for 127.0.0.1, a client certificate (CN=hypnic), a second CA that
/// signed nothing the broker uses, and a mosquitto password file for user "hypnic".
struct Pki {
    TempDir dir;
    std::string path(const std::string& name) const { return dir.path() + "/" + name; }

    Pki() {
        const auto ec_key = [&](const std::string& name) {
            run_tool({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path(name)});
        };
        const auto self_signed = [&](const std::string& key, const std::string& crt, const std::string& cn) {
            ec_key(key);
            run_tool({"openssl", "req", "-x509", "-new", "-key", path(key), "-out", path(crt), "-days", "2", "-subj",
                      "/CN=" + cn});
        };
        const auto signed_by_ca = [&](const std::string& key, const std::string& crt, const std::string& cn,
                                      const std::string& ext) {
            ec_key(key);
            run_tool({"openssl", "req", "-new", "-key", path(key), "-out", path(crt + ".csr"), "-subj", "/CN=" + cn});
            dir.write(crt + ".ext", ext);
            run_tool({"openssl", "x509", "-req", "-in", path(crt + ".csr"), "-CA", path("ca.crt"), "-CAkey",
                      path("ca.key"), "-CAcreateserial", "-out", path(crt), "-days", "2", "-extfile", path(crt + ".ext")});
        };
        self_signed("ca.key", "ca.crt", "hypnic test CA");
        self_signed("other-ca.key", "other-ca.crt", "some other CA");
        signed_by_ca("server.key", "server.crt", "127.0.0.1", "subjectAltName=IP:127.0.0.1\n");
        signed_by_ca("client.key", "client.crt", "hypnic", "extendedKeyUsage=clientAuth\n");
        run_tool({"mosquitto_passwd", "-c", "-b", path("passwd"), "hypnic", PASSWORD});
        dir.write("password.txt", PASSWORD + "\n");
    }

    std::string server_tls() const {
        return "cafile " + path("ca.crt") + "\ncertfile " + path("server.crt") + "\nkeyfile " + path("server.key") + "\n";
    }
};

/// hypnicd's configuration for broker `b`; `auth` and `tls` are lines under `mqtt:` (see tls_lines).
std::string broker_config(const Broker& b, const std::string& state_dir, const std::string& auth, const std::string& tls) {
    std::ostringstream c;
    c << "version: 1\n"
         "mqtt:\n"
         "  url: " << b.url() << "\n"
         "  base_topic: hypnic\n"
         "  client_id: hypnic-tls-" << ::getpid() << "\n"
         "  reconnect_max_s: 2\n"
      << auth << tls
      << "homeassistant:\n"
         "  enabled: false\n"
         "log:\n"
         "  level: debug\n"
         "timezone: UTC\n"
         "state_dir: " << state_dir << "\n"
         "sleepers:\n"
         "  - id: alex\n"
         "    sensors:\n"
         "      - {kind: presence, topic: bed/alex/presence, format: plain}\n";
    return c.str();
}

/// The `mqtt.tls` block: TLS on, verified against `ca_file`, with a client certificate when given.
std::string tls_lines(const std::string& ca_file, const std::string& cert = "", const std::string& key = "") {
    std::string t = "  tls:\n    enabled: true\n    ca_file: " + ca_file + "\n";
    if (!cert.empty()) t += "    cert_file: " + cert + "\n    key_file: " + key + "\n";
    return t;
}

std::string tls_config(const Broker& b, const std::string& state_dir, const std::string& ca_file, const std::string& auth) {
    return broker_config(b, state_dir, auth, tls_lines(ca_file));
}

/// A test client on the TLS listener, by password.
std::unique_ptr<TestClient> tls_watch(const Broker& b, const Pki& pki) {
    mqtt::ssl_options ssl;
    ssl.set_trust_store(pki.path("ca.crt"));
    mqtt::connect_options o;
    o.set_clean_session(true);
    o.set_connect_timeout(5);
    o.set_user_name("hypnic");
    o.set_password(PASSWORD);
    o.set_ssl(ssl);
    return std::make_unique<TestClient>(b.url(), o);
}

void check_no_secret(const ChildProcess& d) {
    const std::string all = d.out() + d.err();
    CHECK(all.find(PASSWORD) == std::string::npos);
    // The private key never reaches the log either.
    CHECK(all.find("PRIVATE KEY") == std::string::npos);
}

}  // namespace

TEST_CASE("tls: hypnicd connects by password over TLS; a wrong password is a clear error, retried, never logged",
          "[tls][broker]") {
    Pki pki;
    BrokerOptions bo;
    bo.tls = true;
    bo.allow_anonymous = false;
    bo.listener_extra = pki.server_tls() + "password_file " + pki.path("passwd") + "\n";
    Broker broker(bo);
    TempDir state;

    SECTION("the right password (from a file): online, data flows") {
        const auto cfg = state.write("hypnic.yaml", tls_config(broker, state.path(), pki.path("ca.crt"),
                                                               "  username: hypnic\n  password_file: " +
                                                                   pki.path("password.txt") + "\n"));
        auto d = start_hypnicd({"run", "--config", cfg});
        INFO(d->err());
        auto watch = tls_watch(broker, pki);
        watch->subscribe("hypnic/#");
        REQUIRE(watch->wait_for("hypnic/status", "online", 15s));
        watch->publish("bed/alex/presence", "ON");
        CHECK(watch->wait_for([](const Received& m) {
            return m.topic == "hypnic/alex/state" && m.payload.find("\"awake_in_bed\"") != std::string::npos;
        }));
        d->signal(SIGTERM);
        CHECK(d->wait(10s) == 0);
        check_no_secret(*d);
    }

    SECTION("a wrong password (from the environment): a clear error line, retried with back-off") {
        const std::string wrong = PASSWORD + "-wrong";
        const auto cfg = state.write("hypnic.yaml", tls_config(broker, state.path(), pki.path("ca.crt"),
                                                               "  username: hypnic\n  password_env: HYPNIC_TEST_PW\n"));
        auto d = start_hypnicd({"run", "--config", cfg}, {"HYPNIC_TEST_PW=" + wrong});
        INFO(d->err());
        REQUIRE(d->wait_for_output("reconnecting in 2 s", 20s));
        const std::string err = d->err();
        INFO(err);
        CHECK(err.find("not authorised") != std::string::npos);
        CHECK(d->running());
        d->signal(SIGTERM);
        CHECK(d->wait(10s) == 0);
        check_no_secret(*d);
        CHECK((d->out() + d->err()).find(wrong) == std::string::npos);
    }

    SECTION("a CA that did not sign the broker's certificate: a clear TLS error, retried") {
        const auto cfg = state.write("hypnic.yaml", tls_config(broker, state.path(), pki.path("other-ca.crt"),
                                                               "  username: hypnic\n  password_file: " +
                                                                   pki.path("password.txt") + "\n"));
        auto d = start_hypnicd({"run", "--config", cfg});
        INFO(d->err());
        if (!d->wait_for_output("reconnecting in 1 s", 20s)) FAIL(d->err());
        const std::string err = d->err();
        INFO(err);
        CHECK(err.find("TLS handshake or certificate check failed") != std::string::npos);
        CHECK(err.find("mqtt: connected to") == std::string::npos);
        d->signal(SIGTERM);
        CHECK(d->wait(10s) == 0);
        check_no_secret(*d);
    }
}

TEST_CASE("tls: hypnicd connects by client certificate; without one the broker refuses it", "[tls][broker]") {
    Pki pki;
    BrokerOptions bo;
    bo.tls = true;
    bo.allow_anonymous = false;
    // The certificate's CN is the MQTT user name: no password at all.
    bo.listener_extra = pki.server_tls() + "require_certificate true\nuse_identity_as_username true\n";
    Broker broker(bo);
    TempDir state;

    SECTION("with the client certificate: online") {
        const auto cfg = state.write("hypnic.yaml", broker_config(broker, state.path(), "",
                                                                  tls_lines(pki.path("ca.crt"), pki.path("client.crt"),
                                                                            pki.path("client.key"))));
        auto d = start_hypnicd({"run", "--config", cfg});
        INFO(d->err());
        REQUIRE(d->wait_for_output("mqtt: connected to ssl://", 15s));
        // The broker saw the certificate's identity as the user.
        if (!eventually([&] { return broker.log().find("u'hypnic'") != std::string::npos; }, 5s)) FAIL(broker.log());
        d->signal(SIGTERM);
        CHECK(d->wait(10s) == 0);
        check_no_secret(*d);
    }

    SECTION("without a client certificate: refused, retried") {
        const auto cfg = state.write("hypnic.yaml", tls_config(broker, state.path(), pki.path("ca.crt"), ""));
        auto d = start_hypnicd({"run", "--config", cfg});
        INFO(d->err());
        REQUIRE(d->wait_for_output("reconnecting in 2 s", 20s));
        CHECK(d->err().find("connected to ssl://") == std::string::npos);
        d->signal(SIGTERM);
        CHECK(d->wait(10s) == 0);
    }
}

TEST_CASE("tls: the example ACL lets hypnic read sensors and write its tree, and nothing else", "[tls][acl][broker]") {
    TempDir auth;
    run_tool({"mosquitto_passwd", "-c", "-b", auth.path() + "/passwd", "hypnic", PASSWORD});
    run_tool({"mosquitto_passwd", "-b", auth.path() + "/passwd", "bed-sensor", "sensor-pw"});
    run_tool({"mosquitto_passwd", "-b", auth.path() + "/passwd", "homeassistant", "ha-pw"});
    BrokerOptions bo;
    bo.allow_anonymous = false;
    bo.listener_extra = "password_file " + auth.path() + "/passwd\nacl_file " HYPNIC_SOURCE_DIR "/packaging/mosquitto/hypnic.acl\n";
    Broker broker(bo);
    TempDir state;
    const auto cfg = state.write("hypnic.yaml",
                                 broker_config(broker, state.path(), "  username: hypnic\n  password_env: HYPNIC_TEST_PW\n", ""));
    auto d = start_hypnicd({"run", "--config", cfg}, {"HYPNIC_TEST_PW=" + PASSWORD});
    INFO(d->err() << broker.log());

    const auto login = [&](const std::string& user, const std::string& pw) {
        mqtt::connect_options o;
        o.set_clean_session(true);
        o.set_connect_timeout(5);
        o.set_user_name(user);
        o.set_password(pw);
        return std::make_unique<TestClient>(broker.url(), o);
    };
    auto ha = login("homeassistant", "ha-pw");
    ha->subscribe("hypnic/#");
    REQUIRE(ha->wait_for("hypnic/status", "online", 15s));

    // The sensor's own user may write its topic, and hypnic reads it.
    auto sensor = login("bed-sensor", "sensor-pw");
    sensor->publish("bed/alex/presence", "ON");
    CHECK(ha->wait_for([](const Received& m) {
        return m.topic == "hypnic/alex/state" && m.payload.find("\"awake_in_bed\"") != std::string::npos;
    }));
    // The sensor's user cannot speak for hypnic: the broker drops what it is not allowed to write.
    ha->clear();
    sensor->publish("hypnic/status", "offline");
    CHECK_FALSE(ha->wait_for("hypnic/status", "offline", 1500ms));
    // hypnic's user cannot impersonate a sensor.
    auto as_hypnic = login("hypnic", PASSWORD);
    as_hypnic->publish("bed/alex/presence", "OFF");
    CHECK_FALSE(ha->wait_for([](const Received& m) {
        return m.topic == "hypnic/alex/state" && m.payload.find("\"out_of_bed\"") != std::string::npos;
    }, 1500ms));
    d->signal(SIGTERM);
    CHECK(d->wait(10s) == 0);
}

TEST_CASE("topic ids are sanitised: a sleeper id with + # / or capitals is refused", "[tls][ids]") {
    for (const char* id : {"al+ex", "al#", "a/b", "Alex", "a b"}) {
        const std::string text = std::string("version: 1\nmqtt:\n  url: tcp://127.0.0.1:18830\ntimezone: UTC\nsleepers:\n  - id: \"") +
                                 id + "\"\n    sensors:\n      - {kind: presence, topic: bed/x/presence, format: plain}\n";
        const auto r = load_config_text(text, "ids.yaml");
        INFO(id);
        REQUIRE_FALSE(r.ok());
        CHECK(r.errors.front().message.find("may only contain a-z, 0-9") != std::string::npos);
    }
}
