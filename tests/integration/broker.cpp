// Integration fixtures: private mosquitto on a free loopback port, child processes, paho test client.
#include "tests/integration/broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hypnic::test {

namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string find_in_path(const std::string& name, const std::vector<std::string>& extra_dirs = {}) {
    if (name.find('/') != std::string::npos) return name;
    std::vector<std::string> dirs;
    if (const char* p = std::getenv("PATH")) {
        std::stringstream s(p);
        for (std::string d; std::getline(s, d, ':');) dirs.push_back(d);
    }
    dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
    for (const auto& d : dirs) {
        const fs::path c = fs::path(d) / name;
        if (::access(c.c_str(), X_OK) == 0) return c.string();
    }
    return name;
}

std::atomic<int> client_counter{0};

}  // namespace

int free_loopback_port() {
    for (int tries = 0; tries < 50; ++tries) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = 0;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        int port = -1;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
            port = ntohs(a.sin_port);
        ::close(fd);
        if (port > 0 && port != 1883) return port;
    }
    throw std::runtime_error("no free loopback port found");
}

// ---------------------------------------------------------------------------------------------

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hypnic-it-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    std::ofstream out(p, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + p);
    return p;
}

// ---------------------------------------------------------------------------------------------

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
    if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
    const std::string exe = find_in_path(argv[0], {"/usr/sbin", "/sbin"});
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
    for (const auto& e : extra_env) env_store.push_back(e);
    std::vector<char*> env;
    for (auto& e : env_store) env.push_back(e.data());
    env.push_back(nullptr);

    // posix_spawn, not fork: the test process runs paho threads, and only exec is safe after fork.
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string out = dir_.path() + "/stdout", err = dir_.path() + "/stderr";
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + exe + ": " + std::strerror(rc));
    pid_ = pid;
}

