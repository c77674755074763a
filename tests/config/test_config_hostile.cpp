// Hostile configuration input: deep nesting, oversized and binary files, alias bombs, tabs; never a crash.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "config/config.hpp"
#include "config/yaml_tree.hpp"

using namespace hypnic;

namespace {

const std::string VALID = "version: 1\nsleepers:\n  - id: alex\n    sensors:\n      - {kind: accel, topic: bed/alex/accel}\n";

bool mentions(const ConfigResult& r, const std::string& part) {
    for (const auto& e : r.errors)
        if (e.message.find(part) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("deeply nested flow collections are refused before yaml-cpp recurses") {
    for (std::size_t depth : {65u, 1000u, 200000u}) {
        INFO(depth);
        const std::string text = "version: 1\nx: " + std::string(depth, '[') + std::string(depth, ']') + "\n";
        const ConfigResult r = load_config_text(text, "deep.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("nesting is deeper than 64 levels") == 0);
        CHECK(r.errors[0].line == 2);
    }
    const std::string braces = "version: 1\nx: " + std::string(5000, '{') + "\n";
    CHECK(mentions(load_config_text(braces, "deep.yaml"), "nesting is deeper"));
}

TEST_CASE("deeply nested block structure is refused too") {
    std::string keys = "version: 1\n";
    for (int i = 0; i < 100; ++i) keys += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k" + std::to_string(i) + ":\n";
    const ConfigResult r = load_config_text(keys, "deep.yaml");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find("nesting is deeper") == 0);

    std::string dashes = "version: 1\nx:\n";
    for (int i = 0; i < 40; ++i) dashes += "  - - - - - a\n";
    CHECK(load_config_text(dashes, "dashes.yaml").errors.size() >= 1);  // shallow: yaml-cpp parses it, schema refuses
    const ConfigResult one_line = load_config_text("version: 1\nx: \n" + [] {
        std::string s;
        for (int i = 0; i < 100; ++i) s += "- ";
        return s + "a\n";
    }(), "dash.yaml");
    CHECK(mentions(one_line, "nesting is deeper"));
}

TEST_CASE("the nesting pre-scan does not trip on brackets inside strings, comments or block scalars") {
    const std::string text = VALID + "    winddown:\n      lights:\n        - type: template\n"
                             "          command_topic: home/strip/set\n"
                             "          payload_template: '" + std::string(80, '[') + "{brightness_pct}'\n"
                             "# " + std::string(100, '{') + "\n";
    const ConfigResult r = load_config_text(text, "brackets.yaml");
    for (const auto& e : r.errors) INFO(e.to_string());
    CHECK(r.ok());
    const std::string block = VALID + "    name: |\n" + [] {
        std::string s;
        for (int i = 0; i < 80; ++i) s += std::string(6 + static_cast<std::size_t>(i), ' ') + "x\n";
        return s;
    }();
    const ConfigResult b = load_config_text(block, "block.yaml");
    CHECK_FALSE(mentions(b, "nesting"));
}

TEST_CASE("files over 1 MiB are refused without parsing") {
    std::string text = VALID;
    while (text.size() <= config_detail::MAX_CONFIG_BYTES) text += "# padding padding padding padding padding\n";
    const ConfigResult r = load_config_text(text, "huge.yaml");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find("the limit is 1048576 bytes (1 MiB)") != std::string::npos);

    const std::string path = (std::filesystem::temp_directory_path() / "hypnic_test_huge.yaml").string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    const ConfigResult rf = load_config_file(path);
    std::filesystem::remove(path);
    REQUIRE(rf.errors.size() == 1);
    CHECK(rf.errors[0].message.find("larger than the limit") != std::string::npos);
    CHECK(rf.errors[0].file == path);
}

TEST_CASE("binary junk is reported as such, with its position") {
    std::mt19937 rng(12345);
    for (int round = 0; round < 50; ++round) {
        std::string junk(4096, '\0');
        for (auto& c : junk) c = static_cast<char>(rng() & 0xFF);
        const ConfigResult r = load_config_text(junk, "junk.bin");
        CHECK_FALSE(r.ok());
    }
    const ConfigResult nul = load_config_text(std::string("version: 1\nmq\0tt: {}\n", 21), "nul.yaml");
    REQUIRE(nul.errors.size() == 1);
    CHECK(nul.errors[0].line == 2);
    CHECK(nul.errors[0].column == 3);
    CHECK(nul.errors[0].message.find("NUL byte") != std::string::npos);
    const ConfigResult latin1 = load_config_text("version: 1\nname: M\xFCller\n", "latin1.yaml");
    REQUIRE(latin1.errors.size() == 1);
    CHECK(latin1.errors[0].message == "invalid UTF-8 byte 0xFC: the configuration must be UTF-8 text");
    CHECK(latin1.errors[0].column == 8);
}

TEST_CASE("UTF-8 text and a byte order mark are fine") {
    const ConfigResult r = load_config_text("\xEF\xBB\xBF" + VALID + "language: de\n", "bom.yaml");
    for (const auto& e : r.errors) INFO(e.to_string());
    CHECK(r.ok());
    const std::string named = "version: 1\nsleepers:\n  - id: jo\n    name: \"J\xC3\xB6rg \xF0\x9F\x98\xB4\"\n"
                              "    sensors: [{kind: accel, topic: bed/jo/accel}]\n";
    const ConfigResult n = load_config_text(named, "utf8.yaml");
    REQUIRE(n.ok());
    CHECK(n.config.plugin.sleepers.at(0).name == "J\xC3\xB6rg \xF0\x9F\x98\xB4");
}

TEST_CASE("an alias bomb is stopped without expanding it") {
    std::string text = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 12; ++i) {
        text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int k = 0; k < 10; ++k) text += (k ? ", *a" : "*a") + std::to_string(i - 1);
        text += "]\n";
    }
    text += "sleepers: *a11\n";
    const ConfigResult r = load_config_text(text, "bomb.yaml");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find("aliases expand the document") == 0);
    CHECK(r.errors[0].line > 2);
}

