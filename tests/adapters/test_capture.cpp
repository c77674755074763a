// Tests of the JSON Lines capture reader (hostile lines included) and the two line writers.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>

#include "adapters/capture.hpp"
#include "test_capture_support.hpp"

using namespace hypnic;
using namespace std::string_literals;

namespace {
using Read = test::CaptureRead;

Read read_all(const std::string& text) { return test::read_capture(text); }
}  // namespace

TEST_CASE("capture lines are read with payload or payload_b64", "[capture]") {
    const Read r = read_all(
        "{\"ts\": 1764104523.25, \"topic\": \"bed/alex/accel\", \"payload\": \"{\\\"hz\\\":50}\"}\n"
        "\n"
        "   \t\r\n"
        "{\"ts\": 1764104524, \"topic\": \"bed/alex/raw\", \"payload_b64\": \"AAH/\"}\r\n"
        "{\"topic\": \"t\", \"payload\": \"\", \"ts\": 5}");  // no trailing newline
    REQUIRE(r.errors.empty());
    REQUIRE(r.good.size() == 3);
    CHECK(r.good[0].ts == 1764104523.25);
    CHECK(r.good[0].topic == "bed/alex/accel");
    CHECK(r.good[0].payload == "{\"hz\":50}");
    CHECK(r.good[1].payload == std::string("\x00\x01\xff", 3));
    CHECK(r.good[2].payload.empty());
    CHECK(r.good[2].ts == 5);
}

TEST_CASE("bad capture lines are reported as name:line:col and skipped", "[capture][hostile]") {
    const std::string text =
        "{\"ts\": 1, \"topic\": \"a\", \"payload\": \"ok\"}\n"      // 1 good
        "{\"ts\": 1, \"topic\": \"a\", \"payload\": \"trunc\n"      // 2 truncated
        "[1,2,3]\n"                                                  // 3 not an object
        "{\"topic\": \"a\", \"payload\": \"x\"}\n"                  // 4 no ts
        "{\"ts\": \"1\", \"topic\": \"a\", \"payload\": \"x\"}\n"   // 5 ts a string
        "{\"ts\": 1e999, \"topic\": \"a\", \"payload\": \"x\"}\n"   // 6 ts infinite
        "{\"ts\": 1, \"topic\": \"\", \"payload\": \"x\"}\n"        // 7 empty topic
        "{\"ts\": 1, \"topic\": \"a\"}\n"                            // 8 no payload
        "{\"ts\": 1, \"topic\": \"a\", \"payload\": \"x\", \"payload_b64\": \"eA==\"}\n"  // 9 both
        "{\"ts\": 1, \"topic\": \"a\", \"payload_b64\": \"e!==\"}\n"  // 10 bad base64
        "{\"ts\": 1, \"topic\": \"a\", \"payload_b64\": \"eA=\"}\n"   // 11 bad length
        "{\"ts\": 1, \"topic\": \"a\", \"payload\": 42}\n"            // 12 payload a number
        "{\"ts\": 1, \"topic\": \"a\", \"payload\": \"\xff\"}\n"      // 13 invalid UTF-8
        "\x00\x01\x02\n"                                              // 14 binary garbage
        "{\"ts\": -3, \"topic\": \"a\", \"payload\": \"x\"}\n"      // 15 negative ts
        "{\"ts\": 2, \"topic\": \"b\", \"payload\": \"still read\"}\n"s;  // 16 good
    const Read r = read_all(std::string(text.data(), text.size()));
    REQUIRE(r.good.size() == 2);
    CHECK(r.good[1].topic == "b");
    REQUIRE(r.errors.size() == 14);
    for (std::size_t i = 0; i < r.errors.size(); ++i) {
        INFO(r.errors[i]);
        CHECK(r.errors[i].rfind("night.jsonl:" + std::to_string(i + 2) + ":", 0) == 0);
    }
    CHECK(r.errors[0].find("invalid JSON") != std::string::npos);
    CHECK(r.errors[2].find("\"ts\"") != std::string::npos);
    CHECK(r.errors[3] == "night.jsonl:5:2: \"ts\" must be a number (Unix seconds)");
    CHECK(r.errors[7].find("exactly one of") != std::string::npos);
    CHECK(r.errors[8].find("base64") != std::string::npos);
}

TEST_CASE("binary bytes in a line do not stop the reader", "[capture][hostile]") {
    std::string text = "{\"ts\": 1, \"topic\": \"a\", \"payload\": \"x\"}\n";
    text += std::string("\x00\n", 2);
    text += std::string(1000, '\xfe') + "\n";
    text += std::string(10000, '[') + "\n";
    text += "{\"ts\": 2, \"topic\": \"a\", \"payload\": \"y\"}\n";
    const Read r = read_all(text);
    CHECK(r.good.size() == 2);
    CHECK(r.errors.size() == 3);
}

TEST_CASE("a line longer than 64 MiB is refused without holding the file", "[capture][hostile]") {
    std::string text = "{\"ts\": 1, \"topic\": \"a\", \"payload\": \"";
    text.append((std::size_t{64} << 20) + 10, 'x');
    text += "\"}\n{\"ts\": 2, \"topic\": \"b\", \"payload\": \"after\"}\n";
    const Read r = read_all(text);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "night.jsonl:1:1: line longer than 64 MiB, skipped");
    REQUIRE(r.good.size() == 1);
    CHECK(r.good[0].payload == "after");
}

TEST_CASE("written capture lines read back identically, binary as payload_b64", "[capture]") {
    const std::vector<CaptureLine> lines = {
        {1764104523.25, "bed/alex/accel", "{\"t0\":1764104523,\"hz\":50,\"xyz\":[[0,0,1]]}"},
        {1764104523.5, "bed/alex/raw", std::string("\x00\xff\xfe\x01\x80", 5)},
        {1764104524.123456, "bed/alex/note", "line1\nline2\t\"quoted\" \\ caf\xc3\xa9"},
        {1764104525, "bed/alex/empty", ""},
        {1764104526, "bed/alex/b64pad1", std::string("\xff", 1)},
        {1764104527, "bed/alex/b64pad2", std::string("\xff\xfe", 2)},
    };
    std::ostringstream out;
    for (const auto& l : lines) write_capture_line(out, l);
    const std::string text = out.str();
    CHECK(text.find("\"payload_b64\":\"AP/+AYA=\"") != std::string::npos);
    CHECK(text.rfind("{\"ts\":1764104523.25,\"topic\":\"bed/alex/accel\",\"payload\":", 0) == 0);
    const Read r = read_all(text);
    REQUIRE(r.errors.empty());
    REQUIRE(r.good.size() == lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        CHECK(r.good[i].ts == lines[i].ts);
        CHECK(r.good[i].topic == lines[i].topic);
        CHECK(r.good[i].payload == lines[i].payload);
    }
}

TEST_CASE("publication lines carry retain and qos", "[capture]") {
    std::ostringstream out;
    write_publication_line(out, Publication{1764104523.25, "hypnic/alex/state", "{\"phase\":\"asleep\"}", true, 1});
    write_publication_line(out, Publication{1764104524, "cmnd/bedroom/Dimmer", "20", false, 0});
    CHECK(out.str() ==
          "{\"ts\":1764104523.25,\"topic\":\"hypnic/alex/state\",\"payload\":\"{\\\"phase\\\":\\\"asleep\\\"}\","
          "\"retain\":true,\"qos\":1}\n"
          "{\"ts\":1764104524,\"topic\":\"cmnd/bedroom/Dimmer\",\"payload\":\"20\",\"retain\":false,\"qos\":0}\n");
}