ChildProcess::~ChildProcess() {
    if (!exit_code_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
}

void ChildProcess::signal(int sig) const {
    if (!exit_code_ && pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_) {
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(10ms);
    }
    return exit_code_;
}

bool ChildProcess::running() { return !wait(0ms).has_value(); }
std::string ChildProcess::out() const { return read_file(dir_.path() + "/stdout"); }
std::string ChildProcess::err() const { return read_file(dir_.path() + "/stderr"); }

bool ChildProcess::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const {
    return eventually([&] { return out().find(needle) != std::string::npos || err().find(needle) != std::string::npos; },
                      timeout);
}

RunResult run_hypnicd(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    auto p = start_hypnicd(args);
    RunResult r;
    if (auto rc = p->wait(timeout)) r.exit_code = *rc;
    r.out = p->out();
    r.err = p->err();
    return r;
}

std::unique_ptr<ChildProcess> start_hypnicd(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
    std::vector<std::string> argv{HYPNICD_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<ChildProcess>(argv, extra_env);
}

// ---------------------------------------------------------------------------------------------

Broker::Broker(bool start_now, int port) : Broker(BrokerOptions{}, start_now, port) {}

Broker::Broker(const BrokerOptions& o, bool start_now, int port)
    : port_(port ? port : free_loopback_port()), tls_(o.tls) {
    std::ostringstream c;
    c << "listener " << port_ << " 127.0.0.1\n"
      << o.listener_extra << (o.listener_extra.empty() || o.listener_extra.back() == '\n' ? "" : "\n")
      << "allow_anonymous " << (o.allow_anonymous ? "true" : "false") << "\n";
    // Started as root, mosquitto drops to user "mosquitto", which cannot read the private temp
    // directory holding its password file, certificates and log: stay the user that started it.
    if (::geteuid() == 0) c << "user root\n";
    if (o.persistence)
        c << "persistence true\npersistence_location " << dir_.path() << "/\nautosave_interval 0\n";
    else
        c << "persistence false\n";
    c
      << "log_dest file " << dir_.path() << "/mosquitto.log\n"
      << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
    conf_ = dir_.write("mosquitto.conf", c.str());
    if (start_now) start();
}

Broker::~Broker() { stop(); }

void Broker::start() {
    if (proc_) return;
    proc_ = std::make_unique<ChildProcess>(std::vector<std::string>{"mosquitto", "-c", conf_});
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!port_accepts(port_)) {
        if (!proc_->running())
            throw std::runtime_error("mosquitto exited at start: " + proc_->err() + log());
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("mosquitto did not accept connections on port " + std::to_string(port_));
        std::this_thread::sleep_for(10ms);
    }
}

void Broker::stop() {
    if (!proc_) return;
    proc_->signal(SIGTERM);
    if (!proc_->wait(3s)) {
        proc_->signal(SIGKILL);
        proc_->wait(3s);
    }
    proc_.reset();
    eventually([&] { return !port_accepts(port_); }, 3s);
}

void Broker::signal(int sig) const {
    if (proc_) proc_->signal(sig);
}

std::string Broker::url() const { return (tls_ ? "ssl://127.0.0.1:" : "tcp://127.0.0.1:") + std::to_string(port_); }
std::string Broker::log() const { return read_file(dir_.path() + "/mosquitto.log"); }

// ---------------------------------------------------------------------------------------------

class TestClient::Callback final : public mqtt::callback {
public:
    explicit Callback(TestClient& owner) : owner_(owner) {}
    void message_arrived(mqtt::const_message_ptr msg) override {
        {
            std::lock_guard lock(owner_.mu_);
            owner_.msgs_.push_back({msg->get_topic(), msg->get_payload_str(), msg->is_retained(), msg->get_qos()});
        }
        owner_.cv_.notify_all();
    }

private:
    TestClient& owner_;
};

namespace {
mqtt::connect_options plain_options() {
    mqtt::connect_options o;
    o.set_clean_session(true);
    o.set_connect_timeout(5);
    return o;
}
}  // namespace

TestClient::TestClient(const std::string& url, const std::string& client_id)
    : TestClient(url, plain_options(), client_id) {}

TestClient::TestClient(const std::string& url, const mqtt::connect_options& options, const std::string& client_id)
    : cb_(std::make_unique<Callback>(*this)) {
    const std::string id = client_id.empty() ? "hypnic-test-" + std::to_string(::getpid()) + "-" +
                                                   std::to_string(client_counter++)
                                             : client_id;
    cli_ = std::make_unique<mqtt::async_client>(url, id, static_cast<mqtt::iclient_persistence*>(nullptr));
    cli_->set_callback(*cb_);
    try {
        cli_->connect(options)->wait_for(10s);
    } catch (const mqtt::exception& e) {
        throw std::runtime_error("test client could not connect to " + url + ": " + e.what());
    }
    if (!cli_->is_connected()) throw std::runtime_error("test client could not connect to " + url);
}

TestClient::~TestClient() {
    try {
        if (cli_->is_connected()) cli_->disconnect()->wait_for(3s);
    } catch (const mqtt::exception&) {
        // The broker may already be gone.
    }
}

void TestClient::subscribe(const std::string& filter, int qos) {
    if (!cli_->subscribe(filter, qos)->wait_for(5s)) throw std::runtime_error("subscribe timed out: " + filter);
}

void TestClient::publish(const std::string& topic, const std::string& payload, int qos, bool retain) {
    if (!cli_->publish(mqtt::make_message(topic, payload, qos, retain))->wait_for(5s))
        throw std::runtime_error("publish timed out: " + topic);
}

std::vector<Received> TestClient::messages() const {
    std::lock_guard lock(mu_);
    return msgs_;
}

std::vector<Received> TestClient::messages_on(const std::string& topic) const {
    std::vector<Received> out;
    std::lock_guard lock(mu_);
    for (const auto& m : msgs_)
        if (m.topic == topic) out.push_back(m);
    return out;
}

void TestClient::clear() {
    std::lock_guard lock(mu_);
    msgs_.clear();
}

std::optional<Received> TestClient::wait_for(const std::function<bool(const Received&)>& pred,
                                             std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    std::optional<Received> found;
    cv_.wait_for(lock, timeout, [&] {
        for (const auto& m : msgs_)
            if (pred(m)) {
                found = m;
                return true;
            }
        return false;
    });
    return found;
}

std::optional<Received> TestClient::wait_for(const std::string& topic, const std::string& payload,
                                             std::chrono::milliseconds timeout) {
    return wait_for([&](const Received& m) { return m.topic == topic && m.payload == payload; }, timeout);
}

std::optional<Received> TestClient::retained(const std::string& topic, std::chrono::milliseconds timeout) {
    {
        std::lock_guard lock(mu_);
        std::erase_if(msgs_, [&](const Received& m) { return m.topic == topic && m.retained; });
    }
    subscribe(topic);
    return wait_for([&](const Received& m) { return m.topic == topic && m.retained; }, timeout);
}

bool TestClient::connected() const { return cli_->is_connected(); }

// ---------------------------------------------------------------------------------------------

SensorPublisher::SensorPublisher(const std::string& url, const std::string& client_id) {
    mqtt::create_options co(MQTTVERSION_3_1_1);
    co.set_send_while_disconnected(true, true);
    co.set_max_buffered_messages(1'000'000);
    cli_ = std::make_unique<mqtt::async_client>(url, client_id, co, static_cast<mqtt::iclient_persistence*>(nullptr));
    mqtt::connect_options o;
    o.set_clean_session(false);
    o.set_keep_alive_interval(5);
    o.set_connect_timeout(5);
    o.set_automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(2));
    cli_->connect(o)->wait_for(10s);
    if (!cli_->is_connected()) throw std::runtime_error("sensor publisher could not connect to " + url);
}

SensorPublisher::~SensorPublisher() {
    try {
        if (cli_->is_connected()) cli_->disconnect()->wait_for(3s);
    } catch (const mqtt::exception&) {
        // The broker may already be gone.
    }
}

void SensorPublisher::publish(const std::string& topic, const std::string& payload) {
    cli_->publish(mqtt::make_message(topic, payload, 1, false));
}

bool SensorPublisher::wait_delivered(std::chrono::milliseconds timeout) {
    return eventually([&] { return cli_->get_pending_delivery_tokens().empty(); }, timeout);
}

bool SensorPublisher::connected() const { return cli_->is_connected(); }

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (cond()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

}  // namespace hypnic::test