TEST_CASE("modest anchors and aliases work") {
    const std::string text = "version: 1\n"
                             "sleepers:\n"
                             "  - id: alex\n"
                             "    sensors: &s [{kind: accel, topic: bed/accel}]\n"
                             "    detector: &d {on_k: 7}\n"
                             "  - id: sam\n"
                             "    sensors: *s\n"
                             "    detector: *d\n";
    const ConfigResult r = load_config_text(text, "alias.yaml");
    for (const auto& e : r.errors) INFO(e.to_string());
    REQUIRE(r.ok());
    CHECK(r.config.plugin.sleepers.at(1).detector.on_k == Approx(7));
    CHECK(r.config.plugin.sleepers.at(1).sensors.size() == 1);
}

TEST_CASE("an alias to its own enclosing node and an unknown alias are errors") {
    const ConfigResult cycle = load_config_text("version: 1\nx: &a [1, *a]\n", "cycle.yaml");
    REQUIRE(cycle.errors.size() == 1);
    CHECK(cycle.errors[0].message.find("cycle") != std::string::npos);
    const ConfigResult unknown = load_config_text("version: 1\nx: *nothing\n", "unknown.yaml");
    REQUIRE(unknown.errors.size() == 1);
    CHECK(unknown.errors[0].line == 2);
}

TEST_CASE("tab indentation is reported on each line") {
    const ConfigResult r = load_config_text("version: 1\nmqtt:\n\turl: tcp://x\n\tqos: 1\n", "tabs.yaml");
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].to_string() == "tabs.yaml:3:1: tab character in the indentation; YAML indents with spaces only");
    CHECK(r.errors[1].line == 4);
    // A tab after the value is only whitespace, not indentation.
    CHECK(load_config_text(VALID + "language: en\t# comment\n", "ok.yaml").ok());
}

TEST_CASE("empty, scalar and list documents are clear errors") {
    CHECK(mentions(load_config_text("", "e.yaml"), "the configuration is empty"));
    CHECK(mentions(load_config_text("\n\n# nothing\n", "e.yaml"), "the configuration is empty"));
    CHECK(mentions(load_config_text("---\n...\n", "e.yaml"), "the configuration is empty"));
    CHECK(mentions(load_config_text("just text\n", "s.yaml"), "the top level must be a mapping"));
    CHECK(mentions(load_config_text("- a\n- b\n", "l.yaml"), "got a list"));
}

TEST_CASE("broken YAML syntax gives line and column") {
    const ConfigResult r = load_config_text("version: 1\nmqtt: {url: x\n", "syntax.yaml");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.rfind("YAML syntax error: ", 0) == 0);
    CHECK(r.errors[0].line >= 2);
    CHECK(r.errors[0].column >= 1);
    const ConfigResult q = load_config_text("version: 1\nmqtt:\n    url: x\n  qos: 1\n", "indent.yaml");
    REQUIRE(q.errors.size() == 1);
    CHECK(q.errors[0].message.rfind("YAML syntax error: ", 0) == 0);
    CHECK(q.errors[0].line == 4);
}

TEST_CASE("thousands of errors are capped, with a note") {
    std::string text = VALID;
    for (int i = 0; i < 5000; ++i) text += "junk_key_" + std::to_string(i) + ": 1\n";
    const ConfigResult r = load_config_text(text, "many.yaml");
    REQUIRE(r.errors.size() == 101);
    CHECK(r.errors.back().message == "too many errors; only the first 100 are listed");
}

TEST_CASE("a missing or unreadable configuration file names the path and the OS reason") {
    const ConfigResult missing = load_config_file("/nonexistent/hypnic.yaml");
    REQUIRE(missing.errors.size() == 1);
    CHECK(missing.errors[0].to_string() ==
          "/nonexistent/hypnic.yaml: cannot read the configuration file: No such file or directory");
    const ConfigResult dir = load_config_file(HYPNIC_TEST_DATA "/config");
    REQUIRE(dir.errors.size() == 1);
    CHECK(dir.errors[0].message == "cannot read the configuration file: it is a directory");
}

TEST_CASE("random mutations of a valid configuration never crash the loader") {
    std::string base;
    {
        std::FILE* f = std::fopen(HYPNIC_SOURCE_DIR "/config/hypnic.example.yaml", "rb");
        REQUIRE(f != nullptr);
        char buf[4096];
        std::size_t n = 0;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) base.append(buf, n);
        std::fclose(f);
    }
    std::mt19937 rng(777);
    const std::string alphabet = "[]{}:-&*!|>'\"#,? \n\ta0";
    for (int round = 0; round < 300; ++round) {
        std::string text = base;
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % text.size();
            switch (rng() % 3) {
                case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
                case 1: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
                default: text.erase(at, 1 + rng() % 20); break;
            }
        }
        const ConfigResult r = load_config_text(text, "mutant.yaml");
        for (const auto& err : r.errors) CHECK_FALSE(err.message.empty());
    }
}
