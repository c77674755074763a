// Test fixtures for the integration suite: a private mosquitto, child processes, a paho test client.
#pragma once

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hypnic::test {

using namespace std::chrono_literals;

/// A port on 127.0.0.1 that nothing listened on a moment ago (never 1883).
int free_loopback_port();

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    /// Writes `text` to path()/name and returns the full path.
    std::string write(const std::string& name, const std::string& text) const;

private:
    std::string path_;
};

/// A child process with stdout and stderr captured to files.
class ChildProcess {
public:
    /// Starts argv[0] (looked up in PATH when it has no slash) with `extra_env` added ("K=V").
    /// Throws std::runtime_error when it cannot be started.
    explicit ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});
    /// Kills the process (SIGKILL) if it still runs.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    int pid() const { return pid_; }
    void signal(int sig) const;
    /// The exit code (128 + signal when killed), or nullopt if it has not exited by then.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    bool running();
    std::string out() const;
    std::string err() const;
    /// Polls out()/err() until `needle` appears in either; false at the deadline.
    bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const;

private:
    TempDir dir_;
    int pid_ = -1;
    std::optional<int> exit_code_;
};

/// Result of a finished command.
struct RunResult {
    int exit_code = -1;  ///< -1: did not finish in time (then killed)
    std::string out;
    std::string err;
};

/// Runs the hypnicd binary under test (HYPNICD_PATH) to completion.
RunResult run_hypnicd(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 20s);
/// The hypnicd binary under test, started in the background.
std::unique_ptr<ChildProcess> start_hypnicd(const std::vector<std::string>& args,
                                            const std::vector<std::string>& extra_env = {});

/// How a test broker is configured beyond a plain anonymous listener.
struct BrokerOptions {
    /// Keep sessions and queued QoS 1 messages across a restart (mosquitto.db in the broker's dir).
    bool persistence = false;
    bool allow_anonymous = true;
    /// Lines placed right after the `listener` line (cafile, certfile, password_file, ...).
    std::string listener_extra;
    /// The listener speaks TLS: url() then says ssl://.
    bool tls = false;
};

/// A mosquitto of our own on 127.0.0.1:<free port>, stopped (SIGTERM, then SIGKILL) on destruction.
class Broker {
public:
    /// `port` 0: pick a free one. `start_now` false: only reserve the configuration (for tests of
    /// a broker that comes up late).
    explicit Broker(bool start_now = true, int port = 0);
    explicit Broker(const BrokerOptions& options, bool start_now = true, int port = 0);
    /// Sends `sig` to the running mosquitto (SIGSTOP/SIGCONT stall it without closing sockets).
    void signal(int sig) const;
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    /// Starts mosquitto and waits until the port accepts connections (throws after 10 s).
    void start();
    /// SIGTERM, then SIGKILL after 3 s; waits until the port is closed.
    void stop();
    void restart() {
        stop();
        start();
    }
    bool running() const { return proc_ != nullptr; }
    int port() const { return port_; }
    /// "tcp://127.0.0.1:<port>"
    std::string url() const;
    /// The broker's own log (for failure messages).
    std::string log() const;

private:
    TempDir dir_;
    int port_ = 0;
    bool tls_ = false;
    std::string conf_;
    std::unique_ptr<ChildProcess> proc_;
};

/// One received message.
struct Received {
    std::string topic;
    std::string payload;
    bool retained = false;
    int qos = 0;
};

/// A plain paho client for tests: publishes and collects what arrives on its subscriptions.
/// Its methods block (they run on the test thread, never in a paho callback).
class TestClient {
public:
    /// Connects (clean session) or throws.
    explicit TestClient(const std::string& url, const std::string& client_id = "");
    /// Connects with these options (TLS, user name and password) or throws.
    TestClient(const std::string& url, const mqtt::connect_options& options, const std::string& client_id = "");
    ~TestClient();
    TestClient(const TestClient&) = delete;
    TestClient& operator=(const TestClient&) = delete;

    void subscribe(const std::string& filter, int qos = 1);
    void publish(const std::string& topic, const std::string& payload, int qos = 1, bool retain = false);
    /// Everything received so far.
    std::vector<Received> messages() const;
    std::vector<Received> messages_on(const std::string& topic) const;
    void clear();
    /// Waits until a received message satisfies `pred`; returns it or nullopt at the deadline.
    std::optional<Received> wait_for(const std::function<bool(const Received&)>& pred,
                                     std::chrono::milliseconds timeout = 10s);
    /// Waits for a message on `topic` with exactly `payload`.
    std::optional<Received> wait_for(const std::string& topic, const std::string& payload,
                                     std::chrono::milliseconds timeout = 10s);
    /// The retained message on `topic` as a new subscription sees it (nullopt: none within
    /// timeout). Re-subscribing makes the broker send it again, so one client can ask many times
    /// (cheaper than a new connection, which paho's C library makes wait a second or two).
    std::optional<Received> retained(const std::string& topic, std::chrono::milliseconds timeout = 3s);
    bool connected() const;

private:
    class Callback;
    std::unique_ptr<Callback> cb_;
    std::unique_ptr<mqtt::async_client> cli_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Received> msgs_;
};

/// A sensor as a real one behaves: a stable client id with a persistent session, QoS 1, automatic
/// reconnect, and publications buffered (in order) while the broker is away.
class SensorPublisher {
public:
    /// Starts connecting; throws when the first connection does not come up within 10 s.
    SensorPublisher(const std::string& url, const std::string& client_id);
    ~SensorPublisher();
    SensorPublisher(const SensorPublisher&) = delete;
    SensorPublisher& operator=(const SensorPublisher&) = delete;
    /// Non-blocking: sent now, or buffered until the connection is back.
    void publish(const std::string& topic, const std::string& payload);
    /// Waits until the broker has acknowledged everything published; false at the deadline.
    bool wait_delivered(std::chrono::milliseconds timeout);
    bool connected() const;

private:
    std::unique_ptr<mqtt::async_client> cli_;
};

/// Polls `cond` every 20 ms until it holds; false at the deadline.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s);

}  // namespace hypnic::test
